/**
 * `envsnap db:dump` through the real CLI against a real MariaDB: the .sql.gz lands in the working
 * directory under the default name and loads with the stock `mariadb` client (checksums equal,
 * excluded tables empty); `--output -` streams it to stdout; a wrong password exits 21 with one
 * error line and leaves no file; Ctrl-C in the middle of a dump leaves no file either; the password
 * appears in no output and not in the dump.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import mysql from 'mysql2/promise';
import { testMariaDb, uniqueName, type MariaDbInfo } from '../../src/testing/servers.ts';
import { mariadbClient, oneErrorLine, runCli, runOk, spawnCli } from './helpers.ts';

describe('db:dump (CLI, MariaDB)', () => {
  let dir: string;
  let db: MariaDbInfo;
  let dbName: string;
  let admin: mysql.Connection;
  const copies: string[] = [];
  const users: string[] = [];
  const env = () => ({ SHOP_DB_PASSWORD: db.password });

  async function checksum(database: string, table: string): Promise<string> {
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE \`${database}\`.\`${table}\``);
    return String(rows[0].Checksum);
  }

  /** `zcat FILE | mariadb COPY`, as the dump's header says. */
  const load = (sqlGz: Buffer, copy: string) => mariadbClient(db, copy, gunzipSync(sqlGz));

  before(async () => {
    db = await testMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-dbdump-'));
    dbName = uniqueName('dumpshop');
    admin = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, multipleStatements: true });
    await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4;
      USE ${dbName};
      CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, increment_id VARCHAR(32) NOT NULL, note TEXT, grand_total DECIMAL(20,4), created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;
      CREATE TABLE report_event (event_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, object_id INT) ENGINE=InnoDB;
      INSERT INTO sales_order (increment_id, note, grand_total, created_at) SELECT LPAD(seq, 9, '0'), IF(seq % 3 = 0, 'Bitte klingeln 🔔', NULL), seq * 19.99, FROM_UNIXTIME(1700000000 + seq) FROM seq_1_to_2000;
      INSERT INTO report_event (object_id) SELECT seq FROM seq_1_to_5000;`);
    await writeFile(
      join(dir, 'envsnap.yaml'),
      `project: e2e
repository: repo
environments:
  production:
    type: production
    root: shop
    mounts: [var]
    database: { type: mysql, host: 127.0.0.1, port: ${db.port}, user: ${db.user}, password_env: SHOP_DB_PASSWORD, name: ${dbName} }
  integration:
    type: integration
    root: shop
    mounts: [var]
    database: { type: sqlite, id: main, path: var/shop.db }
`,
    );
  });

  after(async () => {
    for (const c of [dbName, ...copies]) await admin?.query(`DROP DATABASE IF EXISTS \`${c}\``);
    for (const u of users) await admin?.query(`DROP USER IF EXISTS '${u}'@'%'`);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes <project>-<env>-<UTC time>.sql.gz in the working directory; the mariadb client loads it; the password appears nowhere', async () => {
    const r = await runOk(['--json', '-e', 'production', 'db:dump', '--exclude-table', 'report_*'], { cwd: dir, env: env() });
    const out = JSON.parse(r.stdout) as { path: string; bytes: number; tables: number; rows: number; excludedTables: string[]; point: { binlogFile?: string } };
    assert.match(out.path, new RegExp(`^${dir}/e2e-production-\\d{8}-\\d{6}\\.sql\\.gz$`));
    assert.equal(out.tables, 2);
    assert.equal(out.rows, 2000);
    assert.deepEqual(out.excludedTables, ['report_event']);
    assert.equal(typeof out.point.binlogFile, 'string');
    const file = await readFile(out.path);
    assert.equal(file.length, out.bytes);
    const sql = gunzipSync(file).toString('utf8');
    for (const text of [r.stdout, r.stderr, sql]) assert.ok(!text.includes(db.password), 'the database password was printed or dumped');

    const copy = uniqueName('dumpcopy');
    copies.push(copy);
    await admin.query(`CREATE DATABASE ${copy}`);
    load(file, copy);
    assert.equal(await checksum(copy, 'sales_order'), await checksum(dbName, 'sales_order'));
    const [events] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${copy}.report_event`);
    assert.equal(Number(events[0].n), 0, 'the excluded table should exist without rows');
  });

  it('--output - streams the gzip to stdout and the summary to stderr', async () => {
    const run = spawnCli(['-e', 'production', 'db:dump', '--output', '-'], { cwd: dir, env: env() });
    const raw: Buffer[] = [];
    run.child.stdout!.on('data', (b: Buffer) => raw.push(b));
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    const sql = gunzipSync(Buffer.concat(raw)).toString('utf8');
    assert.match(sql, /^CREATE TABLE `sales_order` \(/m);
    assert.ok(sql.endsWith('\n-- envsnap: dump complete\n'));
    assert.match(r.stderr, /^wrote stdout: /m);
  });

  it('a wrong password exits 21 with one error line naming the database, and leaves no file', async () => {
    const empty = join(dir, 'wrong-password');
    await mkdir(empty);
    const r = await runCli(['-e', 'production', 'db:dump', '--output', empty], { cwd: dir, env: { SHOP_DB_PASSWORD: 'not-the-Secret-42' } });
    assert.equal(r.code, 21, r.stderr);
    assert.match(oneErrorLine(r), /^error: database default: MySQL at 127\.0\.0\.1:\d+ refused user .*: check the user name and password$/);
    assert.ok(!(r.stdout + r.stderr).includes('not-the-Secret-42'), 'the password was printed');
    assert.deepEqual(await readdir(empty), []);
  });

  it('Ctrl-C in the middle of a dump exits 130 and leaves no file, temporary or not', async () => {
    // A user without RELOAD pins with one connection's snapshot, which a table lock does not hold up;
    // the dump then waits for the write-locked table, with the rows before it written.
    const user = uniqueName('dumpint').slice(0, 32);
    users.push(user);
    await admin.query(`CREATE TABLE ${dbName}.zz_locked (id INT PRIMARY KEY) ENGINE=MyISAM;
      CREATE USER '${user}'@'%' IDENTIFIED BY 'int-pw';
      GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON ${dbName}.* TO '${user}'@'%'`);
    const locker = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
    const out = join(dir, 'interrupted');
    await mkdir(out);
    try {
      await locker.query(`LOCK TABLES ${dbName}.zz_locked WRITE`);
      const yaml = (await readFile(join(dir, 'envsnap.yaml'), 'utf8')).replace(`user: ${db.user},`, `user: ${user},`);
      await writeFile(join(out, 'envsnap.yaml'), yaml);
      const run = spawnCli(['-e', 'production', 'db:dump'], { cwd: out, env: { SHOP_DB_PASSWORD: 'int-pw' } });
      let exited = false;
      void run.done.then(() => (exited = true));
      for (;;) {
        const temps = (await readdir(out)).filter((f) => f.endsWith('.tmp'));
        const [waiting] = await admin.query<mysql.RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND INFO LIKE 'SELECT %zz_locked%'", [user]);
        if ((waiting.length > 0 && temps.length > 0) || exited) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // (The message is built only on failure: awaiting the run here would wait for its end.)
      if (exited) assert.fail(`the dump ended before it reached the locked table: ${(await run.done).stderr}`);
      run.child.kill('SIGTERM');
      const r = await run.done;
      assert.equal(r.code, 130, r.stderr);
      assert.deepEqual(await readdir(out), ['envsnap.yaml']);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
      await admin.query(`DROP TABLE ${dbName}.zz_locked`);
    }
  });

  it('an SQLite database or an id the environment lacks is refused, naming it', async () => {
    const sqlite = await runCli(['-e', 'integration', 'db:dump', '--database', 'main'], { cwd: dir });
    assert.equal(sqlite.code, 1, sqlite.stderr);
    assert.match(oneErrorLine(sqlite), /database main of environment integration is SQLite .*db:dump dumps MySQL\/MariaDB databases/);
    const none = await runCli(['-e', 'integration', 'db:dump'], { cwd: dir });
    assert.match(oneErrorLine(none), /environment integration has no MySQL\/MariaDB database \(only main \(sqlite\)\)/);
    const missing = await runCli(['-e', 'production', 'db:dump', '--database', 'nope'], { cwd: dir, env: env() });
    assert.match(oneErrorLine(missing), /environment production has no database nope \(it has default\): pass one of those with --database/);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.sql.gz') || f.endsWith('.tmp')).length, 1, 'only the first test should have written a dump');
  });
});
