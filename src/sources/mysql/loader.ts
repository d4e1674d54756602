/**
 * The loader: fills a fresh staging schema with a snapshot's tables as fast as the server allows.
 * Tables are created with their primary key only (create-table.ts), every part is streamed from
 * the snapshot into LOAD DATA LOCAL INFILE (no temporary file), parts are spread over `parallel`
 * connections biggest table first, a table's secondary indexes are built in one ALTER as soon as
 * its last part is in (statistics recalculation is off until then, see create-table.ts), and
 * foreign keys are added at the end, one table at a time (adding a foreign
 * key locks the parent's metadata too). Sessions run with foreign_key_checks, unique_checks and
 * CHECK constraints off and a permissive sql_mode (zero dates load as they were stored).
 *
 * A part that loads with warnings fails the restore: the server changed a value, so the target
 * would not equal the snapshot.
 */
import { Readable } from 'node:stream';
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import type { Logger, Progress } from '../../core/logger.ts';
import type { EntryReader } from '../source.ts';
import { runOnPool } from './connection-pool.ts';
import { ER, errorText, sqlErrno, type MysqlConnection, type MysqlConnectionSettings } from './connection.ts';
import { splitCreateTable, type SplitTable } from './create-table.ts';
import type { MysqlMeta, PartMeta, TableMeta } from './format.ts';
import { qualified, quoteIdent, quoteString } from './quote.ts';

export interface LoadContext {
  settings: MysqlConnectionSettings;
  /** Connections prepared with prepareLoadSession, default database = the staging schema. */
  conns: MysqlConnection[];
  /** The staging schema the tables are created in. */
  schema: string;
  meta: MysqlMeta;
  input: EntryReader;
  logger: Logger;
  progress: Progress;
  signal?: AbortSignal;
}

/** The session a load runs in; `schema` becomes the default database (unqualified REFERENCES resolve there). */
export async function prepareLoadSession(conn: MysqlConnection, schema: string, opts: { binlog: boolean }): Promise<void> {
  await conn.query("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', foreign_key_checks = 0, unique_checks = 0");
  await conn.query('SET SESSION check_constraint_checks = 0').catch(() => {}); // MariaDB only
  if (!opts.binlog) await conn.query('SET SESSION sql_log_bin = 0').catch(() => {}); // needs SUPER/BINLOG ADMIN: else logged
  await conn.query(`USE ${quoteIdent(schema)}`);
}

/** A whole (small) file of the snapshot. */
export async function readEntry(input: EntryReader, path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of input.read(path)) parts.push(p);
  return Buffer.concat(parts);
}

/** The LOAD DATA statement for one part of `table` (BIT columns through a variable, see format.ts). */
export function loadStatement(schema: string, table: TableMeta, file: string): string {
  const targets: string[] = [];
  const sets: string[] = [];
  table.columns.forEach((c, i) => {
    if (c.dump === 'bit') {
      targets.push(`@v${i}`);
      sets.push(`${quoteIdent(c.name)} = CAST(@v${i} AS UNSIGNED)`);
    } else targets.push(quoteIdent(c.name));
  });
  return (
    `LOAD DATA LOCAL INFILE ${quoteString(file)} INTO TABLE ${qualified(schema, table.name)} CHARACTER SET binary ` +
    `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${targets.join(', ')})` +
    (sets.length > 0 ? ` SET ${sets.join(', ')}` : '')
  );
}

function failure(settings: MysqlConnectionSettings, what: string, err: unknown): EnvsnapError {
  if (isEnvsnapError(err)) return err;
  const errno = sqlErrno(err);
  const hint =
    errno === ER.NOT_ALLOWED_COMMAND || errno === 3948
      ? 'the target was left as it was; the server does not allow LOAD DATA LOCAL INFILE: set local_infile=ON on it and restore again'
      : 'the target was left as it was; fix the cause and restore again';
  return new EnvsnapError('SOURCE_FAILED', `${settings.name}: ${what} failed (${errorText(err)}): ${hint}`, { cause: err });
}

export async function loadTables(ctx: LoadContext): Promise<void> {
  const { settings, conns, schema, meta, input } = ctx;
  const checkAbort = () => {
    if (ctx.signal?.aborted) throw new EnvsnapError('INTERRUPTED', `${settings.name}: the restore was interrupted`);
  };
  const totalBytes = meta.tables.reduce((n, t) => n + t.parts.reduce((m, p) => m + p.bytes, 0), 0);
  let bytes = 0;
  let files = 0;
  let reported = 0;
  const report = () => {
    reported = bytes;
    ctx.progress.update({ phase: `${settings.name}: loading tables`, files, bytes, totalBytes });
  };
  const onAbort = () => conns.forEach((c) => c.destroy());
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const cutShort = { onFirstFailure: () => conns.forEach((c) => c.destroy()) };
  try {
    // Create every table (primary key only where that is safe).
    const split = new Map<string, SplitTable>();
    await runOnPool(
      conns,
      meta.tables,
      async (conn, t) => {
        checkAbort();
        const sql = (await readEntry(input, t.schema)).toString('utf8');
        const s = splitCreateTable(sql);
        split.set(t.name, s);
        await conn.query(s.create).catch((err) => Promise.reject(failure(settings, `creating table "${t.name}"`, err)));
      },
      cutShort,
    );

    // After the last part: secondary indexes in one sorted build, the table options back, fresh statistics.
    const finishTable = async (conn: MysqlConnection, t: TableMeta) => {
      const s = split.get(t.name)!;
      const changes = [...s.indexes.map((i) => `ADD ${i}`), ...s.finish];
      if (changes.length === 0) return;
      const name = qualified(schema, t.name);
      await conn.query(`ALTER TABLE ${name} ${changes.join(', ')}`).catch((err) => Promise.reject(failure(settings, `indexing table "${t.name}"`, err)));
      if (s.finish.length > 0) await conn.query(`ANALYZE TABLE ${name}`).catch((err) => Promise.reject(failure(settings, `analyzing table "${t.name}"`, err)));
    };

    // Rows, biggest tables first; a table's indexes right after its last part.
    const remaining = new Map(meta.tables.map((t) => [t.name, t.parts.length]));
    const tasks: { table: TableMeta; part?: PartMeta }[] = [];
    const bySize = [...meta.tables].sort((a, b) => size(b) - size(a));
    for (const t of bySize) {
      if (t.parts.length === 0) tasks.push({ table: t });
      for (const part of t.parts) tasks.push({ table: t, part });
    }
    await runOnPool(
      conns,
      tasks,
      async (conn, { table, part }) => {
        checkAbort();
        if (part) {
          await loadPart(conn, ctx, table, part, (n) => {
            bytes += n;
            if (bytes - reported >= 8 * 1024 * 1024) report();
          });
          files++;
          report();
        }
        const left = part ? remaining.get(table.name)! - 1 : 0;
        remaining.set(table.name, left);
        if (left === 0) await finishTable(conn, table);
      },
      // Two loads into one table mostly wait for each other (InnoDB latches the index for page
      // splits): take a part of a table no other connection is loading when there is one.
      {
        ...cutShort,
        choose: (waiting, running) => {
          const busy = new Set([...running].map((r) => r.table.name));
          return Math.max(0, waiting.findIndex((w) => !busy.has(w.table.name)));
        },
      },
    );

    // Foreign keys last, one table at a time.
    for (const t of meta.tables) {
      const fks = split.get(t.name)!.foreignKeys;
      if (fks.length === 0) continue;
      checkAbort();
      await conns[0]
        .query(`ALTER TABLE ${qualified(schema, t.name)} ${fks.map((f) => `ADD ${f}`).join(', ')}`)
        .catch((err) => Promise.reject(failure(settings, `adding the foreign keys of table "${t.name}"`, err)));
    }
  } catch (err) {
    if (ctx.signal?.aborted && !isEnvsnapError(err, 'INTERRUPTED')) throw new EnvsnapError('INTERRUPTED', `${settings.name}: the restore was interrupted`, { cause: err });
    throw err;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

function size(t: TableMeta): number {
  return t.parts.reduce((n, p) => n + p.bytes, 0);
}

async function loadPart(conn: MysqlConnection, ctx: LoadContext, table: TableMeta, part: PartMeta, onBytes: (n: number) => void): Promise<void> {
  const { input, settings } = ctx;
  async function* counted(): AsyncIterable<Buffer> {
    for await (const chunk of input.read(part.file)) {
      onBytes(chunk.length);
      yield chunk;
    }
  }
  const what = `loading table "${table.name}" (${part.file})`;
  let res: { affectedRows: number; warningStatus: number };
  conn.streaming = true;
  try {
    res = await conn.execute(loadStatement(ctx.schema, table, part.file), { infileStreamFactory: () => Readable.from(counted(), { objectMode: false }) });
  } catch (err) {
    throw failure(settings, what, err);
  } finally {
    conn.streaming = false;
  }
  if (res.warningStatus > 0 || res.affectedRows !== part.rows) {
    const warnings = await conn.query<{ Message: string }>('SHOW WARNINGS LIMIT 3').catch(() => []);
    const first = warnings[0]?.Message;
    throw new EnvsnapError(
      'SOURCE_FAILED',
      `${settings.name}: ${what}: the server loaded ${res.affectedRows} of ${part.rows} rows${res.warningStatus > 0 ? ` with ${res.warningStatus} warning(s)${first ? ` (first: ${errorText(first)})` : ''}` : ''}: the target was left as it was; check that the target server accepts this data (version, sql_mode, character sets)`,
    );
  }
}
