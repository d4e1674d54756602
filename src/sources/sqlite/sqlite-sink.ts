/**
 * SqliteSink: restores a captured SQLite database file over its target path.
 *
 * The restore is a file swap, so it is atomic: the snapshot's `database.sqlite` is streamed into a
 * temp file in the target's own folder (same file system, so the final rename cannot copy), checked
 * with `PRAGMA integrity_check`, given the old file's mode (and owner, when running as root), and only
 * then renamed over the target. Any failure before the rename leaves the target as it was. Just
 * before the rename, the target's `-wal`, `-shm` and `-journal` files are removed: SQLite would
 * replay a stale log into the new file on its next open. The shop must not have the database open
 * during a restore (maintenance mode or stopped), as a connection holding the old file keeps writing
 * to it.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, chown, open, rename, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError, errnoCode, isEnvsnapError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { silentLogger } from '../../core/logger.ts';
import type { CaptureOptions, EntryReader, RestoreOptions, Sink } from '../source.ts';
import { companionPaths, openDatabase, sqliteReason, tableNames } from './sqlite-file.ts';
import { DATABASE_ENTRY, type SqliteSettings } from './sqlite-source.ts';

export class SqliteSink implements Sink {
  readonly kind = 'sqlite' as const;
  readonly name: string;
  private readonly path: string;
  private logger: Logger = silentLogger;

  constructor(settings: SqliteSettings) {
    this.name = settings.name;
    this.path = settings.path;
  }

  /** Checks that the target's folder exists: a restore never creates folders a typo would invent. */
  async open(opts: CaptureOptions): Promise<void> {
    this.logger = opts.logger;
    if (!isAbsolute(this.path)) throw new EnvsnapError('CONFIG', `SQLite target "${this.name}": path ${this.path} is not absolute; give the full path in envsnap.yaml`);
    const dir = dirname(this.path);
    let st: Stats;
    try {
      st = await stat(dir);
    } catch (err) {
      const code = errnoCode(err);
      throw new EnvsnapError(
        'SOURCE_UNAVAILABLE',
        `SQLite target "${this.name}": folder ${dir} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; create it or fix the path in envsnap.yaml`,
        { cause: err },
      );
    }
    if (!st.isDirectory()) throw new EnvsnapError('SOURCE_UNAVAILABLE', `SQLite target "${this.name}": ${dir} is not a folder; fix the path in envsnap.yaml`);
  }

  async describeTarget(): Promise<string> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return '';
      throw err;
    }
    let tables: number;
    try {
      const db = openDatabase(this.path, { readOnly: true });
      try {
        tables = tableNames(db).length;
      } finally {
        db.close();
      }
    } catch (err) {
      return `sqlite ${this.path}: not readable as an SQLite database (${sqliteReason(err)}), ${formatBytes(size)}`;
    }
    if (tables === 0) return '';
    return `sqlite ${this.path}: ${tables} ${tables === 1 ? 'table' : 'tables'}, ${formatBytes(size)}`;
  }

  async restore(input: EntryReader, opts: RestoreOptions): Promise<void> {
    if (!input.list().some((e) => e.path === DATABASE_ENTRY)) {
      throw new EnvsnapError('SOURCE_FAILED', `SQLite target "${this.name}": the snapshot holds no ${DATABASE_ENTRY} for this source; pick the snapshot's SQLite source by its name`);
    }
    const dir = dirname(this.path);
    const temp = join(dir, `.${basename(this.path)}.envsnap-restore-${randomBytes(6).toString('hex')}`);
    try {
      await pipeline(input.read(DATABASE_ENTRY), createWriteStream(temp, { flags: 'wx', mode: 0o644, flush: true }), { signal: opts.signal });
      this.checkIntegrity(temp);
      await copyOwnership(this.path, temp);
      for (const p of companionPaths(this.path)) await rm(p, { force: true });
      await rename(temp, this.path);
    } catch (err) {
      await Promise.all([temp, ...companionPaths(temp)].map((p) => rm(p, { force: true })));
      if (isEnvsnapError(err)) throw err;
      throw new EnvsnapError(
        'SOURCE_FAILED',
        `SQLite target "${this.name}": restore failed (${sqliteReason(err)}); ${this.path} was left as it was`,
        { cause: err },
      );
    }
    await fsyncDir(dir);
    opts.logger.info(`SQLite target "${this.name}": restored ${this.path}`);
  }

  async close(): Promise<void> {}

  /** Opens the restored copy read-write so SQLite removes the `-wal`/`-shm` it creates when it closes. */
  private checkIntegrity(path: string): void {
    let problems: string[];
    try {
      const db = openDatabase(path, { readOnly: false });
      try {
        problems = db
          .prepare('PRAGMA integrity_check')
          .all()
          .map((r) => String(r.integrity_check));
      } finally {
        db.close();
      }
    } catch (err) {
      problems = [sqliteReason(err)];
    }
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new EnvsnapError(
        'SOURCE_FAILED',
        `SQLite target "${this.name}": the snapshot's ${DATABASE_ENTRY} fails SQLite's integrity check (${problems[0]}); ${this.path} was left as it was — restore another snapshot`,
      );
    }
  }
}

/** Gives `temp` the mode of the file it replaces, and its owner when we may (as root). */
async function copyOwnership(target: string, temp: string): Promise<void> {
  let st: Stats;
  try {
    st = await stat(target);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  // Owner first: a change of owner clears the set-user-ID and set-group-ID bits.
  if (process.getuid?.() === 0) await chown(temp, st.uid, st.gid);
  await chmod(temp, st.mode & 0o7777);
}

/** Makes the rename durable; Windows cannot open a folder for fsync (NTFS journals renames itself). */
async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
