/**
 * Small helpers over mysql2 for the database benchmark: connections to the benchmark server, typed row
 * queries, a bounded parallel loop, and the server-side chores between contenders (warm-up read, waiting
 * for dirty pages to be flushed, purging binary logs, listing a database's objects).
 */
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { MariaDbInfo } from '../../src/testing/servers.ts';

export type { Connection };

export function connect(server: MariaDbInfo, database?: string, options: { multipleStatements?: boolean } = {}): Promise<Connection> {
  return createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    charset: 'utf8mb4_general_ci',
    connectTimeout: 20_000,
    multipleStatements: options.multipleStatements ?? false,
  });
}

export async function rows<T>(conn: Connection, sql: string, params: unknown[] = [], timeoutMs = 3_600_000): Promise<T[]> {
  const [result] = await conn.query<RowDataPacket[]>({ sql, values: params, timeout: timeoutMs });
  return result as unknown as T[];
}

export async function withConnection<T>(server: MariaDbInfo, database: string | undefined, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await connect(server, database);
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

/** Runs `fn` over `items` with at most `parallel` in flight, each worker with its own connection. */
export async function parallelOnConnections<T>(server: MariaDbInfo, database: string | undefined, items: readonly T[], parallel: number, fn: (conn: Connection, item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = () =>
    withConnection(server, database, async (conn) => {
      while (next < items.length) await fn(conn, items[next++]);
    });
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}

export const quoteName = (name: string) => `\`${name.replaceAll('`', '``')}\``;

export interface DbObjects {
  /** Base tables, each with whether it has a primary key. */
  tables: { name: string; hasPrimaryKey: boolean }[];
  views: string[];
  triggers: string[];
}

export async function listObjects(conn: Connection, db: string): Promise<DbObjects> {
  const tables = await rows<{ name: string; type: string; pk: number }>(
    conn,
    `SELECT t.TABLE_NAME AS name, t.TABLE_TYPE AS type,
            EXISTS(SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY') AS pk
       FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = ? ORDER BY t.TABLE_NAME`,
    [db],
  );
  const triggers = await rows<{ name: string }>(conn, 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME', [db]);
  return {
    tables: tables.filter((t) => t.type === 'BASE TABLE').map((t) => ({ name: t.name, hasPrimaryKey: Number(t.pk) === 1 })),
    views: tables.filter((t) => t.type === 'VIEW').map((t) => t.name),
    triggers: triggers.map((t) => t.name),
  };
}

/**
 * Reads every table of `db` through its clustered index (2 connections), so that each contender starts
 * with the same buffer pool contents: the source database, most recently read.
 */
export async function warmUp(server: MariaDbInfo, db: string): Promise<void> {
  const objects = await withConnection(server, db, (conn) => listObjects(conn, db));
  await parallelOnConnections(server, db, objects.tables, 2, async (conn, t) => {
    await rows(conn, `SELECT COUNT(*) FROM ${quoteName(t.name)}${t.hasPrimaryKey ? ' FORCE INDEX (PRIMARY)' : ''}`);
  });
}

/**
 * Flushes the buffer pool's dirty pages (waiting at most `maxS`) and rotates and purges the binary logs,
 * so that a contender does not pay for the previous one's writes.
 */
export async function settle(server: MariaDbInfo, maxS = 180): Promise<{ dirtyPages: number; waitedS: number }> {
  return withConnection(server, undefined, async (conn) => {
    const started = performance.now();
    const [old] = await rows<{ pct: string; io: string; ioMax: string }>(conn, 'SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct, @@GLOBAL.innodb_io_capacity AS io, @@GLOBAL.innodb_io_capacity_max AS ioMax');
    await conn.query('SET GLOBAL innodb_max_dirty_pages_pct = 0, innodb_io_capacity_max = 100000, innodb_io_capacity = 50000');
    let dirty = Infinity;
    try {
      while ((performance.now() - started) / 1000 < maxS) {
        const [row] = await rows<{ v: string }>(conn, "SELECT VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'");
        dirty = Number(row.v);
        if (dirty < 200) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await conn.query(`SET GLOBAL innodb_max_dirty_pages_pct = ${Number(old.pct)}, innodb_io_capacity = ${Number(old.io)}, innodb_io_capacity_max = ${Number(old.ioMax)}`);
    }
    await conn.query('FLUSH BINARY LOGS');
    await conn.query('PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 SECOND');
    return { dirtyPages: dirty, waitedS: (performance.now() - started) / 1000 };
  });
}
