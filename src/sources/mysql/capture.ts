/**
 * Capture: writes one pinned database as the files format.ts describes — the schema of every
 * object first, then the rows of every table part, spread over the snapshot's worker connections
 * (biggest tables first, so the last part to finish is a small one), then meta.json. Rows stream
 * from the server into the writer; nothing is staged in memory or on disk beyond a few chunks per
 * worker.
 */
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import type { Logger, Progress } from '../../core/logger.ts';
import type { EntryWriter } from '../source.ts';
import { runOnPool } from './connection-pool.ts';
import { withAutoIncrement } from './create-table.ts';
import { rewriteSchema, usesAnsiQuotes } from './definitions.ts';
import { ER, errorText, serverAddress, sqlErrno, type MysqlConnection, type MysqlConnectionSettings } from './connection.ts';
import type { ServerInfo } from './consistent-snapshot.ts';
import { FORMAT_VERSION, META_PATH, partPath, schemaPath, type MysqlMeta, type ObjectMeta, type PartMeta, type SchemaKind, type TableMeta } from './format.ts';
import { planTable, type PartPlan, type TablePlan } from './part-planner.ts';
import { readColumns, showCreateObject, showCreateTable, type DatabaseObjects, type ObjectKind } from './schema-reader.ts';
import { RowStream, useBinaryResults } from './table-reader.ts';
import { TsvEncoder } from './tsv-encoder.ts';

export interface CaptureContext {
  settings: MysqlConnectionSettings;
  /** Connections inside the consistent snapshot. */
  workers: MysqlConnection[];
  server: ServerInfo;
  /** What the database held at the point (listed inside the snapshot). */
  objects: DatabaseObjects;
  /** Target size of one table part. */
  partBytes: number;
  /** Record the database under this name (meta.json, qualifiers in definitions): a scratch copy of an import. */
  recordAs?: string;
  logger: Logger;
  progress: Progress;
  signal?: AbortSignal;
}

export interface CaptureSummary {
  bytes: number;
  files: number;
  rows: number;
  meta: MysqlMeta;
}

/** The message for a failure while reading `what` (a table, a view …). */
export function readFailure(settings: MysqlConnectionSettings, what: string, err: unknown): EnvsnapError {
  if (isEnvsnapError(err)) return err;
  const errno = sqlErrno(err);
  const code = (err as { code?: string } | null)?.code;
  let hint = "check the server's error log and run the snapshot again";
  if (errno === ER.NO_SUCH_TABLE || errno === ER.TABLE_DEF_CHANGED || errno === ER.UNKNOWN_TABLE) hint = 'it was dropped or altered during the snapshot: run the snapshot again';
  else if (errno === undefined && (code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'EPIPE')) hint = `the connection to ${serverAddress(settings)} was lost: check the server and run the snapshot again`;
  return new EnvsnapError('SOURCE_FAILED', `${settings.name}: reading ${what} failed (${errorText(err)}): ${hint}`, { cause: err });
}

const KINDS: { kind: ObjectKind; dir: SchemaKind; key: 'views' | 'triggers' | 'procedures' | 'functions' | 'events' }[] = [
  { kind: 'view', dir: 'views', key: 'views' },
  { kind: 'trigger', dir: 'triggers', key: 'triggers' },
  { kind: 'procedure', dir: 'procedures', key: 'procedures' },
  { kind: 'function', dir: 'functions', key: 'functions' },
  { kind: 'event', dir: 'events', key: 'events' },
];

/** Bytes between two progress reports while rows stream. */
const PROGRESS_STEP = 8 * 1024 * 1024;

export async function captureDatabase(ctx: CaptureContext, out: EntryWriter): Promise<CaptureSummary> {
  const { settings, workers } = ctx;
  const db = settings.database;
  const w0 = workers[0];
  let bytes = 0;
  let files = 0;
  let rows = 0;
  let reported = 0;
  const report = () => {
    reported = bytes;
    ctx.progress.update({ phase: `${settings.name}: dumping tables`, files, bytes });
  };
  const write = async (path: string, data: AsyncIterable<Uint8Array> | Uint8Array): Promise<number> => {
    const { size } = await out.writeFile(path, data);
    files++;
    if (data instanceof Uint8Array) bytes += size;
    report();
    return size;
  };
  const checkAbort = () => {
    if (ctx.signal?.aborted) throw new EnvsnapError('INTERRUPTED', `${settings.name}: the snapshot was interrupted`);
  };
  const onAbort = () => workers.forEach((w) => w.destroy());
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const objects = ctx.objects;
    for (const u of objects.unsupported) ctx.logger.warn(`${settings.name}: ${u.type.toLowerCase()} "${u.name}" is not captured (envsnap does not support this kind of object yet)`);
    const columns = await readColumns(w0, db).catch((err) => Promise.reject(readFailure(settings, `the columns of "${db}"`, err)));

    // Schema first: one SHOW CREATE TABLE and one split plan per table, spread over the workers.
    const plans = await runOnPool(workers, objects.tables, async (conn, t) => {
      checkAbort();
      const cols = columns.get(t.name);
      if (!cols) throw new EnvsnapError('SOURCE_FAILED', `${settings.name}: table "${t.name}" was dropped during the snapshot: run the snapshot again`);
      try {
        const sql = withAutoIncrement(await showCreateTable(conn, db, t.name), t.autoIncrement);
        await write(schemaPath('tables', t.name), Buffer.from(sql, 'utf8'));
        return await planTable(conn, db, t, cols, ctx.partBytes);
      } catch (err) {
        throw readFailure(settings, `table "${t.name}"`, err);
      }
    });
    for (const p of plans) {
      if (p.order === 'none') ctx.logger.debug(`${settings.name}: table "${p.table}" has no primary or unique key: dumped whole, in storage order`);
    }
    const objectMetas: Record<(typeof KINDS)[number]['key'], ObjectMeta[]> = { views: [], triggers: [], procedures: [], functions: [], events: [] };
    for (const { kind, dir, key } of KINDS) {
      const names: { name: string; table?: string }[] = key === 'triggers' ? objects.triggers : objects[key].map((name) => ({ name }));
      for (const { name, table } of names) {
        checkAbort();
        const def = await showCreateObject(w0, db, kind, name).catch((err) => Promise.reject(readFailure(settings, `${kind} "${name}"`, err)));
        const file = schemaPath(dir, name);
        const sql = ctx.recordAs === undefined ? def.sql : rewriteSchema(def.sql, db, ctx.recordAs, usesAnsiQuotes(def.sqlMode));
        await write(file, Buffer.from(sql, 'utf8'));
        objectMetas[key].push({
          name,
          file,
          ...(def.sqlMode !== undefined ? { sqlMode: def.sqlMode } : {}),
          characterSetClient: def.characterSetClient,
          collationConnection: def.collationConnection,
          ...(def.timeZone !== undefined ? { timeZone: def.timeZone } : {}),
          ...(table !== undefined ? { table } : {}),
        });
      }
    }

    // Rows: every part of every table, biggest tables first.
    await Promise.all(workers.map((w) => useBinaryResults(w)));
    const tasks = plans
      .flatMap((plan) => plan.parts.map((part) => ({ plan, part })))
      .sort((a, b) => b.plan.dataLength - a.plan.dataLength || (a.plan.table < b.plan.table ? -1 : a.plan.table > b.plan.table ? 1 : 0) || (a.part.index < b.part.index ? -1 : 1));
    const done = await runOnPool(
      workers,
      tasks,
      async (conn, { plan, part }) => {
        checkAbort();
        const p = await dumpPart(conn, plan, part, write, settings, (n) => {
          bytes += n;
          if (bytes - reported >= PROGRESS_STEP) report();
        });
        if (p) rows += p.rows;
        return p;
      },
      // One failed part fails the capture: cut the other streams short instead of letting them finish.
      { onFirstFailure: () => workers.forEach((w) => w.destroy()) },
    );
    checkAbort();

    const partsOf = new Map<string, PartMeta[]>();
    tasks.forEach((t, i) => {
      const p = done[i];
      if (!p) return;
      const list = partsOf.get(t.plan.table) ?? [];
      list.push(p);
      partsOf.set(t.plan.table, list);
    });
    const tables: TableMeta[] = plans.map((plan, i) => {
      const parts = (partsOf.get(plan.table) ?? []).sort((a, b) => (BigInt(a.index) < BigInt(b.index) ? -1 : 1));
      return {
        name: plan.table,
        engine: objects.tables[i].engine,
        schema: schemaPath('tables', plan.table),
        columns: plan.columns,
        primaryKey: plan.primaryKey,
        order: plan.order,
        width: plan.width.toString(),
        rows: parts.reduce((n, p) => n + p.rows, 0),
        parts,
      };
    });
    const meta: MysqlMeta = {
      format: FORMAT_VERSION,
      database: ctx.recordAs ?? db,
      characterSet: objects.characterSet,
      collation: objects.collation,
      server: { flavor: ctx.server.flavor, version: ctx.server.version },
      tables,
      ...objectMetas,
    };
    await write(META_PATH, Buffer.from(JSON.stringify(meta, null, 1) + '\n', 'utf8'));
    return { bytes, files, rows, meta };
  } catch (err) {
    if (ctx.signal?.aborted && !isEnvsnapError(err, 'INTERRUPTED')) throw new EnvsnapError('INTERRUPTED', `${settings.name}: the snapshot was interrupted`, { cause: err });
    throw err;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

/** Streams one part into its file; undefined (and no file) when the range holds no rows. */
async function dumpPart(
  conn: MysqlConnection,
  plan: TablePlan,
  part: PartPlan,
  write: (path: string, data: AsyncIterable<Uint8Array>) => Promise<number>,
  settings: MysqlConnectionSettings,
  onBytes: (n: number) => void,
): Promise<PartMeta | undefined> {
  const what = `table "${plan.table}"`;
  const stream = new RowStream(conn, part.sql, new TsvEncoder());
  const it = stream[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer>;
  try {
    first = await it.next();
  } catch (err) {
    throw readFailure(settings, what, err);
  }
  if (first.done) return undefined;
  const firstChunk = first.value;
  // The writer pulls the rest; read errors surface through it as SOURCE_FAILED naming the table.
  async function* rest(): AsyncIterable<Uint8Array> {
    onBytes(firstChunk.length);
    yield firstChunk;
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await it.next();
      } catch (err) {
        throw readFailure(settings, what, err);
      }
      if (r.done) return;
      onBytes(r.value.length);
      yield r.value;
    }
  }
  const file = partPath(plan.table, part.index);
  try {
    const size = await write(file, rest());
    return { index: part.index.toString(), file, rows: stream.rows, bytes: size };
  } finally {
    // Ends the row stream if the writer stopped early (it then drops the connection).
    await it.return?.();
  }
}
