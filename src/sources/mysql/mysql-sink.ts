/**
 * MysqlSink: restores a MySQL/MariaDB snapshot into a target database without ever leaving it half
 * restored. The tables are loaded into a staging schema `<db>__envsnap_new` (loader.ts), swapped in
 * with one atomic RENAME (swap.ts), then views, triggers, routines and events are created in the
 * target (object-writer.ts) and the old tables, parked in `<db>__envsnap_old`, are dropped. Any
 * failure before the swap drops the staging schema and leaves the target untouched.
 */
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import { formatBytes } from '../../core/bytes.ts';
import type { CaptureOptions, EntryReader, RestoreOptions, Sink } from '../source.ts';
import { errorText, MysqlConnection, serverAddress, type MysqlConnectionSettings } from './connection.ts';
import { META_PATH, parseMeta, type MysqlMeta, type ObjectMeta } from './format.ts';
import { loadTables, prepareLoadSession, readEntry } from './loader.ts';
import { createObjects, type NamedDefinition } from './object-writer.ts';
import { qualified, quoteIdent } from './quote.ts';
import { listObjects, type ObjectKind } from './schema-reader.ts';
import { charsetClause, stagingSchema, swapIn } from './swap.ts';

export interface MysqlSinkOptions {
  /** Connections loading at once (default 2). */
  parallel?: number;
  /**
   * Write the restore to the binary log (default false, like myloader: faster, and a restore is
   * rarely meant for replicas). Needs SUPER / BINLOG ADMIN to turn off; without it the restore is logged.
   */
  binlog?: boolean;
}

export class MysqlSink implements Sink {
  readonly kind = 'mysql' as const;
  readonly name: string;
  private readonly settings: MysqlConnectionSettings;
  private readonly parallel: number;
  private readonly binlog: boolean;
  private control: MysqlConnection | undefined;
  private loaders: MysqlConnection[] = [];

  constructor(settings: MysqlConnectionSettings, opts: MysqlSinkOptions = {}) {
    this.settings = settings;
    this.name = settings.name;
    this.parallel = Math.max(1, Math.floor(opts.parallel ?? 2));
    this.binlog = opts.binlog ?? false;
  }

  async open(_opts: CaptureOptions): Promise<void> {
    this.control = await MysqlConnection.open(this.settings);
    await this.control.query("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', foreign_key_checks = 0");
    if (!this.binlog) await this.control.query('SET SESSION sql_log_bin = 0').catch(() => {});
  }

  async describeTarget(): Promise<string> {
    const conn = this.connection();
    const db = this.settings.database;
    const [row] = await conn.query<{ n: string | number; size: string | number | null }>(
      "SELECT COUNT(*) AS n, SUM(DATA_LENGTH + INDEX_LENGTH) AS size FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
      [db],
    );
    const n = Number(row?.n ?? 0);
    if (n === 0) return '';
    return `database ${db} on ${serverAddress(this.settings)}: ${n} table${n === 1 ? '' : 's'}, ~${formatBytes(Number(row.size ?? 0))}`;
  }

  async restore(input: EntryReader, opts: RestoreOptions): Promise<void> {
    const control = this.connection();
    const s = this.settings;
    const db = s.database;
    const meta = parseMeta((await readEntry(input, META_PATH)).toString('utf8'), s.name);
    const staging = stagingSchema(db, 'new');
    const holding = stagingSchema(db, 'old');

    // Load everything into the staging schema; the target is not touched until the swap.
    let swapped = false;
    try {
      await control.query(`DROP DATABASE IF EXISTS ${quoteIdent(staging)}`);
      await control.query(`CREATE DATABASE ${quoteIdent(staging)} ${charsetClause(meta)}`);
      for (let i = 0; i < this.parallel; i++) {
        const c = await MysqlConnection.open(s);
        this.loaders.push(c);
        await prepareLoadSession(c, staging, { binlog: this.binlog });
      }
      await loadTables({ settings: s, conns: this.loaders, schema: staging, meta, input, logger: opts.logger, progress: opts.progress, signal: opts.signal });
      const defs = await readDefinitions(input, meta);
      await this.closeLoaders();
      await swapIn(control, { db, staging, holding, tables: meta.tables.map((t) => t.name), characterSet: meta.characterSet, collation: meta.collation }, { settings: s, logger: opts.logger });
      swapped = true;
      await this.finish(control, meta, defs, opts);
      await control.query(`DROP DATABASE IF EXISTS ${quoteIdent(staging)}`);
    } catch (err) {
      await this.closeLoaders();
      await control.query(`DROP DATABASE IF EXISTS ${quoteIdent(staging)}`).catch(() => {});
      if (isEnvsnapError(err)) throw err;
      const state = swapped ? `the tables were restored, the previous ones are kept in "${holding}"` : 'the target was left as it was';
      throw new EnvsnapError('SOURCE_FAILED', `${s.name}: restoring into "${db}" on ${serverAddress(s)} failed (${errorText(err)}): ${state}; fix the cause and restore again`, { cause: err });
    } finally {
      await this.closeLoaders();
    }
  }

  /** After the swap: the snapshot's views, triggers, routines and events; the old tables dropped. */
  private async finish(control: MysqlConnection, meta: MysqlMeta, defs: NamedDefinition[], opts: RestoreOptions): Promise<void> {
    const s = this.settings;
    const db = s.database;
    const holding = stagingSchema(db, 'old');
    try {
      const now = await listObjects(control, db);
      for (const p of now?.procedures ?? []) await control.query(`DROP PROCEDURE IF EXISTS ${qualified(db, p)}`);
      for (const f of now?.functions ?? []) await control.query(`DROP FUNCTION IF EXISTS ${qualified(db, f)}`);
      for (const e of now?.events ?? []) await control.query(`DROP EVENT IF EXISTS ${qualified(db, e)}`);
      await control.query(`ALTER DATABASE ${quoteIdent(db)} ${charsetClause(meta)}`);
      await createObjects(control, db, defs, { fromDb: meta.database, settings: s, logger: opts.logger });
    } catch (err) {
      opts.logger.warn(`${s.name}: the tables of "${db}" were restored, but not all of its other objects; the previous tables are kept in "${holding}" until the next restore`);
      throw err;
    }
    await control.query(`DROP DATABASE IF EXISTS ${quoteIdent(holding)}`);
  }

  async close(): Promise<void> {
    await this.closeLoaders();
    const c = this.control;
    this.control = undefined;
    await c?.close();
  }

  private async closeLoaders(): Promise<void> {
    const all = this.loaders;
    this.loaders = [];
    await Promise.all(all.map((c) => c.close()));
  }

  private connection(): MysqlConnection {
    if (!this.control) throw new Error('MysqlSink used before open()');
    return this.control;
  }
}

const OBJECT_KINDS: { kind: ObjectKind; key: 'views' | 'triggers' | 'procedures' | 'functions' | 'events' }[] = [
  { kind: 'procedure', key: 'procedures' },
  { kind: 'function', key: 'functions' },
  { kind: 'view', key: 'views' },
  { kind: 'trigger', key: 'triggers' },
  { kind: 'event', key: 'events' },
];

export async function readDefinitions(input: EntryReader, meta: MysqlMeta): Promise<NamedDefinition[]> {
  const defs: NamedDefinition[] = [];
  for (const { kind, key } of OBJECT_KINDS) {
    for (const o of meta[key] as ObjectMeta[]) {
      defs.push({
        kind,
        name: o.name,
        sql: (await readEntry(input, o.file)).toString('utf8'),
        sqlMode: o.sqlMode,
        characterSetClient: o.characterSetClient,
        collationConnection: o.collationConnection,
        timeZone: o.timeZone,
      });
    }
  }
  return defs;
}
