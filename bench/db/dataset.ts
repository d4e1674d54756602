/**
 * Generating and keeping the benchmark database: tables created with their primary keys only, rows
 * generated in this process as TSV and streamed with `LOAD DATA LOCAL INFILE` (several tables at a time,
 * no binary log), then secondary indexes and foreign keys, triggers, the view and fresh statistics.
 *
 * The database stays in the server's kept data directory. A marker file (dataset.json) records the
 * generator version, the scale, the row counts and every table's CHECKSUM; a later run reuses the database
 * only when all of them still match.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import type { MariaDbInfo } from '../../src/testing/servers.ts';
import { GENERATOR_VERSION, addIndexesSql, allTables, columnNames, countsFor, createTableSql, triggerSqls, viewSqls } from './schema.ts';
import type { Counts, TableDef } from './table-def.ts';
import { listObjects, parallelOnConnections, quoteName, rows, withConnection, type Connection } from './sql.ts';
import { tableChecksums, type Checksums } from './verify.ts';
import { tsvRow } from './values.ts';

export const SOURCE_DB = 'magento';
const CHUNK_CHARS = 256 * 1024;
const LOAD_PARALLEL = 3;

export interface TableStat {
  name: string;
  rows: number;
  dataBytes: number;
  indexBytes: number;
}

export interface DatasetInfo {
  db: string;
  scale: number;
  reused: boolean;
  /** Seconds spent generating (0 when reused). */
  generationS: number;
  tables: TableStat[];
  views: number;
  triggers: number;
  rows: number;
  dataBytes: number;
  indexBytes: number;
  checksums: Checksums;
}

interface Marker {
  version: number;
  scale: number;
  db: string;
  generationS: number;
  rows: Record<string, number>;
  checksums: Checksums;
}

const LOAD_SESSION = "SET SESSION sql_log_bin = 0, foreign_key_checks = 0, unique_checks = 0, time_zone = '+00:00', sql_mode = 'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'";

/** The rows of `t` as a stream of TSV chunks that waits while the connection's socket has a backlog. */
function tsvStream(t: TableDef, counts: Counts, socket: Socket, onRows: (n: number) => void): Readable {
  const width = t.columns.length;
  const iterator = t.rows(counts)[Symbol.iterator]();
  let checked = false;
  return new Readable({
    read() {
      const produce = () => {
        try {
          const parts: Buffer[] = [];
          let text = '';
          let size = 0;
          let n = 0;
          while (size < CHUNK_CHARS) {
            const next = iterator.next();
            if (next.done) break;
            if (!checked && next.value.length !== width) throw new Error(`${t.name}: the generator yields ${next.value.length} values for ${width} columns`);
            checked = true;
            const line = tsvRow(next.value);
            n++;
            size += line.length;
            if (typeof line === 'string') text += line;
            else {
              if (text !== '') parts.push(Buffer.from(text, 'utf8'));
              text = '';
              parts.push(line);
            }
          }
          if (text !== '') parts.push(Buffer.from(text, 'utf8'));
          onRows(n);
          this.push(parts.length === 0 ? null : parts.length === 1 ? parts[0] : Buffer.concat(parts));
        } catch (err) {
          this.destroy(err as Error);
        }
      };
      // mysql2 writes whatever the stream gives it; the socket's backlog is our backpressure.
      if (socket.writableNeedDrain) socket.once('drain', produce);
      else setImmediate(produce);
    },
  });
}

async function loadTable(conn: Connection, t: TableDef, counts: Counts): Promise<number> {
  const socket = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
  let loaded = 0;
  const columns = columnNames(t).map(quoteName).join(',');
  const sql = `LOAD DATA LOCAL INFILE '${t.name}.tsv' INTO TABLE ${quoteName(t.name)} CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns})`;
  const [result] = await conn.query({ sql, infileStreamFactory: () => tsvStream(t, counts, socket, (n) => (loaded += n)) } as never);
  const ok = result as unknown as { affectedRows: number; warningStatus: number };
  if (ok.warningStatus > 0) {
    const warnings = await rows<{ Message: string }>(conn, 'SHOW WARNINGS LIMIT 5');
    throw new Error(`loading ${t.name}: ${ok.warningStatus} warnings, e.g. ${warnings.map((w) => w.Message).join('; ')}`);
  }
  if (ok.affectedRows !== loaded) throw new Error(`loading ${t.name}: sent ${loaded} rows, the server stored ${ok.affectedRows}`);
  return loaded;
}

/** Bytes per row of the first rows, times the expected count: the order to load in (biggest first). */
function estimatedBytes(t: TableDef, counts: Counts): number {
  let bytes = 0;
  let n = 0;
  for (const row of t.rows(counts)) {
    bytes += tsvRow(row).length;
    if (++n === 50) break;
  }
  return n === 0 ? 0 : (bytes / n) * t.count(counts);
}

async function generate(server: MariaDbInfo, scale: number, progress: (m: string) => void): Promise<Record<string, number>> {
  const counts = countsFor(scale);
  const tables = allTables();
  await withConnection(server, undefined, async (conn) => {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteName(SOURCE_DB)}`);
    await conn.query(`CREATE DATABASE ${quoteName(SOURCE_DB)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await conn.query(`USE ${quoteName(SOURCE_DB)}`);
    for (const t of tables) await conn.query(createTableSql(t));
  });

  const ordered = tables.map((t) => ({ t, bytes: estimatedBytes(t, counts) })).sort((a, b) => b.bytes - a.bytes);
  const loaded: Record<string, number> = {};
  let started = performance.now();
  await parallelOnConnections(server, SOURCE_DB, ordered, LOAD_PARALLEL, async (conn, { t }) => {
    await conn.query(LOAD_SESSION);
    const t0 = performance.now();
    loaded[t.name] = await loadTable(conn, t, counts);
    const s = (performance.now() - t0) / 1000;
    if (s > 5) progress(`  loaded ${t.name}: ${loaded[t.name]} rows in ${s.toFixed(1)} s`);
  });
  progress(`loaded ${tables.length} tables in ${((performance.now() - started) / 1000).toFixed(1)} s; adding indexes and foreign keys`);

  started = performance.now();
  await parallelOnConnections(server, SOURCE_DB, ordered, 2, async (conn, { t }) => {
    await conn.query(LOAD_SESSION);
    const fulltext = (t.indexes ?? []).filter((i) => i.startsWith('FULLTEXT'));
    const sql = addIndexesSql({ ...t, indexes: (t.indexes ?? []).filter((i) => !i.startsWith('FULLTEXT')) });
    if (sql) await conn.query(sql);
    // InnoDB builds one FULLTEXT index per statement.
    for (const index of fulltext) await conn.query(`ALTER TABLE ${quoteName(t.name)} ADD ${index}`);
  });
  progress(`indexes and foreign keys added in ${((performance.now() - started) / 1000).toFixed(1)} s; triggers, view, statistics`);

  await withConnection(server, SOURCE_DB, async (conn) => {
    for (const sql of [...triggerSqls(), ...viewSqls()]) await conn.query(sql);
  });
  await parallelOnConnections(server, SOURCE_DB, tables, 2, async (conn, t) => {
    await conn.query(`ANALYZE TABLE ${quoteName(t.name)}`);
  });
  return loaded;
}

function readMarker(path: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

function sameChecksums(a: Checksums, b: Checksums): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Reuses the kept database when its marker and checksums match, else generates it; reports its size. */
export async function ensureDataset(server: MariaDbInfo, scale: number, markerPath: string, progress: (m: string) => void): Promise<DatasetInfo> {
  const marker = readMarker(markerPath);
  let reuse: Marker | undefined;
  const exists = await withConnection(server, undefined, async (conn) => (await rows(conn, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [SOURCE_DB])).length === 1);
  if (marker && exists && marker.version === GENERATOR_VERSION && marker.scale === scale && marker.db === SOURCE_DB) {
    progress('checking the kept database (CHECKSUM TABLE of every table)');
    const checksums = await tableChecksums(server, SOURCE_DB);
    if (sameChecksums(checksums, marker.checksums)) reuse = marker;
    else progress('the kept database differs from its marker; generating it again');
  } else if (existsSync(markerPath) || exists) {
    progress(`the kept database is for another scale or generator version (${marker ? `scale ${marker.scale}, version ${marker.version}` : 'no marker'}); generating it again`);
  }

  let generationS = 0;
  let rowCounts: Record<string, number>;
  let checksums: Checksums;
  if (reuse) {
    rowCounts = reuse.rows;
    checksums = reuse.checksums;
    generationS = reuse.generationS;
  } else {
    const t0 = performance.now();
    progress(`generating the database at scale ${scale}`);
    rowCounts = await generate(server, scale, progress);
    generationS = (performance.now() - t0) / 1000;
    progress(`generated in ${generationS.toFixed(1)} s; computing checksums`);
    checksums = await tableChecksums(server, SOURCE_DB);
    writeFileSync(markerPath, JSON.stringify({ version: GENERATOR_VERSION, scale, db: SOURCE_DB, generationS, rows: rowCounts, checksums } satisfies Marker, null, 2) + '\n');
  }

  return withConnection(server, SOURCE_DB, async (conn) => {
    const objects = await listObjects(conn, SOURCE_DB);
    const sizes = await rows<{ name: string; data: string; idx: string }>(
      conn,
      "SELECT TABLE_NAME AS name, DATA_LENGTH AS data, INDEX_LENGTH AS idx FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY DATA_LENGTH + INDEX_LENGTH DESC",
      [SOURCE_DB],
    );
    const tables = sizes.map((s) => ({ name: s.name, rows: rowCounts[s.name] ?? 0, dataBytes: Number(s.data), indexBytes: Number(s.idx) }));
    return {
      db: SOURCE_DB,
      scale,
      reused: reuse !== undefined,
      generationS,
      tables,
      views: objects.views.length,
      triggers: objects.triggers.length,
      rows: tables.reduce((s, t) => s + t.rows, 0),
      dataBytes: tables.reduce((s, t) => s + t.dataBytes, 0),
      indexBytes: tables.reduce((s, t) => s + t.indexBytes, 0),
      checksums,
    };
  });
}
