/**
 * Tests of the SQLite driver: the Source contract over a WAL-mode shop database whose rows live only
 * in the uncheckpointed write-ahead log (and over a rollback-journal database), plus what the
 * contract does not cover: a failed restore leaves the target as it was, stale logs beside the
 * target are not replayed into the restored file, the private backup copy never stays behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import { describeSource, type SourceFixture } from '../../testing/source-contract.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import type { CaptureOptions, EntryWriter, Sink, Source } from '../source.ts';
import { SqliteSink } from './sqlite-sink.ts';
import { DATABASE_ENTRY, META_ENTRY, SqliteSource } from './sqlite-source.ts';

interface SqliteFixture extends SourceFixture {
  dir: string;
  sourcePath: string;
  targetPath: string;
  tempDir: string;
}

function opts(): CaptureOptions {
  return { logger: new MemoryLogger(), progress: noProgress };
}

/** Customers and orders with text, reals, blobs big enough for overflow pages: about 1.5 MiB. */
function seed(db: DatabaseSync): void {
  db.exec(`
    CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, balance REAL);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL, note TEXT, payload BLOB);
    CREATE INDEX orders_customer ON orders (customer_id);
    CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
  `);
  const customer = db.prepare('INSERT INTO customers (email, name, balance) VALUES (?, ?, ?)');
  const order = db.prepare('INSERT INTO orders (customer_id, total, note, payload) VALUES (?, ?, ?, ?)');
  db.exec('BEGIN');
  for (let i = 1; i <= 300; i++) customer.run(`c${i}@shop.example`, `Kundin ${i} — Müller`, i * 1.25);
  for (let i = 1; i <= 2500; i++) order.run((i % 300) + 1, i * 0.5, i % 7 === 0 ? null : `order ${i}`, Buffer.alloc(i % 11 === 0 ? 5000 : 500, i % 256));
  db.exec('COMMIT');
}

/** Every schema object's SQL and every table's rows in rowid order, hashed (a failing diff stays short). */
function fingerprintOf(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true, readBigInts: true });
  try {
    const h = createHash('sha256');
    const schema = db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name").all();
    for (const s of schema) {
      h.update(`${String(s.type)} ${String(s.name)}: ${String(s.sql)}\n`);
      if (s.type !== 'table') continue;
      for (const row of db.prepare(`SELECT rowid AS _rowid, * FROM "${String(s.name)}" ORDER BY rowid`).iterate()) {
        h.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
        h.update('\n');
      }
    }
    return h.digest('hex');
  } finally {
    db.close();
  }
}

/**
 * A shop database whose connection stays open for the whole test. In WAL mode with automatic
 * checkpoints off, the seeded rows exist only in the `-wal` file, so a capture that copied the main
 * file alone would lose them.
 */
async function makeFixture(journal: 'wal' | 'delete'): Promise<SqliteFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-sqlite-test-'));
  const sourcePath = join(dir, 'shop', 'shop.db');
  const targetPath = join(dir, 'restore', 'shop.db');
  const tempDir = join(dir, 'tmp');
  for (const d of ['shop', 'restore', 'tmp']) mkdirSync(join(dir, d));
  const shop = new DatabaseSync(sourcePath);
  shop.exec(journal === 'wal' ? 'PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;' : 'PRAGMA journal_mode = DELETE;');
  seed(shop);
  if (journal === 'wal') {
    const mainOnly = join(dir, 'main-file-only.db');
    copyFileSync(sourcePath, mainOnly);
    const check = new DatabaseSync(mainOnly, { readOnly: true });
    const tables = check.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get()?.n;
    check.close();
    rmSync(mainOnly);
    assert.equal(tables, 0, 'fixture: the seeded rows should live only in the uncheckpointed -wal file');
  }
  return {
    dir,
    sourcePath,
    targetPath,
    tempDir,
    async source() {
      return new SqliteSource({ name: 'database default', path: sourcePath, tempDir });
    },
    async sink() {
      return new SqliteSink({ name: 'database default', path: targetPath });
    },
    async fingerprint(which) {
      return fingerprintOf(which === 'source' ? sourcePath : targetPath);
    },
    async mutate() {
      shop.prepare('INSERT INTO customers (email, name, balance) VALUES (?, ?, ?)').run('late@shop.example', 'Late', 1);
      shop.exec('UPDATE orders SET total = total + 1 WHERE id = 10; DELETE FROM orders WHERE id = 20;');
    },
    async dirtyTarget() {
      const t = new DatabaseSync(targetPath);
      t.exec("CREATE TABLE leftover (x); INSERT INTO leftover VALUES ('from an older install'); CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);");
      t.close();
    },
    async unreachable() {
      return new SqliteSource({ name: 'database missing', path: join(dir, 'shop', 'missing.db'), tempDir });
    },
    async cleanup() {
      shop.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function capture(source: Source): Promise<MemoryEntries> {
  const entries = new MemoryEntries();
  try {
    await source.open(opts());
    await source.pin();
    await source.capture(entries, opts());
  } finally {
    await source.close();
  }
  return entries;
}

async function restore(sink: Sink, entries: MemoryEntries): Promise<void> {
  try {
    await sink.open(opts());
    await sink.restore(entries, { ...opts(), details: {} });
  } finally {
    await sink.close();
  }
}

async function describeTarget(sink: Sink): Promise<string> {
  await sink.open(opts());
  try {
    return await sink.describeTarget();
  } finally {
    await sink.close();
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeSource('sqlite (WAL mode, rows only in the uncheckpointed log)', () => makeFixture('wal'), { pointInTime: true });
describeSource('sqlite (rollback journal)', () => makeFixture('delete'), { pointInTime: true });

describe('SQLite driver', () => {
  const withFixture = (fn: (f: SqliteFixture) => Promise<void>) => async () => {
    const f = await makeFixture('wal');
    try {
      await fn(f);
    } finally {
      await f.cleanup();
    }
  };

  it(
    'writes the database file and a meta.json naming its tables; the restored file is byte-identical to the captured one',
    withFixture(async (f) => {
      const entries = await capture(await f.source());
      assert.deepEqual(
        entries.list().map((e) => e.path),
        [DATABASE_ENTRY, META_ENTRY],
      );
      const db = entries.files.get(DATABASE_ENTRY)!;
      assert.equal(db.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
      const meta = JSON.parse(entries.files.get(META_ENTRY)!.toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(meta.tables, ['customers', 'orders']);
      assert.equal(Number(meta.pages) * Number(meta.pageSize), db.length);
      assert.match(String(meta.sqliteVersion), /^3\.\d+\.\d+$/);
      assert.ok(db.length > 1024 * 1024, `the fixture database is ${db.length} bytes, too small to be streamed in several reads`);

      await restore(await f.sink(), entries);
      assert.equal(sha256(readFileSync(f.targetPath)), sha256(db));
    }),
  );

  for (const [what, damage] of [
    ['a truncated database.sqlite', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    ['a database.sqlite that is not an SQLite file', (b: Buffer) => Buffer.alloc(b.length, 'x')],
  ] as const) {
    it(
      `a failed restore (${what}) leaves the target as it was and no temp file behind`,
      withFixture(async (f) => {
        const good = await capture(await f.source());
        await f.dirtyTarget();
        const before = readFileSync(f.targetPath);
        const fingerprintBefore = await f.fingerprint('target');
        const bad = new MemoryEntries();
        await bad.writeFile(DATABASE_ENTRY, damage(good.files.get(DATABASE_ENTRY)!));
        await bad.writeFile(META_ENTRY, good.files.get(META_ENTRY)!);

        await assert.rejects(restore(await f.sink(), bad), (err: unknown) => {
          assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), `expected SOURCE_FAILED, got ${String(err)}`);
          assert.ok(err.message.includes(f.targetPath) && err.message.includes('left as it was'), err.message);
          assert.ok(!err.message.includes('\n'), 'the message is not one line');
          return true;
        });
        assert.ok(readFileSync(f.targetPath).equals(before), 'the target file changed');
        assert.equal(await f.fingerprint('target'), fingerprintBefore);
        assert.deepEqual(readdirSync(join(f.dir, 'restore')), ['shop.db']);
      }),
    );
  }

  it(
    'removes a stale -wal/-shm beside the target, so SQLite does not replay an old log into the restored file',
    withFixture(async (f) => {
      const entries = await capture(await f.source());
      // A crashed writer: the target's main file plus a log of commits that were never checkpointed.
      const writer = new DatabaseSync(f.targetPath);
      writer.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;');
      seed(writer);
      writer.exec("UPDATE customers SET name = 'from the stale log'");
      const stale = readFileSync(`${f.targetPath}-wal`);
      const staleShm = readFileSync(`${f.targetPath}-shm`);
      writer.close();
      writeFileSync(`${f.targetPath}-wal`, stale);
      writeFileSync(`${f.targetPath}-shm`, staleShm);

      await restore(await f.sink(), entries);
      assert.ok(!existsSync(`${f.targetPath}-wal`) && !existsSync(`${f.targetPath}-shm`), 'the stale log is still beside the target');
      assert.equal(await f.fingerprint('target'), await f.fingerprint('source'));
    }),
  );

  it(
    'open() of a file that is not an SQLite database fails with SOURCE_UNAVAILABLE naming the source and the path',
    withFixture(async (f) => {
      const path = join(f.dir, 'shop', 'notes.txt');
      writeFileSync(path, 'not a database\n'.repeat(400));
      const s = new SqliteSource({ name: 'database notes', path, tempDir: f.tempDir });
      await assert.rejects(s.open(opts()), (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'SOURCE_UNAVAILABLE'), `expected SOURCE_UNAVAILABLE, got ${String(err)}`);
        assert.ok(err.message.includes('database notes') && err.message.includes(path), err.message);
        return true;
      });
      await s.close();
    }),
  );

  it(
    'the private backup copy exists from pin() to close() and is removed by close(), also after a failed capture',
    withFixture(async (f) => {
      const s = await f.source();
      await s.open(opts());
      await s.pin();
      assert.equal(readdirSync(f.tempDir).length, 1, 'pin() took no copy into the temp folder');
      const failing: EntryWriter = {
        async writeFile() {
          throw new Error('repository went away');
        },
      };
      await assert.rejects(s.capture(failing, opts()), /repository went away/);
      await s.close();
      assert.deepEqual(readdirSync(f.tempDir), []);
      await s.close();
    }),
  );

  it(
    'describeTarget() is empty for a missing file or a database without tables, and names path and tables otherwise',
    withFixture(async (f) => {
      assert.equal(await describeTarget(await f.sink()), '');
      new DatabaseSync(f.targetPath).close();
      assert.ok(existsSync(f.targetPath));
      assert.equal(await describeTarget(await f.sink()), '');
      await restore(await f.sink(), await capture(await f.source()));
      assert.match(await describeTarget(await f.sink()), new RegExp(`^sqlite ${f.targetPath.replaceAll('.', '\\.')}: 2 tables, \\d+\\.\\d+ MiB$`));
    }),
  );

  it(
    'a restore into a folder that does not exist fails in open() with SOURCE_UNAVAILABLE naming the folder',
    withFixture(async (f) => {
      const sink = new SqliteSink({ name: 'database default', path: join(f.dir, 'nowhere', 'shop.db') });
      await assert.rejects(sink.open(opts()), (err: unknown) => isEnvsnapError(err, 'SOURCE_UNAVAILABLE') && err.message.includes(join(f.dir, 'nowhere')));
      assert.ok(!existsSync(join(f.dir, 'nowhere')));
    }),
  );
});
