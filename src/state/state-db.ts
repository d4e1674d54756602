/**
 * The project's state: the server's users, API tokens, sessions, activities with their logs and the
 * audit log, and the scheduler's run history, in one embedded SQLite file (`node:sqlite`) beside envsnap.yaml (`.envsnap/state/server.db`). Snapshot
 * data and the snapshot catalog are not here: the repository stays the source of truth, and this file
 * can be deleted without losing a backup (users and history would have to be set up again).
 *
 * The schema is versioned with `PRAGMA user_version`; each migration runs once, in a transaction.
 * WAL mode lets the CLI (user:add) and a running server use the file at the same time.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { EnvsnapError } from '../core/errors.ts';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     name TEXT PRIMARY KEY,
     password_hash TEXT,
     role TEXT NOT NULL,
     environments TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL
   );
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     secret_hash TEXT NOT NULL,
     label TEXT,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER
   );
   CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     csrf TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE login_failures (
     key TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX login_failures_key ON login_failures(key, at);
   CREATE TABLE activities (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     environment TEXT NOT NULL,
     user_name TEXT,
     state TEXT NOT NULL,
     params TEXT NOT NULL DEFAULT '{}',
     progress TEXT,
     result TEXT,
     error TEXT,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER
   );
   CREATE INDEX activities_env ON activities(environment, created_at);
   CREATE TABLE activity_log (
     activity_id TEXT NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     at INTEGER NOT NULL,
     level TEXT NOT NULL,
     message TEXT NOT NULL,
     PRIMARY KEY (activity_id, seq)
   );
   CREATE TABLE audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     user_name TEXT,
     action TEXT NOT NULL,
     environment TEXT,
     target TEXT,
     outcome TEXT NOT NULL,
     detail TEXT
   );`,
  `CREATE TABLE schedule_runs (
     environment TEXT NOT NULL,
     schedule TEXT NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (environment, schedule)
   );`,
];

/** `.envsnap/state/server.db` in the directory of the configuration file. */
export function stateFileFor(configFile: string): string {
  return join(dirname(configFile), '.envsnap', 'state', 'server.db');
}

/** Opens (creating when missing) and migrates the state database; `:memory:` for tests. */
export function openStateDb(file: string): DatabaseSync {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
  } catch (err) {
    throw new EnvsnapError('IO', `cannot open the server state ${file}: ${(err as Error).message}`, { cause: err });
  }
  // WAL with synchronous=NORMAL: a commit does not wait for an fsync (the WAL is synced at
  // checkpoints), so a power cut can lose the last moments of history but never corrupts the file.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (version > MIGRATIONS.length) {
    db.close();
    throw new EnvsnapError('FORMAT_TOO_NEW', `the server state ${file} was written by a newer envsnap (schema ${version}): upgrade envsnap`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return db;
}

/** Runs fn in one IMMEDIATE transaction (all or nothing). */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const r = fn();
    db.exec('COMMIT');
    return r;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
