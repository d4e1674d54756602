/**
 * Redis connections for the driver: one ioredis client per source or sink, set up to fail fast
 * (no offline queue, no reconnect, no per-request retries) so a down server or a wrong password
 * surfaces as SOURCE_UNAVAILABLE from open() instead of a hang, and a connection lost mid-capture
 * as SOURCE_FAILED instead of a silently resent command stream. Also the one place that turns
 * ioredis errors into one-line EnvsnapErrors naming the source.
 */
import { Redis } from 'ioredis';
import { EnvsnapError } from '../../core/errors.ts';
import { describeAddress, type RedisAddress, type RedisSettings } from './settings.ts';

export interface RedisConnection {
  client: Redis;
  address: RedisAddress;
  /** From INFO server ("7.0.15"). */
  redisVersion: string;
}

/** Connects, authenticates and selects the db; rejects with SOURCE_UNAVAILABLE naming the source. */
export async function connectRedis(settings: RedisSettings, address: RedisAddress): Promise<RedisConnection> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username !== undefined ? { username: address.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(address.tls ? { tls: { servername: address.host } } : {}),
    // RESP2: every server since 2.x speaks it, and binary replies come back as plain Buffers.
    protocol: 2,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 10_000,
    disableClientInfo: true,
  });
  // ioredis reports the cause of a failed connect (ECONNREFUSED, WRONGPASS) only as 'error' events
  // and rejects connect() with a bare "Connection is closed."; keep the causes for the message. The
  // set-up commands are sent together, so a wrong password also yields NOAUTH from the others:
  // the credentials error is the one that says what to fix.
  const causes: Error[] = [];
  client.on('error', (err: Error) => {
    causes.push(err);
  });
  const where = describeAddress(address);
  try {
    await client.connect();
    // ioredis selects the db on connect but only emits an error when it does not exist, and stays
    // on db 0: selecting again is what makes a wrong db number fail instead of hitting db 0.
    await client.select(address.db);
    const info = await client.info('server');
    return { client, address, redisVersion: /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown' };
  } catch (err) {
    client.disconnect();
    const cause = causes.find((e) => /WRONGPASS|invalid password/i.test(e.message)) ?? causes[0];
    const reason = oneLine(cause ?? err, settings.password);
    throw new EnvsnapError('SOURCE_UNAVAILABLE', `${settings.name}: ${unavailableHint(where, address.db, reason)}`, { cause: cause ?? err });
  }
}

function unavailableHint(where: string, db: number, reason: string): string {
  if (/WRONGPASS|invalid password/i.test(reason)) return `Redis at ${where} refused the credentials (${reason}); check the password (and user) in the configuration`;
  if (/NOAUTH/i.test(reason)) return `Redis at ${where} requires a password (${reason}); set the password in the configuration`;
  if (/DB index is out of range/i.test(reason)) return `Redis at ${where} has no database ${db} (${reason}); fix the db number in the URL`;
  return `cannot connect to Redis at ${where} (${reason}); check that the server runs and the URL in the configuration`;
}

/**
 * SOURCE_FAILED for a failure after open() (connection lost, a command refused), naming the
 * source and what it was doing; EnvsnapErrors pass through unchanged.
 */
export function redisFailed(settings: RedisSettings, address: RedisAddress, doing: string, err: unknown): EnvsnapError {
  if (err instanceof EnvsnapError) return err;
  const reason = oneLine(err, settings.password);
  return new EnvsnapError('SOURCE_FAILED', `${settings.name}: ${doing} on Redis at ${describeAddress(address)} failed (${reason}); check that the server is running and retry`, {
    cause: err,
  });
}

/** An error's message on one line, with the password masked should a server ever echo it. */
export function oneLine(err: unknown, password?: string): string {
  let text = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  if (password) text = text.split(password).join('***');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Disconnects at once; safe to call twice. */
export function closeRedis(conn: RedisConnection | undefined): void {
  conn?.client.disconnect();
}
