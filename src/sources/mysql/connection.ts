/**
 * MysqlConnection: one mysql2 connection with what the driver needs and nothing else — queries
 * returning plain rows, LOAD DATA LOCAL fed from a stream, and access to the raw protocol for the
 * row reader (table-reader.ts). Connection failures become SOURCE_UNAVAILABLE naming the source,
 * the server and what to do; the password never appears in a message.
 *
 * Every connection runs with time_zone '+00:00' (TIMESTAMP values are read and written exactly)
 * and no statement time limit (a server-wide max_statement_time must not cut a long dump short).
 */
import type { Readable } from 'node:stream';
import type { Connection as RawConnection, QueryError } from 'mysql2';
import { EnvsnapError } from '../../core/errors.ts';

/** Already-resolved settings of one database (the password only in memory). */
export interface MysqlConnectionSettings {
  /** The source's name for messages, e.g. "database default". */
  name: string;
  host: string;
  port: number;
  /** A Unix socket; when set, host and port are only used in messages. */
  socket?: string;
  user: string;
  password: string;
  database: string;
}

/** Where the server is, for messages: the socket path or host:port. */
export function serverAddress(s: MysqlConnectionSettings): string {
  return s.socket ? s.socket : `${s.host}:${s.port}`;
}

/** A message on one line (server messages may carry newlines, e.g. a quoted statement). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The server's error number (1146 …) or undefined for client-side errors. */
export function sqlErrno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { errno?: unknown }).errno === 'number' ? (err as { errno: number }).errno : undefined;
}

export function errorText(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}

export const ER = {
  DBACCESS_DENIED: 1044,
  ACCESS_DENIED: 1045,
  BAD_DB: 1049,
  UNKNOWN_TABLE: 1051,
  NO_SUCH_TABLE: 1146,
  SPECIFIC_ACCESS_DENIED: 1227,
  TABLEACCESS_DENIED: 1142,
  VIEW_INVALID: 1356,
  TABLE_DEF_CHANGED: 1412,
  UNKNOWN_SYSTEM_VARIABLE: 1193,
  NOT_ALLOWED_COMMAND: 1148,
  LOCK_WAIT_TIMEOUT: 1205,
} as const;

/** mysql2's Query command as the row reader drives it (not part of mysql2's typed API). */
export interface InternalQuery {
  row: (packet: InternalPacket) => unknown;
  done: () => unknown;
}

/** One protocol packet: the payload is buffer[offset, end); valid only during the call. */
export interface InternalPacket {
  buffer: Buffer;
  offset: number;
  end: number;
  isEOF(): boolean;
}

export type Row = Record<string, unknown>;

const ACCESS_ERRNOS = new Set<number>([ER.ACCESS_DENIED, ER.DBACCESS_DENIED, 1130 /* host not privileged */, 1251 /* auth plugin */, 1698 /* access denied (socket auth) */]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ENOENT', 'EACCES', 'PROTOCOL_CONNECTION_LOST']);

function connectError(s: MysqlConnectionSettings, err: unknown): EnvsnapError {
  const where = serverAddress(s);
  const errno = sqlErrno(err);
  const code = (err as { code?: string } | null)?.code ?? '';
  if (errno !== undefined && ACCESS_ERRNOS.has(errno)) {
    return new EnvsnapError('SOURCE_UNAVAILABLE', `${s.name}: MySQL at ${where} refused user "${s.user}" (access denied): check the user name and password`, { cause: err });
  }
  if (errno === 1040) {
    return new EnvsnapError('SOURCE_UNAVAILABLE', `${s.name}: MySQL at ${where} has too many connections: try again later or raise max_connections`, { cause: err });
  }
  if (NETWORK_CODES.has(code)) {
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown host' : code === 'ETIMEDOUT' ? 'timed out' : code === 'ENOENT' ? 'no such socket' : code;
    return new EnvsnapError('SOURCE_UNAVAILABLE', `${s.name}: cannot connect to MySQL at ${where} (${why}): check that the server is running and the ${s.socket ? 'socket path' : 'host and port'} are right`, { cause: err });
  }
  return new EnvsnapError('SOURCE_UNAVAILABLE', `${s.name}: cannot connect to MySQL at ${where} (${errorText(err)}): check the connection settings`, { cause: err });
}

export class MysqlConnection {
  readonly settings: MysqlConnectionSettings;
  readonly raw: RawConnection;
  /** Set when the connection failed for good (lost, killed); later queries fail with it. */
  fatal: Error | undefined;
  /** True while a statement streams (rows or a LOCAL INFILE): close() must then drop the socket. */
  streaming = false;
  private closed = false;
  private destroyed = false;
  private readonly aborters = new Set<(err: Error) => void>();

  private constructor(settings: MysqlConnectionSettings, raw: RawConnection) {
    this.settings = settings;
    this.raw = raw;
    // A connection-level error with no command to take it would otherwise crash the process.
    raw.on('error', (err: Error) => {
      this.fatal ??= err;
    });
  }

  /**
   * Connects (without a default database: every statement names its database) and sets the session up.
   * `binaryClient`: statements are sent as the bytes of their latin1 text (one byte a character), so a
   * script that is not valid UTF-8 (a dump's raw strings) reaches the server unchanged, whatever SET
   * NAMES it runs; the session's character set is the caller's to set, and server messages arrive
   * as latin1 text.
   */
  static async open(settings: MysqlConnectionSettings, opts: { binaryClient?: boolean } = {}): Promise<MysqlConnection> {
    // The driver is loaded on the first connection: commands that never reach a MySQL server do not pay for it.
    const { default: mysql } = await import('mysql2');
    const raw = mysql.createConnection({
      host: settings.host,
      port: settings.port,
      socketPath: settings.socket,
      user: settings.user,
      password: settings.password,
      charset: opts.binaryClient ? 'BINARY' : 'UTF8MB4_GENERAL_CI',
      // mysql2 follows a SET NAMES the server reports through session tracking by re-encoding what it
      // sends: a binary client must not, or the bytes would be sent as the UTF-8 of their latin1 text.
      ...(opts.binaryClient ? { flags: ['-SESSION_TRACK'] } : {}),
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      jsonStrings: true,
      multipleStatements: false,
      connectTimeout: 15_000,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        raw.once('connect', () => resolve());
        raw.once('error', reject);
      });
    } catch (err) {
      raw.on('error', () => {}); // late errors of a failed connection have no one to go to
      raw.destroy();
      throw connectError(settings, err);
    }
    const conn = new MysqlConnection(settings, raw);
    try {
      await conn.query("SET SESSION time_zone = '+00:00'");
      // MariaDB and MySQL name the statement time limit differently; one of them is unknown, that is fine.
      await conn.query('SET SESSION max_statement_time = 0').catch(() => {});
      await conn.query('SET SESSION max_execution_time = 0').catch(() => {});
    } catch (err) {
      conn.destroy();
      throw connectError(settings, err);
    }
    return conn;
  }

  /** Runs one statement; rows as objects keyed by column name (for statements with a result set). */
  query<T = Row>(sql: string, values?: unknown[]): Promise<T[]> {
    return this.run<unknown>((cb) => this.raw.query({ sql, values }, cb)).then((rows) => (Array.isArray(rows) ? rows : []) as T[]);
  }

  /** Runs one statement that returns no rows; resolves with the server's OK packet (affectedRows, warningStatus). */
  execute(sql: string, opts: { infileStreamFactory?: (path: string) => Readable } = {}): Promise<{ affectedRows: number; warningStatus: number }> {
    return this.run<unknown>((cb) => this.raw.query({ sql, infileStreamFactory: opts.infileStreamFactory }, cb)).then(
      (res) => (res ?? { affectedRows: 0, warningStatus: 0 }) as { affectedRows: number; warningStatus: number },
    );
  }

  /**
   * Starts a mysql2 command whose callback settles the promise; destroy() settles it too (mysql2
   * itself never calls back a command whose socket it was told to close).
   */
  run<T>(start: (cb: (err: QueryError | null, result: T) => void) => void): Promise<T> {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<T>((resolve, reject) => {
      const aborter = (err: Error) => reject(err);
      this.aborters.add(aborter);
      start((err, result) => {
        this.aborters.delete(aborter);
        if (err) reject(err);
        else resolve(result);
      });
    });
  }

  /** Calls `fn` if the connection is destroyed before the returned function is called. */
  onDestroy(fn: (err: Error) => void): () => void {
    this.aborters.add(fn);
    return () => this.aborters.delete(fn);
  }

  /** Closes politely (the server releases locks and transactions); a broken connection is destroyed. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.fatal || this.streaming) {
      this.destroy();
      return;
    }
    this.closed = true;
    await new Promise<void>((resolve) => {
      // A statement still running (an ALTER cut short by a failure elsewhere) would hold the quit back.
      const timer = setTimeout(() => {
        this.destroy();
        resolve();
      }, 5_000);
      this.raw.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Drops the socket at once (a query still streaming rows cannot be ended politely; the server
   * rolls back and releases locks) and fails whatever runs on it.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.closed = true;
    const err = Object.assign(new Error('the connection was closed by envsnap'), { code: 'ENVSNAP_CLOSED' });
    this.fatal ??= err;
    this.raw.destroy();
    (this.raw as unknown as { stream?: { destroy(): void } }).stream?.destroy();
    const aborters = [...this.aborters];
    this.aborters.clear();
    for (const a of aborters) a(this.fatal);
  }
}
