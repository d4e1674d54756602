/**
 * A snapshot's database exported as SQL (snapshot:export): captured from a real MariaDB, turned
 * into a script from the snapshot's files alone, loaded with the stock `mariadb` client into a
 * database of another name — CHECKSUM TABLE and SHOW CREATE of everything equal the source's, with
 * every column type, utf16/sjis/ucs2 columns, a row of several MiB, a table split into parts and
 * views on views. A damaged rows file is refused naming the table, not exported short.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import { testMariaDb } from '../../testing/servers.ts';
import type { MysqlConnection } from './connection.ts';
import { MysqlSource } from './mysql-source.ts';
import { snapshotSql } from './snapshot-sql.ts';
import { admin, dropDatabases, fingerprint, newDatabaseName, run, settingsFor, typesSchema } from './test-fixtures.ts';

async function capture(db: string): Promise<MemoryEntries> {
  const source = new MysqlSource(await settingsFor(db), { partBytes: 4096 });
  const entries = new MemoryEntries();
  const log = { logger: new MemoryLogger(), progress: noProgress };
  try {
    await source.open(log);
    await source.pin();
    await source.capture(entries, log);
    return entries;
  } finally {
    await source.close();
  }
}

async function scriptOf(entries: MemoryEntries): Promise<Buffer> {
  const s = await snapshotSql(entries, { name: 'database default', header: ['envsnap test export'] });
  const parts: Buffer[] = [];
  for await (const c of s.chunks) parts.push(c);
  return Buffer.concat(parts);
}

describe('a snapshot of a database exported as an SQL script', () => {
  let conn: MysqlConnection;
  const created: string[] = [];
  const database = (prefix: string) => {
    const name = newDatabaseName(prefix);
    created.push(name);
    return name;
  };

  before(async () => {
    conn = await admin();
    await run(conn, ["CREATE USER IF NOT EXISTS 'envsnap_definer'@'%'", "GRANT SELECT ON *.* TO 'envsnap_definer'@'%'"]);
  });
  after(async () => {
    await dropDatabases(conn, ...created);
    await conn.close();
  });

  it('loads with the mariadb client into another database with equal checksums and definitions', async () => {
    const src = database('exp_src');
    const dst = database('exp_dst');
    await run(conn, [
      ...typesSchema(src, { bigRowBytes: 3 * 1024 * 1024 }),
      `CREATE TABLE ${src}.\`char sets\` (
        id int NOT NULL AUTO_INCREMENT PRIMARY KEY, b5 bit(5), u16 varchar(20) CHARACTER SET utf16, sj varchar(20) CHARACTER SET sjis,
        e8 enum('ä','b','') CHARACTER SET latin1, s16 set('ü','x') CHARACTER SET ucs2, note text, f float, j json
      ) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4`,
      `INSERT INTO ${src}.\`char sets\` VALUES
        (1, b'10101', 'Grüße 🍕', CONVERT('日本語' USING sjis), 'ä', 'ü,x', 'it''s a \\\\ test\\n\\t\\0 ✓', 0.1, '{"a": "ü"}'),
        (2, b'00000', 'AB', 'plain', '', '', '', -3.4e38, '[]'),
        (3, b'11111', CHAR(0x4142 USING utf16), '', 'b', 'x', NULL, NULL, NULL)`,
      `INSERT INTO ${src}.\`char sets\` (note) SELECT REPEAT('row ', seq) FROM seq_1_to_300`,
      // Created base first; exported in name order a_on_top would come before the view it reads.
      `CREATE VIEW ${src}.z_base AS SELECT id, note FROM ${src}.\`char sets\``,
      `CREATE VIEW ${src}.a_on_top AS SELECT id FROM ${src}.z_base WHERE id > 1`,
    ]);
    const before = await fingerprint(conn, src);
    const entries = await capture(src);
    assert.ok(entries.list().filter((e) => e.path.startsWith('data/char%20sets/')).length > 1, 'the table should be split into several parts');

    const sql = await scriptOf(entries);
    assert.ok(sql.toString('utf8').endsWith('\n-- envsnap: dump complete\n'));
    const info = await testMariaDb();
    await run(conn, [`CREATE DATABASE ${dst} CHARACTER SET latin1`]);
    const r = spawnSync('mariadb', ['--no-defaults', '-h', info.host, '-P', String(info.port), '-u', info.user, `-p${info.password}`, dst], { input: sql, maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr.toString('utf8'));
    assert.equal(await fingerprint(conn, dst), before.replace(/[`"]?<db>[`"]?\./g, ''));
  });

  it('a rows file cut short or holding other rows than recorded is refused, naming the table', async () => {
    const src = database('exp_bad');
    await run(conn, [`CREATE DATABASE ${src}`, `CREATE TABLE ${src}.orders (id int PRIMARY KEY, note varchar(20))`, `INSERT INTO ${src}.orders SELECT seq, 'x' FROM seq_1_to_50`]);
    const entries = await capture(src);
    const file = entries.list().find((e) => e.path.startsWith('data/orders/'))!.path;
    const good = entries.files.get(file)!;
    for (const bad of [good.subarray(0, good.length - 3), good.subarray(0, good.indexOf(0x0a) + 1)]) {
      entries.files.set(file, bad);
      await assert.rejects(scriptOf(entries), (err) => isEnvsnapError(err, 'CORRUPT') && /table "orders"/.test(err.message) && /check --read-data/.test(err.message));
    }
  });
});
