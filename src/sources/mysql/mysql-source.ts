/**
 * MysqlSource: a MySQL/MariaDB database as a snapshot source. open() connects `parallel` worker
 * connections plus a control connection and checks the database; pin() puts the workers into one
 * consistent snapshot (consistent-snapshot.ts); capture() writes the schema and rows
 * (capture.ts, layout in format.ts); close() releases every connection and lock.
 */
import { EnvsnapError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { CaptureOptions, CaptureResult, EntryWriter, PinResult, Source } from '../source.ts';
import { captureDatabase } from './capture.ts';
import { MysqlConnection, serverAddress, type MysqlConnectionSettings } from './connection.ts';
import { openWorkers, pinSnapshot, serverInfo, type ServerInfo, type SnapshotPoint } from './consistent-snapshot.ts';
import { isTransactional, listObjects, type DatabaseObjects } from './schema-reader.ts';

export interface MysqlSourceOptions {
  /** Connections dumping at once (default 2). */
  parallel?: number;
  /** Target size of one table part in bytes (default 32 MiB); smaller parts spread a table over more connections. */
  partBytes?: number;
  /**
   * The database is a scratch copy of an imported dump (scratch-database.ts): record it under this
   * name, as if captured from it, and without the server's binlog position or GTID, which say
   * nothing about the dump.
   */
  importedAs?: string;
}

export class MysqlSource implements Source {
  readonly kind = 'mysql' as const;
  readonly name: string;
  private readonly settings: MysqlConnectionSettings;
  private readonly parallel: number;
  private readonly partBytes: number;
  private readonly importedAs: string | undefined;
  private control: MysqlConnection | undefined;
  private workers: MysqlConnection[] = [];
  private server: ServerInfo | undefined;
  private point: SnapshotPoint | undefined;
  private nonTransactional: string[] = [];
  private objects: DatabaseObjects | undefined;
  private logger: Logger | undefined;

  constructor(settings: MysqlConnectionSettings, opts: MysqlSourceOptions = {}) {
    this.settings = settings;
    this.name = settings.name;
    this.parallel = Math.max(1, Math.floor(opts.parallel ?? 2));
    this.partBytes = Math.max(1, opts.partBytes ?? 32 * 1024 * 1024);
    this.importedAs = opts.importedAs;
  }

  async open(opts: CaptureOptions): Promise<void> {
    this.logger = opts.logger;
    const s = this.settings;
    this.control = await MysqlConnection.open(s);
    this.server = await serverInfo(this.control);
    const objects = await listObjects(this.control, s.database);
    if (!objects) {
      throw new EnvsnapError(
        'SOURCE_UNAVAILABLE',
        `${s.name}: database "${s.database}" does not exist on ${serverAddress(s)} or user "${s.user}" may not see it: check the database name and the user's privileges`,
      );
    }
    this.workers = await openWorkers(s, this.parallel);
  }

  async pin(): Promise<PinResult> {
    if (!this.control || !this.server) throw new Error('MysqlSource.pin() called before open()');
    const { workers, point } = await pinSnapshot(this.control, this.workers, { logger: this.logger!, server: this.server });
    this.workers = workers;
    this.point = point;
    // Nothing else needs the control connection; let it go so it holds nothing during the dump.
    await this.control.close();
    // The objects as of the point (the list from open() may be stale; a table created from now on is
    // not captured, its rows are not part of the point either) with their AUTO_INCREMENT counters,
    // which are not transactional: read now, they may be a little ahead of the point, never behind.
    this.objects = await listObjects(workers[0], this.settings.database);
    if (!this.objects) throw new EnvsnapError('SOURCE_FAILED', `${this.name}: database "${this.settings.database}" was dropped: check the database name and run the snapshot again`);
    this.nonTransactional = this.objects.tables.filter((t) => !isTransactional(t.engine)).map((t) => `${t.name} (${t.engine || 'unknown engine'})`);
    if (this.nonTransactional.length > 0) {
      this.logger?.warn(
        `${this.name}: ${this.nonTransactional.length} table(s) use an engine without transactions and may not match the snapshot's point in time: ${this.nonTransactional.join(', ')}`,
      );
    }
    return { consistent: this.nonTransactional.length === 0, details: this.details() };
  }

  async capture(out: EntryWriter, opts: CaptureOptions): Promise<CaptureResult> {
    if (!this.point || !this.server || !this.objects) throw new Error('MysqlSource.capture() called before pin()');
    const summary = await captureDatabase(
      {
        settings: this.settings,
        workers: this.workers,
        server: this.server,
        objects: this.objects,
        partBytes: this.partBytes,
        ...(this.importedAs !== undefined ? { recordAs: this.importedAs } : {}),
        logger: opts.logger,
        progress: opts.progress,
        signal: opts.signal,
      },
      out,
    );
    return {
      bytes: summary.bytes,
      details: { ...this.details(), tables: summary.meta.tables.length, rows: summary.rows, files: summary.files },
    };
  }

  async close(): Promise<void> {
    const all = [...(this.control ? [this.control] : []), ...this.workers];
    this.control = undefined;
    this.workers = [];
    await Promise.all(all.map((c) => c.close()));
  }

  private details(): Record<string, unknown> {
    if (this.importedAs !== undefined) return { database: this.importedAs };
    return {
      database: this.settings.database,
      ...this.point,
      ...(this.nonTransactional.length > 0 ? { nonTransactionalTables: this.nonTransactional } : {}),
    };
  }
}
