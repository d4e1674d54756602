/**
 * A snapshot's database as an SQL script (the layout of sql-dump.ts), for `snapshot:export`: the
 * schema files and rows (.tsv) of a MySQL/MariaDB source's directory (format.ts) turned into the
 * script the stock mysql/mariadb client loads into any database. The rows go through the same
 * SQL encoder as `db:dump`, with each column's literal kind from the table's CREATE statement
 * (declaredColumns), so the script is the one db:dump would have written at the snapshot's point.
 */
import { EnvsnapError } from '../../core/errors.ts';
import type { EntryReader } from '../source.ts';
import { declaredColumns } from './create-table.ts';
import type { ServerFlavor } from './consistent-snapshot.ts';
import { META_PATH, parseMeta, type MysqlMeta, type TableMeta } from './format.ts';
import { readEntry } from './loader.ts';
import { readDefinitions } from './mysql-sink.ts';
import { quoteIdent } from './quote.ts';
import { literalKind, SqlInsertEncoder, type SqlColumn } from './sql-encoder.ts';
import { sqlScript } from './sql-script.ts';
import { ByteSink } from './table-reader.ts';
import { TsvRowDecoder } from './tsv-decoder.ts';

export interface SnapshotSqlOptions {
  /** The source's display name in messages ("database default"). */
  name: string;
  /** Header lines: who wrote it, the snapshot it comes from. */
  header: string[];
}

export interface SnapshotSql {
  readonly meta: MysqlMeta;
  /** The SQL text in chunks; read once. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Rows written so far. */
  readonly rows: () => number;
}

const CHUNK = 256 * 1024;

/** Opens a snapshot's database directory (reads meta.json, so a damaged snapshot fails here). */
export async function snapshotSql(input: EntryReader, opts: SnapshotSqlOptions): Promise<SnapshotSql> {
  const meta = parseMeta((await readEntry(input, META_PATH)).toString('utf8'), opts.name);
  let rows = 0;
  const tables = await Promise.all(
    meta.tables.map(async (t) => {
      const create = (await readEntry(input, t.schema)).toString('utf8');
      return { name: t.name, create, rows: () => tableRows(input, t, sqlColumns(t, create, opts.name), (n) => (rows += n), opts.name) };
    }),
  );
  const defs = await readDefinitions(input, meta);
  const flavor: ServerFlavor = meta.server.flavor === 'mysql' ? 'mysql' : 'mariadb';
  const header = [
    ...opts.header,
    `Source: ${flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${meta.server.version}, database ${quoteIdent(meta.database)}`,
    '',
    `Load it into any database: zcat FILE.sql.gz | ${flavor === 'mariadb' ? 'mariadb' : 'mysql'} DATABASE`,
    '(a row of more than 8 MiB needs the client option --max-allowed-packet=1G)',
  ];
  const chunks = sqlScript({
    header,
    database: meta.database,
    flavor,
    charset: { characterSet: meta.characterSet, collation: meta.collation },
    tables,
    objects: defs.map((d) => ({ kind: d.kind, name: d.name, def: d })),
  });
  return { meta, chunks, rows: () => rows };
}

/** The literal kind of each dumped column: BIT and FLOAT are stored as numbers (format.ts), others by their declared type. */
function sqlColumns(t: TableMeta, create: string, name: string): SqlColumn[] {
  let declared;
  try {
    declared = declaredColumns(create);
  } catch {
    throw new EnvsnapError('CORRUPT', `${name}: the CREATE TABLE of "${t.name}" in the snapshot cannot be read: run envsnap check --read-data`);
  }
  return t.columns.map((c) => {
    if (c.dump !== 'raw') return { name: c.name, kind: 'number' };
    const d = declared.get(c.name);
    return { name: c.name, kind: d ? literalKind(d.dataType, d.characterSet) : 'hex' };
  });
}

async function* tableRows(input: EntryReader, t: TableMeta, columns: SqlColumn[], counted: (n: number) => void, name: string): AsyncGenerator<Buffer> {
  const encoder = new SqlInsertEncoder(t.name, columns);
  const out: Buffer[] = [];
  const sink = new ByteSink(CHUNK, (b) => out.push(b));
  for (const part of t.parts) {
    const decoder = new TsvRowDecoder(columns.length);
    let n = 0;
    try {
      for await (const chunk of input.read(part.file)) {
        decoder.push(chunk, (row) => {
          encoder.encodeRow(row, sink);
          n++;
        });
        if (out.length > 0) yield* out.splice(0);
      }
      decoder.end();
    } catch (err) {
      if (err instanceof EnvsnapError) throw err;
      throw new EnvsnapError('CORRUPT', `${name}: the rows of table "${t.name}" in the snapshot (${part.file}) cannot be read (${(err as Error).message}): run envsnap check --read-data`, { cause: err });
    }
    if (n !== part.rows) throw new EnvsnapError('CORRUPT', `${name}: ${part.file} of table "${t.name}" holds ${n} rows where the snapshot recorded ${part.rows}: run envsnap check --read-data`);
    counted(n);
  }
  encoder.end(sink);
  sink.flush();
  yield* out.splice(0);
}
