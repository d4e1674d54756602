/**
 * SqliteSource: captures one SQLite database file (a shop's "database default" when it runs on SQLite).
 *
 * The consistent point is SQLite's online backup API, taken in pin() into a private temp copy while
 * the shop is in maintenance mode; capture() then streams that copy as `database.sqlite` plus a small
 * `meta.json`, and close() removes the copy (always, and at process exit as a last resort, since it
 * holds the whole database unencrypted).
 *
 * Why the backup API and not `VACUUM INTO`: both read one consistent snapshot (WAL content included,
 * whether or not it was checkpointed), and both are deterministic — the backup of a fresh destination
 * is a function of the source's page bytes alone (the destination's change counter and schema cookie
 * are derived from the copied page 1, not from time or randomness), so two captures of an unchanged
 * database are byte-identical, which the contract suite checks. The backup keeps the page layout, so
 * an unchanged page of a changed database stays an unchanged run of bytes and deduplicates, and it
 * costs a page copy where VACUUM INTO rebuilds every table and index. The price: free pages are copied
 * too (deleted rows linger in them unless the shop sets `secure_delete`), as in any file copy.
 *
 * The backup runs as one step (all pages under one read transaction): copied in small steps, every
 * write from another connection restarts it, and a busy writer could keep it from ever finishing.
 */
import { createReadStream, rmSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { backup, type DatabaseSync } from 'node:sqlite';
import { EnvsnapError, errnoCode } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { silentLogger } from '../../core/logger.ts';
import type { CaptureOptions, CaptureResult, EntryWriter, PinResult, Source } from '../source.ts';
import { openDatabase, pragma, sqliteLibraryVersion, sqliteReason, tableNames } from './sqlite-file.ts';

export interface SqliteSettings {
  /** Names the source in errors and the manifest, e.g. "database default". */
  name: string;
  /** Absolute path of the database file. */
  path: string;
  /**
   * Where pin() puts its private backup copy (default: the OS temp folder). It needs room for the
   * whole database; on a tmpfs /tmp that is RAM.
   */
  tempDir?: string;
}

/** The entry holding the database file; fixed so the sink finds it and unchanged databases dedup. */
export const DATABASE_ENTRY = 'database.sqlite';
/** The entry describing the copy (SQLite version, page size and count, tables); for humans and tools. */
export const META_ENTRY = 'meta.json';

/** Read size when streaming the copy: a multiple of every SQLite page size (512 B … 64 KiB). */
const READ_CHUNK = 1024 * 1024;
/** Pages per backup step; the largest the API accepts, so the copy is taken in one step (see above). */
const ALL_PAGES = 2 ** 31 - 1;

/** What the pinned copy holds; written to meta.json and reported in the manifest. */
interface PinnedCopy {
  path: string;
  pageSize: number;
  pages: number;
  journalMode: string;
  tables: string[];
}

export class SqliteSource implements Source {
  readonly kind = 'sqlite' as const;
  readonly name: string;
  private readonly settings: SqliteSettings;
  private logger: Logger = silentLogger;
  private db: DatabaseSync | undefined;
  private workDir: string | undefined;
  private copy: PinnedCopy | undefined;
  /** Last resort for a process.exit() between pin() and close(): the copy must not stay behind. */
  private readonly removeCopyAtExit = (): void => {
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
  };

  constructor(settings: SqliteSettings) {
    this.settings = settings;
    this.name = settings.name;
  }

  async open(opts: CaptureOptions): Promise<void> {
    this.logger = opts.logger;
    const { path } = this.settings;
    if (!isAbsolute(path)) throw new EnvsnapError('CONFIG', `SQLite source "${this.name}": path ${path} is not absolute; give the full path in envsnap.yaml`);
    try {
      const st = await stat(path);
      if (!st.isFile()) throw this.unavailable(`${path} is not a file`);
    } catch (err) {
      if (err instanceof EnvsnapError) throw err;
      const code = errnoCode(err);
      throw this.unavailable(code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code ?? sqliteReason(err)})`, err);
    }
    this.db?.close();
    try {
      this.db = openDatabase(path, { readOnly: true });
    } catch (err) {
      this.db = undefined;
      throw this.unavailable(`${path} cannot be opened as an SQLite database (${sqliteReason(err)})`, err);
    }
    this.logger.debug(`SQLite source "${this.name}": opened ${path} read-only`);
  }

  async pin(): Promise<PinResult> {
    const db = this.db;
    if (!db) throw new Error(`SQLite source "${this.name}": pin() called before open()`);
    this.workDir = await mkdtemp(join(this.settings.tempDir ?? tmpdir(), 'envsnap-sqlite-'));
    process.on('exit', this.removeCopyAtExit);
    const path = join(this.workDir, DATABASE_ENTRY);
    try {
      await backup(db, path, { rate: ALL_PAGES });
    } catch (err) {
      throw new EnvsnapError(
        'SOURCE_FAILED',
        `SQLite source "${this.name}": the online backup of ${this.settings.path} failed (${sqliteReason(err)}); check that ${this.settings.tempDir ?? tmpdir()} has room for the database and retry`,
        { cause: err },
      );
    }
    // The copy is all capture() needs; letting go of the shop's file now frees its reader slot.
    this.db = undefined;
    db.close();
    const copy = openDatabase(path, { readOnly: true });
    try {
      this.copy = {
        path,
        pageSize: Number(pragma(copy, 'page_size')),
        pages: Number(pragma(copy, 'page_count')),
        journalMode: pragma(copy, 'journal_mode'),
        tables: tableNames(copy),
      };
    } finally {
      copy.close();
    }
    const { pageSize, pages, journalMode } = this.copy;
    this.logger.debug(`SQLite source "${this.name}": backup copy of ${pages} pages of ${pageSize} B taken`);
    return { consistent: true, details: { method: 'online-backup', pageSize, pages, journalMode } };
  }

  async capture(out: EntryWriter, opts: CaptureOptions): Promise<CaptureResult> {
    const copy = this.copy;
    if (!copy) throw new Error(`SQLite source "${this.name}": capture() called before pin()`);
    const sqliteVersion = sqliteLibraryVersion();
    const db = await out.writeFile(DATABASE_ENTRY, createReadStream(copy.path, { highWaterMark: READ_CHUNK, signal: opts.signal }));
    const meta = {
      sqliteVersion,
      pageSize: copy.pageSize,
      pages: copy.pages,
      journalMode: copy.journalMode,
      tables: copy.tables,
    };
    const m = await out.writeFile(META_ENTRY, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
    opts.logger.debug(`SQLite source "${this.name}": captured ${copy.tables.length} tables, ${db.size} bytes`);
    return {
      bytes: db.size + m.size,
      details: { file: DATABASE_ENTRY, sqliteVersion, pageSize: copy.pageSize, pages: copy.pages, tables: copy.tables.length },
    };
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.copy = undefined;
    db?.close();
    const dir = this.workDir;
    this.workDir = undefined;
    process.removeListener('exit', this.removeCopyAtExit);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private unavailable(what: string, cause?: unknown): EnvsnapError {
    return new EnvsnapError('SOURCE_UNAVAILABLE', `SQLite source "${this.name}": ${what}; check its path in envsnap.yaml`, { cause });
  }
}
