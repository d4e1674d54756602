/**
 * Use case `db:dump`: a plain SQL dump (.sql.gz) of one MySQL/MariaDB database of an environment,
 * which the stock mysql/mariadb client loads into any database. Taken at one consistent point while
 * the shop keeps serving (sources/mysql/sql-dump.ts), gzip-compressed on the fly, and written
 * atomically: into a temporary file beside the target, renamed into place once complete, and
 * removed on any failure — also when the process is interrupted (an exit hook) — so a dump file
 * that exists is always whole. The file is private to its owner (mode 0600): it holds customer data.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { EnvironmentConfig, MysqlDatabaseConfig, ProjectConfig } from '../config/project-config.ts';
import { EnvsnapError, errnoCode, isEnvsnapError } from '../core/errors.ts';
import type { SnapshotPoint } from '../sources/mysql/consistent-snapshot.ts';
import { mapFsError } from '../storage/local/local-store.ts';
import { writeAtomically } from './atomic-file.ts';
import type { AppContext } from './context.ts';
import { mysqlSettings } from './environment-sources.ts';
import { PROGRAM_VERSION } from './version.ts';

export interface DumpDatabaseInput {
  project: ProjectConfig;
  env: EnvironmentConfig;
  /** The database's id in the environment; default the environment's first MySQL database. */
  databaseId?: string;
  /** Tables dumped without rows (still created): names, or patterns in which * matches any characters. */
  excludeTables?: string[];
  /**
   * Where the dump goes: a file path (relative to cwd; an existing directory gets the default name
   * in it), or a stream (the CLI's stdout, written as is, not closed). Default: the default name,
   * `<project>-<env>-<UTC yyyymmdd-HHMMSS>.sql.gz`, in cwd.
   */
  output?: string | Writable;
  cwd: string;
  /** Connections reading at once (default 2). */
  parallel?: number;
}

export interface DumpDatabaseResult {
  /** The file written; undefined when the dump went to a stream. */
  path?: string;
  /** The database's id in the environment and its name on the server. */
  database: { id: string; name: string };
  /** Bytes written (compressed) and of SQL text (uncompressed). */
  bytes: number;
  sqlBytes: number;
  tables: number;
  excludedTables: string[];
  rows: number;
  /** The consistent point: binlog file/position and GTID when the server has them. */
  point: SnapshotPoint;
  durationMs: number;
}

export async function dumpDatabase(ctx: AppContext, input: DumpDatabaseInput): Promise<DumpDatabaseResult> {
  const start = ctx.clock.now();
  const db = chooseDatabase(input.env, input.databaseId);
  const settings = mysqlSettings(input.env, db);
  // Where the file goes is checked before connecting: a typo in --output must not cost a dump.
  const target = typeof input.output === 'string' || input.output === undefined ? await targetPath(input, start) : undefined;

  // The driver (and mysql2) load only when a dump is made.
  const { openSqlDump } = await import('../sources/mysql/sql-dump.ts');
  const dump = await openSqlDump(settings, {
    excludeTables: input.excludeTables,
    parallel: input.parallel,
    logger: ctx.logger,
    progress: ctx.progress,
    program: `envsnap ${PROGRAM_VERSION}`,
    time: start,
  });
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    if (target === undefined) {
      await pipeline(Readable.from(dump, { highWaterMark: 2 }), createGzip(), count, input.output as Writable, { end: false });
    } else {
      await writeAtomically(target, (file) => pipeline(Readable.from(dump, { highWaterMark: 2 }), createGzip(), count, file));
    }
  } catch (err) {
    if (isEnvsnapError(err)) throw err;
    if (target !== undefined) throw mapFsError(err, target);
    const code = errnoCode(err);
    throw new EnvsnapError('IO', `writing the dump to the output stream failed (${code === 'EPIPE' ? 'the reader closed it' : (code ?? (err as Error).message)}): the dump is incomplete`, { cause: err });
  } finally {
    await dump.close();
    ctx.progress.done();
  }
  return {
    ...(target !== undefined ? { path: target } : {}),
    database: { id: db.id, name: db.database },
    bytes,
    sqlBytes: dump.bytes,
    tables: dump.tables.length,
    excludedTables: [...dump.excluded],
    rows: dump.rows,
    point: dump.point,
    durationMs: ctx.clock.now() - start,
  };
}

/** The MySQL database named `id`, or the environment's first one. */
function chooseDatabase(env: EnvironmentConfig, id: string | undefined): MysqlDatabaseConfig {
  const mysql = env.databases.filter((d): d is MysqlDatabaseConfig => d.kind === 'mysql');
  if (id === undefined) {
    if (mysql.length > 0) return mysql[0];
    const others = env.databases.map((d) => `${d.id} (${d.kind})`);
    throw new EnvsnapError(
      'NOT_FOUND',
      `environment ${env.name} has no MySQL/MariaDB database${others.length ? ` (only ${others.join(', ')})` : ''}: db:dump dumps MySQL/MariaDB databases; add one under database: in envsnap.yaml`,
    );
  }
  const db = env.databases.find((d) => d.id === id);
  if (!db) {
    const ids = env.databases.map((d) => d.id);
    throw new EnvsnapError('NOT_FOUND', `environment ${env.name} has no database ${id}${ids.length ? ` (it has ${ids.join(', ')})` : ''}: pass one of those with --database`);
  }
  if (db.kind !== 'mysql') {
    throw new EnvsnapError('INVALID_ARGUMENT', `database ${id} of environment ${env.name} is SQLite (${db.path}): db:dump dumps MySQL/MariaDB databases; copy the SQLite file or take a snapshot instead`);
  }
  return db;
}

/** The absolute file to write: --output as given, the default name inside a directory, or in cwd. */
async function targetPath(input: DumpDatabaseInput, now: number): Promise<string> {
  const given = typeof input.output === 'string' ? resolve(input.cwd, input.output) : undefined;
  const isDir = given !== undefined && (await stat(given).then((s) => s.isDirectory(), () => false));
  const path = given !== undefined && !isDir ? given : join(given ?? input.cwd, defaultFileName(input.project.project, input.env.name, now));
  const dir = dirname(path);
  const ok = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!ok) throw new EnvsnapError('INVALID_ARGUMENT', `the folder ${dir} of the output file does not exist: create it or pass another --output`);
  return path;
}

/** `<project>-<env>-<UTC yyyymmdd-HHMMSS>.sql.gz`, with characters unsafe in file names replaced. */
export function defaultFileName(project: string, env: string, now: number): string {
  const t = new Date(now).toISOString(); // 2024-03-01T10:15:00.000Z
  const stamp = `${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}-${t.slice(11, 13)}${t.slice(14, 16)}${t.slice(17, 19)}`;
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-');
  return `${safe(project)}-${safe(env)}-${stamp}.sql.gz`;
}
