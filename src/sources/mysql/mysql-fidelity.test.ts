/**
 * What a MySQL snapshot must carry exactly and survive: every column type (byte-exact, checked by
 * CHECKSUM TABLE and SHOW CREATE), a row over 16 MB, names needing quoting, views on views,
 * routines, events and definers, a restore under another database name, a table split into parts
 * dumped in parallel, a restore that fails halfway (the target stays as it was), a source without
 * the RELOAD privilege, and failures during capture (SOURCE_FAILED naming the table, every
 * connection released).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import type { EntryReader, EntryWriter } from '../source.ts';
import type { MysqlConnection, MysqlConnectionSettings } from './connection.ts';
import { parseMeta } from './format.ts';
import { MysqlSink } from './mysql-sink.ts';
import { MysqlSource, type MysqlSourceOptions } from './mysql-source.ts';
import { quoteString } from './quote.ts';
import { admin, dropDatabases, fingerprint, magentoSchema, newDatabaseName, run, settingsFor, typesSchema } from './test-fixtures.ts';

const opts = () => ({ logger: new MemoryLogger(), progress: noProgress });

async function capture(settings: MysqlConnectionSettings, o: MysqlSourceOptions = {}, between?: () => Promise<void>) {
  const source = new MysqlSource(settings, o);
  const entries = new MemoryEntries();
  const log = opts();
  try {
    await source.open(log);
    const pin = await source.pin();
    await between?.();
    const result = await source.capture(entries, log);
    return { entries, pin, result, logger: log.logger };
  } finally {
    await source.close();
  }
}

async function restore(settings: MysqlConnectionSettings, input: EntryReader, details: Record<string, unknown> = {}) {
  const sink = new MysqlSink(settings);
  const log = opts();
  try {
    await sink.open(log);
    await sink.restore(input, { ...log, details });
    return log.logger;
  } finally {
    await sink.close();
  }
}

async function databaseExists(conn: MysqlConnection, name: string): Promise<boolean> {
  return (await conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length > 0;
}

/** Connections the server has open for `user` (dedicated users make a test's connections countable). */
async function connectionsOf(conn: MysqlConnection, user: string): Promise<number[]> {
  return (await conn.query<{ id: number }>("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND <> 'Killed'", [user])).map((r) => Number(r.id));
}

/** The connections of `user` once the server has finished closing them (a closed socket leaves the list a moment later). */
async function settledConnectionsOf(conn: MysqlConnection, user: string): Promise<number[]> {
  for (let i = 0; i < 100; i++) {
    const ids = await connectionsOf(conn, user);
    if (ids.length === 0) return ids;
    await new Promise((r) => setTimeout(r, 50));
  }
  return connectionsOf(conn, user);
}

describe('MySQL snapshots carry everything exactly', () => {
  let conn: MysqlConnection;
  const created: string[] = [];
  const users: string[] = [];
  const database = (prefix: string) => {
    const name = newDatabaseName(prefix);
    created.push(name);
    return name;
  };
  const user = async (prefix: string, grants: string[]) => {
    const name = newDatabaseName(prefix).slice(0, 32);
    users.push(name);
    const password = `pw-${name}`;
    await run(conn, [`CREATE USER ${quoteString(name)}@'%' IDENTIFIED BY ${quoteString(password)}`, ...grants.map((g) => `GRANT ${g} TO ${quoteString(name)}@'%'`)]);
    return { user: name, password };
  };

  before(async () => {
    conn = await admin();
    // The definer of a view in the fixture; shared by the tests of every process, so created if missing.
    await run(conn, ["CREATE USER IF NOT EXISTS 'envsnap_definer'@'%'", "GRANT SELECT ON *.* TO 'envsnap_definer'@'%'"]);
  });
  after(async () => {
    await dropDatabases(conn, ...created);
    for (const u of users) await conn.query(`DROP USER IF EXISTS ${quoteString(u)}@'%'`);
    await conn.close();
  });

  it('every column type, a 17 MiB row, quoted names, views on views, routines, triggers and events round-trip into a database of another name', async () => {
    const src = database('types_src');
    const dst = database('types_dst');
    const bigRowBytes = 17 * 1024 * 1024;
    await run(conn, typesSchema(src, { bigRowBytes }));
    const before = await fingerprint(conn, src);

    const { entries, pin, result, logger } = await capture(await settingsFor(src));
    assert.equal(pin.consistent, false, 'a MyISAM table cannot be consistent');
    assert.deepEqual(pin.details.nonTransactionalTables, ['log_myisam (MyISAM)']);
    assert.ok(logger.warnings().some((w) => w.includes('log_myisam')), 'the MyISAM table is not named in a warning');
    assert.equal(pin.details.method, 'backup-stage');
    assert.equal(typeof pin.details.binlogFile, 'string', 'the test server logs binlogs: the point has a binlog position');

    // The layout: quoted names map to safe unique paths; BIT/FLOAT columns are converted, generated ones left out.
    const paths = entries.list().map((e) => e.path);
    assert.ok(paths.includes('schema/tables/we%60ird%20tbl%2Ename%2F%C3%BC%20%E2%82%AC.sql'), paths.join('\n'));
    assert.ok(paths.includes('data/%2E%2E/000000.tsv'));
    assert.ok(paths.includes('schema/views/view%2Ewith%20space.sql'));
    const meta = parseMeta(entries.files.get('meta.json')!.toString('utf8'), 'test');
    const types = meta.tables.find((t) => t.name === 'types')!;
    assert.deepEqual(
      types.columns.filter((c) => c.dump !== 'raw').map((c) => `${c.name}:${c.dump}`),
      ['f:float', 'b1:bit', 'b10:bit', 'b64:bit'],
    );
    assert.ok(!types.columns.some((c) => c.name === 'gv' || c.name === 'gs'), 'generated columns were dumped');
    assert.equal(types.rows, 5);
    assert.equal(meta.tables.find((t) => t.name === 'empty_table')!.parts.length, 0, 'an empty table writes no data file');
    assert.equal(meta.tables.find((t) => t.name === 'nopk')!.order, 'none');

    const log = await restore(await settingsFor(dst), entries, result.details);
    assert.deepEqual(log.warnings(), [], 'the restoring user may keep every definer');
    assert.equal(await fingerprint(conn, dst), before);
    const [big] = await conn.query<{ n: string | number }>(`SELECT LENGTH(lb) AS n FROM ${dst}.types WHERE id = 10`);
    assert.equal(Number(big.n), bigRowBytes);
    // The procedure named its database (quoted and bare): now it names the target.
    const [proc] = await conn.query<Record<string, string>>(`SHOW CREATE PROCEDURE ${dst}.p_count`);
    assert.ok(!proc['Create Procedure'].includes(src) && proc['Create Procedure'].includes(`FROM ${dst}.types`), proc['Create Procedure']);
    assert.ok(!(await databaseExists(conn, `${dst}__envsnap_new`)) && !(await databaseExists(conn, `${dst}__envsnap_old`)), 'staging schemas left behind');
  });

  it('a table split into many parts is dumped by two connections to the same checksums, each part in key order', async () => {
    const src = database('split_src');
    const dst = database('split_dst');
    await run(conn, [
      `CREATE DATABASE ${src}`,
      `CREATE TABLE ${src}.big (id bigint NOT NULL, payload varchar(200) NOT NULL, n double, PRIMARY KEY (id), KEY by_payload (payload(20))) ENGINE=InnoDB`,
      `INSERT INTO ${src}.big SELECT CAST(seq AS SIGNED) * 3 - 1000, CONCAT(REPEAT(CHAR(65 + seq % 26), 60), '\\t', seq), seq / 7 FROM seq_1_to_30000`,
      `ANALYZE TABLE ${src}.big`,
    ]);
    const before = await fingerprint(conn, src);
    const { entries, pin, result } = await capture(await settingsFor(src), { parallel: 2, partBytes: 128 * 1024 });
    assert.equal(pin.details.connections, 2);
    const meta = parseMeta(entries.files.get('meta.json')!.toString('utf8'), 'test');
    const big = meta.tables[0];
    assert.ok(big.parts.length >= 4, `expected the table in at least 4 parts, got ${big.parts.length}`);
    assert.equal(
      big.parts.reduce((n, p) => n + p.rows, 0),
      30000,
    );
    let last = -Infinity;
    for (const p of big.parts) {
      const ids = entries.files.get(p.file)!.toString('latin1').trimEnd().split('\n').map((line) => Number(line.split('\t')[0]));
      assert.equal(ids.length, p.rows);
      for (const id of ids) {
        assert.ok(id > last, `${p.file}: key ${id} after ${last}`);
        last = id;
      }
    }
    await restore(await settingsFor(dst), entries, result.details);
    assert.equal(await fingerprint(conn, dst), before);
  });

  it('a restore failing halfway (a bad part, a read error) leaves the target exactly as it was', async () => {
    const src = database('fail_src');
    const dst = database('fail_dst');
    await run(conn, magentoSchema(src));
    const first = await capture(await settingsFor(src), { partBytes: 4096 });
    const describe = async () => {
      const sink = new MysqlSink(await settingsFor(dst));
      try {
        await sink.open(opts());
        return await sink.describeTarget();
      } finally {
        await sink.close();
      }
    };
    assert.equal(await describe(), '', 'a database that does not exist is an empty target');
    await restore(await settingsFor(dst), first.entries);
    assert.match(await describe(), new RegExp(`^database ${dst} on 127\\.0\\.0\\.1:\\d+: 37 tables, ~[\\d.]+ (KiB|MiB)$`));
    const good = await fingerprint(conn, dst);

    await run(conn, [`UPDATE ${src}.sales_order SET status = 'changed'`, `DROP TABLE ${src}.flag`, `CREATE TABLE ${src}.newer (id int PRIMARY KEY)`]);
    const second = await capture(await settingsFor(src), { partBytes: 4096 });
    const meta = parseMeta(second.entries.files.get('meta.json')!.toString('utf8'), 'test');
    const parts = meta.tables.find((t) => t.name === 'catalog_product_entity_varchar')!.parts;
    assert.ok(parts.length >= 3);

    // A part whose rows do not fit the table: the server warns, the restore stops before the swap.
    const bad = new MemoryEntries();
    for (const [path, data] of second.entries.files) bad.files.set(path, data);
    bad.files.set(parts[1].file, Buffer.from('1\t2\n'));
    await assert.rejects(restore(await settingsFor(dst), bad), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), String(err));
      assert.match(err.message, /^database default: loading table "catalog_product_entity_varchar" \(data\/catalog_product_entity_varchar\/\d+\.tsv\).*the target was left as it was/);
      return true;
    });
    assert.equal(await fingerprint(conn, dst), good);

    // The repository fails in the middle of a part (a chunk that does not decrypt, a lost disk).
    const broken: EntryReader = {
      list: () => second.entries.list(),
      read: (path) =>
        path !== parts[2].file
          ? second.entries.read(path)
          : (async function* () {
              yield Buffer.from(second.entries.files.get(path)!.subarray(0, 100));
              throw new EnvsnapError('CORRUPT', `chunk of ${path} failed its hash check`);
            })(),
    };
    await assert.rejects(restore(await settingsFor(dst), broken), /failed its hash check/);
    assert.equal(await fingerprint(conn, dst), good);
    assert.ok(!(await databaseExists(conn, `${dst}__envsnap_new`)), 'the staging schema was left behind');

    // And the same snapshot, whole, restores.
    await restore(await settingsFor(dst), second.entries);
    assert.equal(await fingerprint(conn, dst), await fingerprint(conn, src));
  });

  it('without the RELOAD privilege the dump runs on one connection, still as of the pinned point', async () => {
    const src = database('noreload_src');
    const dst = database('noreload_dst');
    await run(conn, magentoSchema(src));
    const u = await user('noreload', [`SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON ${src}.*`]);
    const before = await fingerprint(conn, src);
    const { entries, pin, logger } = await capture(await settingsFor(src, { ...u }), { parallel: 2 }, () =>
      run(conn, [`DELETE FROM ${src}.quote_item`, `INSERT INTO ${src}.flag (flag_code) VALUES ('after pin')`]),
    );
    assert.equal(pin.details.method, 'single-connection');
    assert.equal(pin.details.connections, 1);
    assert.equal(pin.consistent, true);
    assert.ok(
      logger.warnings().some((w) => w.includes(`user "${u.user}" lacks the RELOAD privilege`) && w.includes('one connection')),
      logger.warnings().join('\n'),
    );
    await restore(await settingsFor(dst), entries);
    assert.equal(await fingerprint(conn, dst), before);
  });

  it('a restoring user who may not name other definers gets the objects as its own, with a warning naming each', async () => {
    const src = database('definer_src');
    const dst = database('definer_dst');
    await run(conn, [
      `CREATE DATABASE ${src}`,
      `CREATE TABLE ${src}.t (id int PRIMARY KEY)`,
      `INSERT INTO ${src}.t VALUES (1), (2)`,
      `CREATE DEFINER = 'envsnap_definer'@'%' VIEW ${src}.v_def AS SELECT id FROM ${src}.t`,
      `CREATE DEFINER = 'envsnap_definer'@'%' EVENT ${src}.ev_def ON SCHEDULE EVERY 1 HOUR STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM ${src}.t WHERE id < 0`,
    ]);
    const u = await user('restorer', [`ALL PRIVILEGES ON \`${dst}%\`.*`]);
    const { entries } = await capture(await settingsFor(src));
    const log = await restore(await settingsFor(dst, { ...u }), entries);
    const warnings = log.warnings();
    for (const object of ['view "v_def"', 'event "ev_def"']) {
      assert.ok(
        warnings.some((w) => w.startsWith('database default: ') && w.includes(object) && w.includes(`instead of \`envsnap_definer\`@\`%\``)),
        `no warning names ${object}: ${warnings.join('\n')}`,
      );
    }
    const [view] = await conn.query<Record<string, string>>(`SHOW CREATE VIEW ${dst}.v_def`);
    assert.match(view['Create View'], new RegExp(`DEFINER=\`${u.user}\`@\`%\``));
    const [count] = await conn.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${dst}.v_def`);
    assert.equal(Number(count.n), 2);
  });

  it('a table dropped during the capture fails it with SOURCE_FAILED naming the source and the table', async () => {
    const src = database('drop_src');
    await run(conn, [`CREATE DATABASE ${src}`, `CREATE TABLE ${src}.stays (id int PRIMARY KEY)`, `CREATE TABLE ${src}.goes (id int PRIMARY KEY)`]);
    await assert.rejects(
      capture(await settingsFor(src), {}, () => run(conn, [`DROP TABLE ${src}.goes`])),
      (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), String(err));
        assert.match(err.message, /^database default: (reading )?table "goes" .*dropped.*: run the snapshot again$/);
        return true;
      },
    );
  });

  it('a connection lost during the capture fails it with SOURCE_FAILED naming the table; close() leaves no connection open', async () => {
    const src = database('kill_src');
    await run(conn, [
      `CREATE DATABASE ${src}`,
      `CREATE TABLE ${src}.wide (id int PRIMARY KEY, blob_col longblob)`,
      // 48 MiB: more than the reader buffers, so the server is still sending when it is cut off.
      `INSERT INTO ${src}.wide SELECT seq, REPEAT(CHAR(seq % 256), 1024 * 1024) FROM seq_1_to_48`,
    ]);
    const u = await user('killed', ['ALL PRIVILEGES ON *.*']);
    const source = new MysqlSource(await settingsFor(src, { ...u }), { parallel: 2 });
    const log = opts();
    await source.open(log);
    assert.equal((await connectionsOf(conn, u.user)).length, 3, 'open() should hold a control connection and two workers');
    await source.pin();
    let killed = false;
    const writer: EntryWriter = {
      async writeFile(path, data) {
        let size = 0;
        if (data instanceof Uint8Array) return { size: data.length };
        for await (const chunk of data) {
          size += chunk.length;
          if (!killed && path.startsWith('data/')) {
            killed = true;
            for (const id of await connectionsOf(conn, u.user)) await conn.query(`KILL CONNECTION ${id}`).catch(() => {});
          }
        }
        return { size };
      },
    };
    await assert.rejects(source.capture(writer, log), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), String(err));
      assert.match(err.message, /^database default: reading table "wide" failed/);
      return true;
    });
    assert.ok(killed);
    await source.close();
    await source.close();
    assert.deepEqual(await settledConnectionsOf(conn, u.user), []);

    // close() after a refused open() releases its connection as well.
    const missing = new MysqlSource(await settingsFor(`${src}_missing`, { ...u }));
    await assert.rejects(missing.open(opts()), /does not exist/);
    await missing.close();
    assert.deepEqual(await settledConnectionsOf(conn, u.user), []);
  });
});
