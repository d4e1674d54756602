/**
 * The SQL dump of `db:dump`: one database as a plain SQL script that the stock mysql/mariadb client
 * loads into a database of any name, taken at one consistent point (consistent-snapshot.ts) while
 * the shop keeps serving, and streamed as text chunks — never the whole dump in memory.
 *
 * Layout, in this order (like mariadb-dump):
 *   - header comments: program, server, database, the binlog position / GTID of the point
 *   - session settings saved, then set: NAMES utf8mb4; TIME_ZONE '+00:00' (TIMESTAMP values are
 *     written in UTC); FOREIGN_KEY_CHECKS=0 and UNIQUE_CHECKS=0 (tables load in name order);
 *     SQL_MODE 'NO_AUTO_VALUE_ON_ZERO' (zero dates and 0 in AUTO_INCREMENT columns load); SQL_NOTES=0
 *   - ALTER DATABASE CHARACTER SET … COLLATE … (no name: the database being loaded into), so the
 *     default character set matches the source's, as routine parameters and later tables rely on it
 *   - every table by name: DROP TABLE IF EXISTS, CREATE TABLE with the AUTO_INCREMENT counter, then
 *     its rows in key order (sql-encoder.ts). An excluded table is created without rows: shops
 *     exclude big log tables whose code still expects them to exist.
 *   - a placeholder view (SELECT 1 AS col …) for every view, so views on views load in any order
 *   - procedures and functions (views may call functions), the views, the triggers (after the rows,
 *     so they do not fire during the load), the events
 *   - the saved settings restored, and a last line `-- envsnap: dump complete` (a truncated dump
 *     lacks it)
 *
 * Views, triggers, routines and events are created as defined: DEFINER kept, under their own
 * sql_mode, client character set and (events) time zone. On MariaDB each one is created by PREPARE
 * from a string variable: the stock client strips comments from the statements it sends (its
 * default --skip-comments) and would drop them from routine bodies, and a prepared string is
 * converted to the definition's character set exactly, also when that was latin1. MySQL cannot
 * prepare CREATE TRIGGER/PROCEDURE/FUNCTION/EVENT, so there they are written between DELIMITER
 * lines as mysqldump does (load with `mysql --comments` to keep comments).
 *
 * The dump never names the source database: no CREATE DATABASE or USE, tables unqualified, and
 * qualifiers naming the database itself are removed from definitions (`shop`.`orders` → `orders`;
 * routines, triggers and events run with their own database as the default, so the meaning stays).
 *
 * Parallel reading: the snapshot's connections read the next tables (and parts of a big table)
 * ahead while the output is written strictly in order, each read-ahead holding a few MiB (the row
 * reader pauses its socket), so the file is the same for the same data whatever the timing.
 */
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import type { Logger, Progress } from '../../core/logger.ts';
import { runOnPool } from './connection-pool.ts';
import { ER, errorText, serverAddress, sqlErrno, type MysqlConnection, type MysqlConnectionSettings } from './connection.ts';
import { openConsistentSnapshot, type ConsistentSnapshot, type ServerFlavor, type ServerInfo, type SnapshotPoint } from './consistent-snapshot.ts';
import { withAutoIncrement } from './create-table.ts';
import { planTable, type PartPlan } from './part-planner.ts';
import { quoteIdent, quoteString } from './quote.ts';
import { sqlScript, type ScriptObject } from './sql-script.ts';
import { isTransactional, listObjects, readColumns, showCreateObject, showCreateTable, type ObjectKind } from './schema-reader.ts';
import { literalKind, SqlInsertEncoder, type SqlColumn } from './sql-encoder.ts';
import { RowStream, useBinaryResults } from './table-reader.ts';

export interface SqlDumpOptions {
  /** Tables to dump without rows (still created): names, or patterns in which * matches any characters. */
  excludeTables?: readonly string[];
  /** Connections reading at once (default 2). */
  parallel?: number;
  /** Size of the key ranges a big table is read in (default 32 MiB): other connections read the next range ahead. */
  partBytes?: number;
  logger: Logger;
  progress?: Progress;
  /** For the header: who writes the dump ("envsnap 0.1.0") and when (ms since the epoch). */
  program: string;
  time: number;
}

/** A pinned dump ready to be read: iterate it once for the SQL text. */
export interface SqlDump extends AsyncIterable<Buffer> {
  readonly server: ServerInfo;
  readonly point: SnapshotPoint;
  /** Every table, by name (excluded ones too: they are created empty). */
  readonly tables: readonly string[];
  readonly excluded: readonly string[];
  /** Rows and SQL bytes written so far; final once the iteration has ended. */
  readonly rows: number;
  readonly bytes: number;
  /** Releases every connection; idempotent. Reading to the end, or stopping early, closes as well. */
  close(): Promise<void>;
}

interface DumpTable {
  name: string;
  create: string;
  /** The dumped columns (generated ones left out) and the SELECTs of the parts; undefined when excluded. */
  columns?: SqlColumn[];
  parts?: PartPlan[];
}

type DumpObject = ScriptObject;

/**
 * Connects, pins the consistent point and reads the schema (names, CREATE statements, definitions),
 * so a wrong password or a missing database fails here, before the caller creates any output.
 */
export async function openSqlDump(settings: MysqlConnectionSettings, opts: SqlDumpOptions): Promise<SqlDump> {
  const snap = await openConsistentSnapshot(settings, { parallel: Math.max(1, Math.floor(opts.parallel ?? 2)), logger: opts.logger });
  try {
    return await SqlDumpReader.prepare(settings, snap, opts);
  } catch (err) {
    await snap.close().catch(() => {});
    throw dumpFailure(settings, `the schema of "${settings.database}"`, err);
  }
}

class SqlDumpReader implements SqlDump {
  rows = 0;
  bytes = 0;
  readonly server: ServerInfo;
  readonly point: SnapshotPoint;
  readonly tables: readonly string[];
  readonly excluded: readonly string[];
  private readonly settings: MysqlConnectionSettings;
  private readonly snap: ConsistentSnapshot;
  private readonly opts: SqlDumpOptions;
  private readonly dumpTables: DumpTable[];
  private readonly objects: DumpObject[];
  private readonly viewColumns: Map<string, string[]>;
  private readonly charset: { characterSet: string; collation: string };
  private iterated = false;
  private closed: Promise<void> | undefined;

  private constructor(
    settings: MysqlConnectionSettings,
    snap: ConsistentSnapshot,
    opts: SqlDumpOptions,
    parts: { tables: DumpTable[]; objects: DumpObject[]; viewColumns: Map<string, string[]>; charset: { characterSet: string; collation: string } },
  ) {
    const { tables, objects, viewColumns } = parts;
    this.charset = parts.charset;
    this.settings = settings;
    this.snap = snap;
    this.opts = opts;
    this.server = snap.server;
    this.point = snap.point;
    this.dumpTables = tables;
    this.objects = objects;
    this.viewColumns = viewColumns;
    this.tables = tables.map((t) => t.name);
    this.excluded = tables.filter((t) => !t.parts).map((t) => t.name);
  }

  static async prepare(settings: MysqlConnectionSettings, snap: ConsistentSnapshot, opts: SqlDumpOptions): Promise<SqlDumpReader> {
    const db = settings.database;
    const { logger } = opts;
    const w0 = snap.workers[0];
    // Listed inside the snapshot: the tables of the point, with AUTO_INCREMENT counters read now
    // (not transactional: a little ahead of the point at most, never behind).
    const objects = await listObjects(w0, db);
    if (!objects) {
      throw new EnvsnapError(
        'SOURCE_UNAVAILABLE',
        `${settings.name}: database "${db}" does not exist on ${serverAddress(settings)} or user "${settings.user}" may not see it: check the database name and the user's privileges`,
      );
    }
    for (const u of objects.unsupported) logger.warn(`${settings.name}: ${u.type.toLowerCase()} "${u.name}" is not dumped (envsnap does not support this kind of object yet)`);
    const loose = objects.tables.filter((t) => !isTransactional(t.engine));
    if (loose.length > 0) {
      logger.warn(
        `${settings.name}: ${loose.length} table(s) use an engine without transactions and may not match the dump's point in time: ${loose.map((t) => `${t.name} (${t.engine || 'unknown engine'})`).join(', ')}`,
      );
    }
    const exclude = excludeMatcher(opts.excludeTables ?? [], objects.tables.map((t) => t.name), (pattern) =>
      logger.warn(`${settings.name}: --exclude-table ${pattern} matches no table of "${db}": check the name (tables are matched exactly, * matches any characters)`),
    );
    const columns = await readColumns(w0, db);
    // The character set of each string column decides between a quoted and a hex literal (sql-encoder.ts).
    const charsets = new Map<string, string | null>();
    const csRows = await w0.query<{ tbl: string; col: string; cs: string | null }>(
      'SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col, CHARACTER_SET_NAME AS cs FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?',
      [db],
    );
    for (const r of csRows) charsets.set(`${r.tbl}\0${r.col}`, r.cs);
    const partBytes = Math.max(1, opts.partBytes ?? 32 * 1024 * 1024);
    const tables = await runOnPool(snap.workers, objects.tables, async (conn, t): Promise<DumpTable> => {
      try {
        const create = withAutoIncrement(await showCreateTable(conn, db, t.name), t.autoIncrement);
        if (exclude(t.name)) return { name: t.name, create };
        const cols = columns.get(t.name);
        if (!cols) throw new EnvsnapError('SOURCE_FAILED', `${settings.name}: table "${t.name}" was dropped during the dump: run the dump again`);
        const plan = await planTable(conn, db, t, cols, partBytes);
        if (plan.order === 'none') logger.debug(`${settings.name}: table "${t.name}" has no primary or unique key: its rows are dumped in storage order`);
        const types = new Map(cols.columns.map((c) => [c.name, c.dataType]));
        const kind = (c: string) => literalKind(types.get(c) ?? '', charsets.get(`${t.name}\0${c}`) ?? null);
        return { name: t.name, create, columns: plan.columns.map((c) => ({ name: c.name, kind: kind(c.name) })), parts: plan.parts };
      } catch (err) {
        throw dumpFailure(settings, `table "${t.name}"`, err);
      }
    });
    const defs: DumpObject[] = [];
    const kinds: { kind: ObjectKind; names: string[] }[] = [
      { kind: 'procedure', names: objects.procedures },
      { kind: 'function', names: objects.functions },
      { kind: 'view', names: objects.views },
      { kind: 'trigger', names: objects.triggers.map((t) => t.name) },
      { kind: 'event', names: objects.events },
    ];
    for (const { kind, names } of kinds) {
      for (const name of names) {
        try {
          defs.push({ kind, name, def: await showCreateObject(w0, db, kind, name) });
        } catch (err) {
          throw dumpFailure(settings, `${kind} "${name}"`, err);
        }
      }
    }
    const viewColumns = new Map(objects.views.map((v) => [v, (columns.get(v)?.columns ?? []).map((c) => c.name)]));
    // Rows go out as stored bytes; everything read above was text.
    await Promise.all(snap.workers.map((w) => useBinaryResults(w)));
    if (!/^\w+$/.test(objects.characterSet) || !/^\w+$/.test(objects.collation)) {
      throw new EnvsnapError('SOURCE_FAILED', `${settings.name}: the server reports an invalid character set "${objects.characterSet}" / collation "${objects.collation}" for "${db}": check the server`);
    }
    return new SqlDumpReader(settings, snap, opts, { tables, objects: defs, viewColumns, charset: { characterSet: objects.characterSet, collation: objects.collation } });
  }

  close(): Promise<void> {
    this.closed ??= this.snap.close();
    return this.closed;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.iterated) throw new Error('an SQL dump can be read only once');
    this.iterated = true;
    const { settings } = this;
    const tasks = this.dumpTables.flatMap((table) => (table.parts ?? []).map((part) => ({ table, part })));
    const ahead = new ReadAhead(this.snap.workers, tasks);
    let taskIndex = 0;
    let done = 0;
    const report = () => this.opts.progress?.update({ phase: `${settings.name}: dumping`, files: done, totalFiles: this.dumpTables.length, bytes: this.bytes });
    const self = this;
    async function* rows(t: DumpTable): AsyncGenerator<Buffer> {
      for (let p = 0; p < (t.parts ?? []).length; p++) {
        const i = taskIndex++;
        try {
          yield* ahead.read(i);
        } catch (err) {
          throw dumpFailure(settings, `table "${t.name}"`, err);
        }
        self.rows += ahead.rows(i);
      }
    }
    const script = sqlScript(
      {
        header: this.header(),
        database: settings.database,
        flavor: this.server.flavor,
        charset: this.charset,
        tables: this.dumpTables.map((t) => ({ name: t.name, create: t.create, ...(t.parts ? { rows: () => rows(t) } : {}) })),
        objects: this.objects,
        viewColumns: this.viewColumns,
      },
      {
        tableDone: () => {
          done++;
          report();
        },
      },
    );
    let complete = false;
    try {
      for await (const chunk of script) {
        this.bytes += chunk.length;
        report();
        yield chunk;
      }
      complete = true;
    } finally {
      ahead.stop();
      // A stream cut short leaves its connection unusable: drop them all at once.
      if (!complete) for (const w of this.snap.workers) w.destroy();
      await this.close();
    }
  }

  private header(): string[] {
    const p = this.point;
    const lines = [
      `-- ${this.opts.program} SQL dump`,
      `-- Server: ${this.server.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${this.server.version} at ${serverAddress(this.settings)}, database ${quoteIdent(this.settings.database)}`,
      `-- Taken: ${new Date(this.opts.time).toISOString()}, consistent point by ${p.method} (${p.connections} connection${p.connections === 1 ? '' : 's'})`,
    ];
    if (p.binlogFile !== undefined) {
      lines.push(`-- Binlog position of the point: ${p.binlogFile}:${p.binlogPosition}; to start a replica there:`);
      lines.push(`--   CHANGE MASTER TO MASTER_LOG_FILE=${quoteString(p.binlogFile)}, MASTER_LOG_POS=${p.binlogPosition};`);
    } else lines.push('-- Binlog position of the point: unknown (binary logging is off, or the user may not read it)');
    if (p.gtid) lines.push(`-- GTID of the point: ${p.gtid}`);
    if (this.excluded.length > 0) lines.push(`-- Tables without rows (excluded): ${this.excluded.map(quoteIdent).join(', ')}`);
    lines.push(
      '--',
      `-- Load it into any database: zcat FILE.sql.gz | ${this.server.flavor === 'mariadb' ? 'mariadb' : 'mysql'} DATABASE`,
      '-- (a row of more than 8 MiB needs the client option --max-allowed-packet=1G)',
    );
    return lines.map((l) => l.replace(/^-- ?/, ''));
  }
}

export { objectStatements, withoutOwnSchema } from './sql-script.ts';

/** Whether a table is excluded; `unused` is called for each pattern that matches no table. */
function excludeMatcher(patterns: readonly string[], tables: string[], unused: (pattern: string) => void): (table: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's'));
  patterns.forEach((p, i) => {
    if (!tables.some((t) => res[i].test(t))) unused(p);
  });
  return (table) => res.some((re) => re.test(table));
}

/** The message for a failure while reading `what` (a table, a view …). */
function dumpFailure(settings: MysqlConnectionSettings, what: string, err: unknown): EnvsnapError {
  if (isEnvsnapError(err)) return err;
  const errno = sqlErrno(err);
  const code = (err as { code?: string } | null)?.code;
  let hint = "check the server's error log and run the dump again";
  if (errno === ER.NO_SUCH_TABLE || errno === ER.TABLE_DEF_CHANGED || errno === ER.UNKNOWN_TABLE) hint = 'it was dropped or altered during the dump: run the dump again';
  else if (errno === undefined && (code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'EPIPE')) hint = `the connection to ${serverAddress(settings)} was lost: check the server and run the dump again`;
  return new EnvsnapError('SOURCE_FAILED', `${settings.name}: reading ${what} failed (${errorText(err)}): ${hint}`, { cause: err });
}

interface ReadTask {
  table: DumpTable;
  part: PartPlan;
}

interface Started {
  stream: RowStream;
  it: AsyncIterator<Buffer>;
  first: Promise<IteratorResult<Buffer>>;
}

/**
 * Reads table parts ahead on several connections while they are consumed strictly in order: each
 * connection starts the next part not yet started and waits until that part has been consumed
 * before it starts another. The part being consumed is always started (parts are handed out in
 * order), so the order cannot deadlock; a started part buffers what the row reader holds before it
 * pauses the connection's socket.
 */
class ReadAhead {
  private next = 0;
  private stopped = false;
  private readonly tasks: ReadTask[];
  private readonly started: PromiseWithResolvers<Started>[];
  private readonly consumed: PromiseWithResolvers<void>[];
  private readonly counts: number[];

  constructor(workers: readonly MysqlConnection[], tasks: ReadTask[]) {
    this.tasks = tasks;
    this.started = tasks.map(() => Promise.withResolvers<Started>());
    this.consumed = tasks.map(() => Promise.withResolvers<void>());
    this.counts = tasks.map(() => 0);
    for (const w of workers) void this.run(w);
  }

  private async run(conn: MysqlConnection): Promise<void> {
    while (!this.stopped && this.next < this.tasks.length) {
      const i = this.next++;
      const { table, part } = this.tasks[i];
      const stream = new RowStream(conn, part.sql, new SqlInsertEncoder(table.name, table.columns ?? []));
      const it = stream[Symbol.asyncIterator]();
      const first = it.next();
      // Consumed (or abandoned on a failure elsewhere) later; a rejection must not go unhandled meanwhile.
      first.catch(() => {});
      this.started[i].resolve({ stream, it, first });
      await this.consumed[i].promise;
    }
  }

  /** The chunks of part i; read parts 0, 1, 2 … in turn, each to its end. */
  async *read(i: number): AsyncGenerator<Buffer> {
    const { stream, it, first } = await this.started[i].promise;
    try {
      let r = await first;
      while (!r.done) {
        yield r.value;
        r = await it.next();
      }
      this.counts[i] = stream.rows;
    } finally {
      await it.return?.(undefined);
      this.consumed[i].resolve();
    }
  }

  rows(i: number): number {
    return this.counts[i];
  }

  /** Starts nothing more and lets every waiting connection go. */
  stop(): void {
    this.stopped = true;
    for (const c of this.consumed) c.resolve();
  }
}
