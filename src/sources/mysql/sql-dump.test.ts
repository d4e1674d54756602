/**
 * `db:dump` against a real MariaDB, loaded back with the real `mariadb` client: every column type,
 * quoted names, views on views, routines (with comments, ANSI_QUOTES, a latin1 client), triggers
 * and events come back with equal CHECKSUM TABLE and SHOW CREATE in a database of another name;
 * excluded tables exist without rows; the file does not depend on the number of connections; a
 * failing dump (wrong password, a read cut short halfway) leaves no file behind. Plus the
 * statement size limit and the MySQL form of definitions, which no MySQL server here can load.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, createGunzip } from 'node:zlib';
import { dumpDatabase, type DumpDatabaseInput } from '../../app/dump-database.ts';
import { parseProjectConfig } from '../../config/project-config.ts';
import { FakeClock } from '../../core/clock.ts';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import { testMariaDb } from '../../testing/servers.ts';
import type { MysqlConnection } from './connection.ts';
import { quoteString } from './quote.ts';
import { objectStatements, openSqlDump, withoutOwnSchema } from './sql-dump.ts';
import { MAX_STATEMENT_BYTES, SqlInsertEncoder, type SqlColumn } from './sql-encoder.ts';
import { ByteSink, type RawRow } from './table-reader.ts';
import { admin, dropDatabases, fingerprint, newDatabaseName, run, settingsFor, typesSchema } from './test-fixtures.ts';

/** Loads a .sql.gz with the stock client, as a user would: `zcat FILE | mariadb DB`. */
async function load(file: string, db: string): Promise<void> {
  const info = await testMariaDb();
  const child = spawn('mariadb', ['--no-defaults', '-h', info.host, '-P', String(info.port), '-u', info.user, `-p${info.password}`, db], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await pipeline(createReadStream(file), createGunzip(), child.stdin);
  assert.equal(await exited, 0, `mariadb failed to load ${file}:\n${stderr}`);
}

/** Runs SQL bytes through the stock client (for statements that must arrive in a given character set). */
async function clientRun(db: string, sql: Buffer, charset: string): Promise<void> {
  const info = await testMariaDb();
  const r = spawnSync('mariadb', ['--no-defaults', `--default-character-set=${charset}`, '-h', info.host, '-P', String(info.port), '-u', info.user, `-p${info.password}`, db], { input: sql });
  assert.equal(r.status, 0, r.stderr.toString('utf8'));
}

/** What the fingerprint of the source looks like in a loaded copy: qualifiers naming the database itself are gone. */
const unqualified = (fp: string) => fp.replace(/[`"]?<db>[`"]?\./g, '');

describe('db:dump: a plain SQL dump the stock mariadb client loads exactly', () => {
  let conn: MysqlConnection;
  let dir: string;
  const created: string[] = [];
  const users: string[] = [];
  const database = (prefix: string) => {
    const name = newDatabaseName(prefix);
    created.push(name);
    return name;
  };

  /** The use case's input for `db`: a project whose environment "production" has it as its database. */
  async function input(db: string, over: Partial<DumpDatabaseInput> & { user?: string; password?: string } = {}): Promise<DumpDatabaseInput> {
    const info = await testMariaDb();
    const pwFile = join(dir, `${db}.pw`);
    await writeFile(pwFile, over.password ?? info.password);
    const yaml = `project: shop
repository: repo
environments:
  production:
    type: production
    root: .
    database:
      - { type: sqlite, id: cache, path: cache.db }
      - { type: mysql, id: main, host: ${info.host}, port: ${info.port}, user: ${over.user ?? info.user}, password_file: ${pwFile}, name: ${db} }
`;
    const project = parseProjectConfig(yaml, join(dir, 'envsnap.yaml'));
    const { user: _u, password: _p, ...rest } = over;
    return { project, env: project.environments.get('production')!, cwd: dir, ...rest };
  }

  const ctx = () => ({ clock: new FakeClock(Date.UTC(2024, 2, 1, 10, 15, 0)), logger: new MemoryLogger(), progress: noProgress });

  before(async () => {
    conn = await admin();
    // The definer of a view in the fixture; shared by the tests of every process, so created if missing.
    await run(conn, ["CREATE USER IF NOT EXISTS 'envsnap_definer'@'%'", "GRANT SELECT ON *.* TO 'envsnap_definer'@'%'"]);
    dir = await mkdtemp(join(tmpdir(), 'envsnap-sql-dump-'));
  });
  after(async () => {
    await dropDatabases(conn, ...created);
    for (const u of users) await conn.query(`DROP USER IF EXISTS ${quoteString(u)}@'%'`);
    await conn.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('every column type, quoted names, views on views, routines, triggers and events load into a database of another name with equal checksums and definitions', async () => {
    const src = database('dump_src');
    const dst = database('dump_dst');
    const info = await testMariaDb();
    await run(conn, [
      ...typesSchema(src, { bigRowBytes: 3 * 1024 * 1024 }),
      `CREATE TABLE \`weird name.é\` (
        id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
        b5 bit(5), u16 varchar(20) CHARACTER SET utf16, sj varchar(20) CHARACTER SET sjis,
        e8 enum('ä','b','') CHARACTER SET latin1, s16 set('ü','x') CHARACTER SET ucs2, note text CHARACTER SET utf8mb4,
        amount decimal(12,4) NOT NULL DEFAULT 0, happened timestamp(6) NULL DEFAULT NULL
      ) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COMMENT 'Grüße'`,
      // utf16 'AB' and U+4142 are stored as ASCII bytes (00 41 00 42, 41 42): they must not go out as ASCII text.
      `INSERT INTO \`weird name.é\` VALUES
        (1, b'10101', 'Grüße 🍕', CONVERT('日本語' USING sjis), 'ä', 'ü,x', 'it''s a \\\\ test\\n\\r\\0 ✓', -12.3456, '2024-03-31 01:30:00.123456'),
        (2, b'00000', 'AB', 'plain', '', '', '', 0, '1970-01-01 00:00:01'),
        (3, b'11111', CHAR(0x4142 USING utf16), '', 'b', 'x', NULL, 99999999.9999, NULL)`,
      `CREATE TRIGGER trg_weird_bi BEFORE INSERT ON \`weird name.é\` FOR EACH ROW BEGIN
        -- a note is never missing
        SET NEW.note = IFNULL(NEW.note, 'none'); /* a block comment */
      END`,
      "SET SESSION sql_mode = 'ANSI_QUOTES,NO_AUTO_VALUE_ON_ZERO'",
      `CREATE PROCEDURE p_commented(OUT n int) COMMENT 'keeps its comments'
      BEGIN
        -- counts the parents
        # the hash kind too
        SELECT COUNT(*) INTO n FROM "${src}"."parent";
      END`,
      "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
    ]);
    // A function defined by a latin1 client, with non-ASCII text in its body.
    await clientRun(src, Buffer.from("CREATE FUNCTION f_latin1() RETURNS varchar(20) CHARSET latin1 DETERMINISTIC RETURN 'café ÿ';\n", 'latin1'), 'latin1');
    const before = await fingerprint(conn, src);
    assert.match(before, /character_set_client=latin1/, 'the fixture should hold a latin1 definition');

    const out = join(dir, 'types.sql.gz');
    const c = ctx();
    const r = await dumpDatabase(c, await input(src, { output: out }));
    assert.equal(r.path, out);
    assert.deepEqual(r.database, { id: 'main', name: src });
    assert.equal(r.tables, 9);
    // types 5, we`ird tbl 3, `..` 1, parent 2, child 3, log_myisam 1, nopk 4, empty_table 0, weird name.é 3
    assert.equal(r.rows, 22);
    assert.equal(typeof r.point.binlogFile, 'string', 'the test server logs binlogs: the dump has a binlog position');
    assert.deepEqual(c.logger.warnings(), ["database main: 1 table(s) use an engine without transactions and may not match the dump's point in time: log_myisam (MyISAM)"]);
    assert.equal((await stat(out)).mode & 0o777, 0o600, 'the dump holds customer data: only its owner may read it');
    assert.equal((await stat(out)).size, r.bytes);

    const sql = gunzipSync(await readFile(out)).toString('utf8');
    assert.ok(!sql.includes(info.password), 'the password is in the dump');
    assert.match(sql, new RegExp(`^-- Binlog position of the point: ${r.point.binlogFile}:${r.point.binlogPosition};`, 'm'));
    assert.ok(sql.endsWith('\n-- envsnap: dump complete\n'));
    const naming = sql.split('\n').filter((l) => l.includes(src) && !l.startsWith('--'));
    assert.deepEqual(naming, [], 'statements name the source database, so the dump would not load into another one');

    // Into a database of another name and another default character set.
    await run(conn, [`CREATE DATABASE ${dst} CHARACTER SET utf8mb4`]);
    await load(out, dst);
    assert.equal(await fingerprint(conn, dst), unqualified(before));
    const [f] = await conn.query<{ a: string; b: string }>(`SELECT HEX(${src}.f_latin1()) AS a, HEX(${dst}.f_latin1()) AS b`);
    assert.equal(f.b, f.a);
    const [proc] = await conn.query<Record<string, string>>(`SHOW CREATE PROCEDURE ${dst}.p_commented`);
    assert.match(proc['Create Procedure'], /-- counts the parents\n\s*# the hash kind too\n/, 'comments were stripped from the procedure body');
  });

  it('--exclude-table keeps the table (and its AUTO_INCREMENT counter) without rows; a pattern matching nothing is a warning', async () => {
    const src = database('excl_src');
    const dst = database('excl_dst');
    await run(conn, [
      `CREATE DATABASE ${src}`,
      `CREATE TABLE ${src}.sales_order (id int AUTO_INCREMENT PRIMARY KEY, total decimal(10,2)) ENGINE=InnoDB`,
      `CREATE TABLE ${src}.report_event (id int AUTO_INCREMENT PRIMARY KEY, what varchar(20)) ENGINE=InnoDB`,
      `CREATE TABLE ${src}.report_viewed_product_index (id int AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB`,
      `CREATE TABLE ${src}.customer_log (id int AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB`,
      `INSERT INTO ${src}.sales_order (total) SELECT seq / 4 FROM seq_1_to_500`,
      `INSERT INTO ${src}.report_event (what) SELECT 'view' FROM seq_1_to_300`,
      `INSERT INTO ${src}.report_viewed_product_index SELECT seq FROM seq_1_to_200`,
      `INSERT INTO ${src}.customer_log SELECT seq FROM seq_1_to_100`,
    ]);
    const c = ctx();
    const r = await dumpDatabase(c, await input(src, { excludeTables: ['report_*', 'customer_log', 'no_such_table'] }));
    assert.equal(r.path, join(dir, 'shop-production-20240301-101500.sql.gz'), 'the default name: <project>-<env>-<UTC time>.sql.gz in the working directory');
    assert.deepEqual(r.excludedTables, ['customer_log', 'report_event', 'report_viewed_product_index']);
    assert.equal(r.rows, 500);
    assert.deepEqual(c.logger.warnings(), [`database main: --exclude-table no_such_table matches no table of "${src}": check the name (tables are matched exactly, * matches any characters)`]);

    await run(conn, [`CREATE DATABASE ${dst}`]);
    await load(r.path!, dst);
    for (const t of ['sales_order', 'report_event', 'report_viewed_product_index', 'customer_log']) {
      const [a] = await conn.query<Record<string, string>>(`SHOW CREATE TABLE ${src}.${t}`);
      const [b] = await conn.query<Record<string, string>>(`SHOW CREATE TABLE ${dst}.${t}`);
      assert.equal(b['Create Table'], a['Create Table'], `${t}: the table differs`);
      const [n] = await conn.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${dst}.${t}`);
      assert.equal(Number(n.n), t === 'sales_order' ? 500 : 0, `${t}: rows`);
    }
    const [sa] = await conn.query<{ Checksum: string }>(`CHECKSUM TABLE ${src}.sales_order EXTENDED`);
    const [sb] = await conn.query<{ Checksum: string }>(`CHECKSUM TABLE ${dst}.sales_order EXTENDED`);
    assert.equal(sb.Checksum, sa.Checksum);
  });

  it('the same data gives the same SQL whether one connection or three read it (tables by name, a split table in key order)', async () => {
    const src = database('order_src');
    await run(conn, [
      `CREATE DATABASE ${src}`,
      `CREATE TABLE ${src}.big (id bigint NOT NULL PRIMARY KEY, payload varchar(200) NOT NULL) ENGINE=InnoDB`,
      `INSERT INTO ${src}.big SELECT CAST(seq AS SIGNED) * 3 - 1000, CONCAT(REPEAT(CHAR(65 + seq % 26), 60), seq) FROM seq_1_to_30000`,
      `ANALYZE TABLE ${src}.big`,
      ...['b', 'a', 'c'].map((t) => `CREATE TABLE ${src}.small_${t} (id int PRIMARY KEY) ENGINE=InnoDB`),
      ...['b', 'a', 'c'].map((t) => `INSERT INTO ${src}.small_${t} SELECT seq FROM seq_1_to_10`),
    ]);
    const sqlOf = async (parallel: number) => {
      const dump = await openSqlDump(await settingsFor(src), { parallel, partBytes: 64 * 1024, logger: new MemoryLogger(), program: 'envsnap test', time: 0 });
      assert.equal(dump.point.connections, parallel);
      const chunks: Buffer[] = [];
      for await (const chunk of dump) chunks.push(chunk);
      // Everything after the header: the header names the point, which moves between dumps.
      return Buffer.concat(chunks).toString('utf8').split('\nSET @OLD_CHARACTER_SET_CLIENT')[1];
    };
    const one = await sqlOf(1);
    const three = await sqlOf(3);
    assert.ok(one === three, 'the SQL differs between one and three connections');
    const ids = [...one.matchAll(/^\((-?\d+),'[A-Z]{60}\d+'\)[,;]$/gm)].map((m) => Number(m[1]));
    assert.equal(ids.length, 30000);
    assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), 'the rows of the split table are not in key order');
    assert.deepEqual([...one.matchAll(/^-- Table `(\w+)`$/gm)].map((m) => m[1]), ['big', 'small_a', 'small_b', 'small_c']);
  });

  it('a wrong password fails with SOURCE_UNAVAILABLE naming the database, before any file is written', async () => {
    const src = database('pw_src');
    await run(conn, [`CREATE DATABASE ${src}`, `CREATE TABLE ${src}.t (id int PRIMARY KEY)`]);
    const out = join(dir, 'wrong-password');
    await mkdir(out);
    await assert.rejects(dumpDatabase(ctx(), await input(src, { password: 'not-the-password', output: out })), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_UNAVAILABLE'), String(err));
      assert.match(err.message, /^database main: MySQL at 127\.0\.0\.1:\d+ refused user "\w+" \(access denied\): check the user name and password$/);
      assert.ok(!err.message.includes('not-the-password'));
      return true;
    });
    assert.deepEqual(await readdir(out), []);
  });

  it('a dump failing halfway (a read cut short) fails with SOURCE_FAILED naming the table and leaves no file, temporary or not', async () => {
    const src = database('half_src');
    const user = newDatabaseName('halfdump').slice(0, 32);
    users.push(user);
    await run(conn, [
      `CREATE DATABASE ${src}`,
      `CREATE TABLE ${src}.a_rows (id int PRIMARY KEY, v varchar(100)) ENGINE=InnoDB`,
      `INSERT INTO ${src}.a_rows SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000`,
      `CREATE TABLE ${src}.z_locked (id int PRIMARY KEY) ENGINE=MyISAM`,
      `CREATE USER ${quoteString(user)}@'%' IDENTIFIED BY 'half-pw'`,
      // No RELOAD: the point is one connection's snapshot, which a table lock does not hold up (BACKUP STAGE would wait).
      `GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON ${src}.* TO ${quoteString(user)}@'%'`,
    ]);
    // The last table stays write-locked, so the dump waits for it with the first table's rows written.
    const locker = await admin();
    await locker.query(`LOCK TABLES ${src}.z_locked WRITE`);
    const out = join(dir, 'halfway');
    await mkdir(out);
    const dumping = dumpDatabase(ctx(), await input(src, { user, password: 'half-pw', output: join(out, 'dump.sql.gz') }));
    let settled = false;
    dumping.then(
      () => (settled = true),
      () => (settled = true),
    );
    let waiting: { id: number }[] = [];
    while (waiting.length === 0) {
      if (settled) await dumping; // a failure before the locked table shows up here, not as a hang
      waiting = await conn.query<{ id: number }>("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND INFO LIKE 'SELECT %z_locked%'", [user]);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await readdir(out)).length, 1, 'the dump should be writing its temporary file');
    await conn.query(`KILL QUERY ${waiting[0].id}`);
    await assert.rejects(dumping, (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), String(err));
      assert.match(err.message, /^database main: reading table "z_locked" failed \(.*interrupted.*\): /);
      return true;
    });
    await locker.query('UNLOCK TABLES');
    await locker.close();
    assert.deepEqual(await readdir(out), []);
  });

  it('INSERT statements stay within about 1 MiB: rows go into the next statement, a bigger row is a statement of its own', () => {
    const columns: SqlColumn[] = [
      { name: 'id', kind: 'number' },
      { name: 'v', kind: 'text' },
      { name: 'b', kind: 'hex' },
      { name: 'j', kind: 'json' },
    ];
    const encoder = new SqlInsertEncoder('t`x', columns);
    const chunks: Buffer[] = [];
    const sink = new ByteSink(64 * 1024, (c) => chunks.push(Buffer.from(c)));
    const encode = (fields: (Buffer | null)[]) => {
      const buffer = Buffer.concat(fields.filter((f): f is Buffer => f !== null));
      const row: RawRow = { buffer, count: fields.length, start: new Int32Array(fields.length), end: new Int32Array(fields.length) };
      let at = 0;
      fields.forEach((f, i) => {
        row.start[i] = f === null ? -1 : at;
        row.end[i] = f === null ? -1 : (at += f.length);
      });
      encoder.encodeRow(row, sink);
    };
    const ascii = (n: number) => Buffer.alloc(n, 'a');
    for (let i = 1; i <= 5; i++) encode([Buffer.from(String(i)), ascii(300 * 1024), null, null]);
    encode([Buffer.from('6'), ascii(2 * 1024 * 1024), null, null]);
    encode([Buffer.from('7'), Buffer.from("it's a \\ test\n\r\0\x1a\tdone"), Buffer.from([0, 255]), Buffer.from('{"a":1}')]);
    encode([Buffer.from('8'), Buffer.from('✓ done'), Buffer.alloc(0), Buffer.from('{"a":"é"}')]);
    encode([Buffer.from('9'), null, null, null]);
    encoder.end(sink);
    sink.flush();
    const statements = Buffer.concat(chunks).toString('utf8').split(/;\n/).filter((s) => s !== '');
    const rows = statements.map((s) => s.split('\n').slice(1));
    for (const [i, s] of statements.entries()) {
      assert.ok(s.startsWith('INSERT INTO `t``x` (`id`,`v`,`b`,`j`) VALUES\n('), s.slice(0, 80));
      assert.ok(Buffer.byteLength(s) + 2 <= MAX_STATEMENT_BYTES || rows[i].length === 1, `a statement of ${rows[i].length} rows has ${s.length} bytes`);
    }
    assert.deepEqual(rows.map((r) => r.map((line) => /^\((\d+),/.exec(line)?.[1])), [['1', '2'], ['3', '4'], ['5'], ['6'], ['7', '8', '9']]);
    // ASCII text quoted and escaped; non-ASCII text and JSON as hex (no client character set can misread it).
    assert.deepEqual(rows[4], [
      "(7,'it\\'s a \\\\ test\\n\\r\\0\\Z\tdone',0x00ff,'{\"a\":1}'),",
      `(8,0x${Buffer.from('✓ done').toString('hex')},'',CONVERT(0x${Buffer.from('{"a":"é"}').toString('hex')} USING utf8mb4)),`,
      '(9,NULL,NULL,NULL)',
    ]);
  });

  it('definitions: qualifiers naming the database go, strings stay; MySQL gets DELIMITER lines with a delimiter the body lacks', () => {
    assert.equal(withoutOwnSchema('SELECT * FROM `shop`.`orders` JOIN shop.items USING (id) WHERE note = \'shop.orders\'', 'shop'), "SELECT * FROM `orders` JOIN items USING (id) WHERE note = 'shop.orders'");
    assert.equal(withoutOwnSchema('SELECT "shop"."orders"."id" FROM "shop"."orders"', 'shop', true), 'SELECT "orders"."id" FROM "orders"');
    assert.equal(withoutOwnSchema('SELECT shop_id FROM other.shop', 'shop'), 'SELECT shop_id FROM other.shop');

    const def = { sql: "CREATE DEFINER=`a`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @s = ';;'; SET NEW.n = 'é'; END", sqlMode: 'ANSI_QUOTES', characterSetClient: 'latin1', collationConnection: 'latin1_swedish_ci' };
    const mysql = objectStatements('trigger', 't', def, 'shop', 'mysql');
    assert.equal(
      mysql,
      "DROP TRIGGER IF EXISTS `t`;\nSET character_set_client = 'utf8mb4', collation_connection = 'utf8mb4_general_ci', sql_mode = 'ANSI_QUOTES';\nDELIMITER $$\n" +
        `${def.sql}\n$$\nDELIMITER ;\nSET NAMES utf8mb4;\nSET sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00';\n`,
    );
    const mariadb = objectStatements('trigger', 't', def, 'shop', 'mariadb');
    assert.ok(mariadb.includes(`SET @envsnap_definition = ${quoteString(def.sql)};\nSET character_set_client = 'latin1', collation_connection = 'latin1_swedish_ci', sql_mode = 'ANSI_QUOTES';\nPREPARE`), mariadb);
  });
});
