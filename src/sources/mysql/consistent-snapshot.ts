/**
 * The consistent snapshot: several connections whose transactions all see the database as of one
 * instant, plus the binlog coordinates of that instant. The engine shared by the snapshot source
 * and `db:dump`.
 *
 * How: a control connection blocks commits for a moment (MariaDB: BACKUP STAGE START +
 * BLOCK_COMMIT; MySQL: FLUSH TABLES WITH READ LOCK), every worker starts a REPEATABLE READ
 * transaction WITH CONSISTENT SNAPSHOT, the binlog position and GTID are read, and the block is
 * released — commits wait for milliseconds, never for the dump. Without the RELOAD privilege the
 * block is impossible: one worker alone takes its snapshot (still consistent, not parallel).
 *
 * The control connection is separate because BACKUP STAGE END commits the transaction of the
 * connection that runs it.
 */
import type { Logger } from '../../core/logger.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { ER, errorText, MysqlConnection, serverAddress, sqlErrno, type MysqlConnectionSettings } from './connection.ts';

export type ServerFlavor = 'mariadb' | 'mysql';

/** The pinned point, as it goes into the snapshot manifest. */
export interface SnapshotPoint {
  flavor: ServerFlavor;
  serverVersion: string;
  /** How the workers were synchronised. */
  method: 'backup-stage' | 'flush-tables-with-read-lock' | 'single-connection';
  /** Workers reading in parallel inside the snapshot. */
  connections: number;
  /** Absent when binary logging is off or the user may not read it. */
  binlogFile?: string;
  binlogPosition?: number;
  /** MariaDB gtid_binlog_pos or MySQL gtid_executed; absent when not exact or not readable. */
  gtid?: string;
}

export interface ServerInfo {
  flavor: ServerFlavor;
  version: string;
}

export async function serverInfo(conn: MysqlConnection): Promise<ServerInfo> {
  const [row] = await conn.query<{ v: string }>('SELECT VERSION() AS v');
  return { flavor: /mariadb/i.test(row.v) ? 'mariadb' : 'mysql', version: row.v };
}

/** Opens `count` connections with the session settings of a capture (neutral sql_mode, long network timeouts). */
export async function openWorkers(settings: MysqlConnectionSettings, count: number): Promise<MysqlConnection[]> {
  const conns: MysqlConnection[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const c = await MysqlConnection.open(settings);
      conns.push(c);
      // sql_mode shapes SHOW CREATE output (ANSI_QUOTES, NO_TABLE_OPTIONS …): read it neutral. A paused
      // row stream (a slow repository upstream) must not trip the server's write timeout.
      await c.query("SET SESSION sql_mode = '', net_write_timeout = 86400, net_read_timeout = 86400, wait_timeout = 86400");
      await c.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    }
    return conns;
  } catch (err) {
    await Promise.all(conns.map((c) => c.close()));
    throw err;
  }
}

/**
 * Seconds the commit block may wait for statements holding conflicting locks before the pin fails:
 * while it waits, the shop's writes may wait too (FLUSH TABLES WITH READ LOCK behind a long SELECT).
 */
const LOCK_WAIT_SECONDS = 10;

/**
 * Pins `workers` to one consistent point. `control` blocks commits meanwhile (it must not be one of
 * the workers) — only for the few statements that start the transactions and read the binlog
 * position, so writers of a live shop wait milliseconds. Returns the workers that are in the
 * snapshot: all of them, or only the first when the user lacks the RELOAD privilege (the others are
 * closed). Leaves no lock held, also on failure.
 */
export async function pinSnapshot(
  control: MysqlConnection,
  workers: MysqlConnection[],
  opts: { logger: Logger; server: ServerInfo },
): Promise<{ workers: MysqlConnection[]; point: SnapshotPoint }> {
  const s = control.settings;
  const { flavor, version } = opts.server;
  let method: SnapshotPoint['method'] = hasBackupStages(opts.server) ? 'backup-stage' : 'flush-tables-with-read-lock';
  let locked = false;
  if (workers.length > 1) {
    try {
      await control.query(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
      if (method === 'backup-stage') {
        await control.query('BACKUP STAGE START');
        locked = true;
        await control.query('BACKUP STAGE BLOCK_COMMIT');
      } else {
        await control.query('FLUSH TABLES WITH READ LOCK');
        locked = true;
      }
    } catch (err) {
      if (locked) await release(control, method);
      locked = false;
      const errno = sqlErrno(err);
      if (errno === ER.SPECIFIC_ACCESS_DENIED || errno === ER.ACCESS_DENIED || errno === ER.DBACCESS_DENIED) {
        opts.logger.warn(
          `${s.name}: user "${s.user}" lacks the RELOAD privilege, so the dump runs on one connection instead of ${workers.length} (still consistent): grant RELOAD for a parallel dump`,
        );
      } else if (errno === ER.LOCK_WAIT_TIMEOUT) {
        throw new EnvsnapError('SOURCE_FAILED', `${s.name}: could not pause commits within ${LOCK_WAIT_SECONDS} s on ${serverAddress(s)} (a long-running statement holds a lock): run the snapshot again when it has finished`, { cause: err });
      } else {
        throw new EnvsnapError('SOURCE_FAILED', `${s.name}: could not pin a consistent point on ${serverAddress(s)} (${errorText(err)}): check the server and run again`, { cause: err });
      }
    }
  }
  let inSnapshot = workers;
  if (!locked) {
    method = 'single-connection';
    inSnapshot = workers.slice(0, 1);
    await Promise.all(workers.slice(1).map((w) => w.close()));
  }
  try {
    await Promise.all(inSnapshot.map((w) => w.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')));
    const point: SnapshotPoint = { flavor, serverVersion: version, method, connections: inSnapshot.length };
    await readBinlogPoint(locked ? control : inSnapshot[0], point, locked, flavor);
    return { workers: inSnapshot, point };
  } catch (err) {
    throw new EnvsnapError('SOURCE_FAILED', `${s.name}: could not start the snapshot transactions on ${serverAddress(s)} (${errorText(err)}): check the server and run again`, { cause: err });
  } finally {
    if (locked) await release(control, method);
  }
}

/** MariaDB 10.4.1 and later block commits with BACKUP STAGE, which does not wait for running queries. */
function hasBackupStages(server: ServerInfo): boolean {
  if (server.flavor !== 'mariadb') return false;
  const [major, minor, patch] = (/^(\d+)\.(\d+)\.(\d+)/.exec(server.version) ?? []).slice(1).map(Number);
  return major > 10 || (major === 10 && (minor > 4 || (minor === 4 && patch >= 1)));
}

async function release(control: MysqlConnection, method: SnapshotPoint['method']): Promise<void> {
  // If the release fails the connection is broken, and closing it releases the lock server-side.
  await control.query(method === 'backup-stage' ? 'BACKUP STAGE END' : 'UNLOCK TABLES').catch(() => control.destroy());
}

/** A pinned snapshot with its connections, for callers that need no separate open and pin (db:dump). */
export interface ConsistentSnapshot {
  server: ServerInfo;
  point: SnapshotPoint;
  /** Connections inside the snapshot (one when the user lacks RELOAD). */
  workers: MysqlConnection[];
  /** Ends the transactions and closes every connection; idempotent. */
  close(): Promise<void>;
}

/** Connects `parallel` workers and a control connection, pins them (pinSnapshot) and closes the control connection. */
export async function openConsistentSnapshot(settings: MysqlConnectionSettings, opts: { parallel: number; logger: Logger }): Promise<ConsistentSnapshot> {
  const control = await MysqlConnection.open(settings);
  let workers: MysqlConnection[] = [];
  try {
    const server = await serverInfo(control);
    workers = await openWorkers(settings, Math.max(1, opts.parallel));
    const pinned = await pinSnapshot(control, workers, { logger: opts.logger, server });
    workers = pinned.workers;
    return { server, point: pinned.point, workers, close: () => Promise.all(workers.map((w) => w.close())).then(() => {}) };
  } catch (err) {
    await Promise.all(workers.map((w) => w.close()));
    throw err;
  } finally {
    await control.close();
  }
}

/**
 * The binlog coordinates of the point. Under the commit block SHOW MASTER STATUS and the GTID
 * position are exact; a lone MariaDB snapshot has binlog_snapshot_file/position, exact for its
 * transaction, and BINLOG_GTID_POS turns them into the GTID position; a lone MySQL snapshot has
 * nothing exact, so nothing is recorded.
 */
async function readBinlogPoint(conn: MysqlConnection, point: SnapshotPoint, locked: boolean, flavor: ServerFlavor): Promise<void> {
  try {
    if (locked) {
      const [st] = await conn.query<{ File: string; Position: string | number }>('SHOW MASTER STATUS');
      if (st) {
        point.binlogFile = st.File;
        point.binlogPosition = Number(st.Position);
      }
      const [g] = await conn.query<{ g: string | null }>(flavor === 'mariadb' ? 'SELECT @@GLOBAL.gtid_binlog_pos AS g' : 'SELECT @@GLOBAL.gtid_executed AS g');
      if (g?.g) point.gtid = String(g.g).replace(/\s+/g, '');
    } else if (flavor === 'mariadb') {
      const rows = await conn.query<{ Variable_name: string; Value: string }>("SHOW STATUS LIKE 'binlog_snapshot_%'");
      const file = rows.find((r) => r.Variable_name.toLowerCase() === 'binlog_snapshot_file')?.Value;
      const pos = rows.find((r) => r.Variable_name.toLowerCase() === 'binlog_snapshot_position')?.Value;
      if (file) {
        point.binlogFile = file;
        point.binlogPosition = Number(pos);
        // The GTID position of those coordinates, as MariaDB maps them (gtid_binlog_pos may have moved on).
        const [g] = await conn.query<{ g: string | null }>('SELECT BINLOG_GTID_POS(?, ?) AS g', [file, point.binlogPosition]);
        if (g?.g) point.gtid = String(g.g);
      }
    }
  } catch (err) {
    // No BINLOG MONITOR / REPLICATION CLIENT privilege: the dump is still consistent, just without coordinates.
    if (sqlErrno(err) === undefined) throw err;
  }
}
