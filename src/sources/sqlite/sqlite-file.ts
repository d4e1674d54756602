/**
 * SQLite file helpers shared by the SQLite source and sink: opening a database file so that a
 * missing or foreign file fails at once (SQLite itself opens lazily and would only fail at the first
 * query), reading its table list, and naming the companion files SQLite keeps beside a database.
 */
import { DatabaseSync } from 'node:sqlite';

/** How long a statement waits for another connection's lock before failing (SQLite's busy timeout). */
const BUSY_TIMEOUT_MS = 30_000;

/**
 * Opens `path` and reads its schema once, so "not a database" and "cannot open" surface here.
 * Read-only connections never write the file (no checkpoint on close), which is what a backup of a
 * live shop database wants; SQLite may still create the `-shm`/`-wal` files every reader creates.
 */
export function openDatabase(path: string, opts: { readOnly: boolean }): DatabaseSync {
  const db = new DatabaseSync(path, { readOnly: opts.readOnly, timeout: BUSY_TIMEOUT_MS });
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The application's tables, by name (SQLite's own `sqlite_*` tables left out). */
export function tableNames(db: DatabaseSync): string[] {
  return db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    .all()
    .map((r) => String(r.name));
}

/** A single-value PRAGMA (page_size, page_count, journal_mode) as a string. */
export function pragma(db: DatabaseSync, name: 'page_size' | 'page_count' | 'journal_mode'): string {
  const row = db.prepare(`PRAGMA ${name}`).get();
  return row ? String(Object.values(row)[0]) : '';
}

/** The version of the SQLite library this process links (the one that takes the backups). */
export function sqliteLibraryVersion(): string {
  const db = new DatabaseSync(':memory:');
  try {
    return String(db.prepare('SELECT sqlite_version() AS v').get()?.v);
  } finally {
    db.close();
  }
}

/**
 * Files SQLite keeps beside a database: the write-ahead log, its shared-memory index and the
 * rollback journal. A stale one beside a replaced database would be replayed into it on the next
 * open and corrupt it, so a restore removes them first.
 */
export function companionPaths(path: string): string[] {
  return [`${path}-wal`, `${path}-shm`, `${path}-journal`];
}

/** SQLite's error text ("file is not a database") without Node's wrapping, for one-line messages. */
export function sqliteReason(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'errstr' in err && typeof err.errstr === 'string') return err.errstr;
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}
