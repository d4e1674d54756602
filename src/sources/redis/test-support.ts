/**
 * Test support for the Redis driver (test-only): db-number claims on the shared test server, a
 * capture and a restore in one call each, and the fingerprint a user would compare after a round
 * trip.
 *
 * Claims: test files share one Redis server (64 databases), so a test takes a db number by
 * `SET envsnap-test:db:<n> <owner> NX` in db 0 and gives it back (flushed) when done. The claim
 * expires after an hour so a crashed test run does not hold a number forever.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryLogger, noProgress, type Progress } from '../../core/logger.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import type { RedisInfo } from '../../testing/servers.ts';
import type { CaptureOptions, EntryReader, EntryWriter } from '../source.ts';
import { RedisSink } from './redis-sink.ts';
import { RedisSource } from './redis-source.ts';

export interface ClaimedDb {
  db: number;
  url: string;
  /** A client on the claimed db. */
  client: Redis;
  /** Empties the db and gives the number back. */
  release(): Promise<void>;
}

const DATABASES = 64;

export const NAME = 'redis cache';

export function driverOptions(progress: Progress = noProgress): CaptureOptions & { logger: MemoryLogger } {
  return { logger: new MemoryLogger(), progress };
}

/** Captures the db at `url` into `writer` (MemoryEntries by default). */
export async function capture(url: string, writer: EntryWriter = new MemoryEntries(), password?: string, progress?: Progress) {
  const source = new RedisSource({ name: NAME, url, password });
  const o = driverOptions(progress);
  try {
    await source.open(o);
    const pin = await source.pin();
    const result = await source.capture(writer, o);
    return { pin, result, writer, logger: o.logger };
  } finally {
    await source.close();
  }
}

/** Restores `entries` into the db at `url`; what the sink logged goes to `logger`, which is returned. */
export async function restore(url: string, entries: EntryReader, details: Record<string, unknown>, o: { progress?: Progress; logger?: MemoryLogger; password?: string } = {}): Promise<MemoryLogger> {
  const sink = new RedisSink({ name: NAME, url, ...(o.password !== undefined ? { password: o.password } : {}) });
  const options = { ...driverOptions(o.progress), ...(o.logger ? { logger: o.logger } : {}) };
  try {
    await sink.open(options);
    await sink.restore(entries, { ...options, details });
    return options.logger;
  } finally {
    await sink.close();
  }
}

export function redisClient(info: RedisInfo, db: number, password?: string): Redis {
  return new Redis({ host: info.host, port: info.port, db, password, protocol: 2, lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null });
}

/** Claims a db number no other test uses right now, and that is empty. */
export async function claimDb(info: RedisInfo): Promise<ClaimedDb> {
  const admin = redisClient(info, 0);
  const owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    for (let db = 1; db < DATABASES; db++) {
      const claim = `envsnap-test:db:${db}`;
      if ((await admin.set(claim, owner, 'EX', 3600, 'NX')) !== 'OK') continue;
      const client = redisClient(info, db);
      if ((await client.dbsize()) !== 0) {
        // Someone uses this db without a claim: leave it alone (the claim keeps others off it too).
        client.disconnect();
        continue;
      }
      return {
        db,
        url: `redis://${info.host}:${info.port}/${db}`,
        client,
        release: async () => {
          await client.flushdb();
          client.disconnect();
          const a = redisClient(info, 0);
          if ((await a.get(claim)) === owner) await a.del(claim);
          a.disconnect();
        },
      };
    }
  } finally {
    admin.disconnect();
  }
  throw new Error(`no free Redis database on ${info.host}:${info.port}: all ${DATABASES - 1} are claimed`);
}

/** The claims of one suite: `claim()` takes a db, `releaseAll()` (in `after`) gives every one back. */
export function suiteClaims(info: () => RedisInfo): { claim(): Promise<ClaimedDb>; releaseAll(): Promise<void> } {
  const claimed: ClaimedDb[] = [];
  return {
    claim: async () => {
      const c = await claimDb(info());
      claimed.push(c);
      return c;
    },
    releaseAll: async () => {
      for (const c of claimed.splice(0)) await c.release();
    },
  };
}

/** Every key name of the client's db, sorted bytewise. */
export async function allKeys(client: Redis): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Map(keys.map((k) => [k.toString('hex'), k])).values()].sort(Buffer.compare);
}

/**
 * What a user compares: one line per key with its name, type, TTL bucket and a digest of its value.
 * The TTL bucket is the PTTL in whole minutes rounded up (-1: no expiry): TTLs keep running during
 * a test, and a key given a whole-minute TTL stays in its bucket for a minute. The value digest is
 * the DUMP payload, except for hashes and sets: their payload lists members in hash-table order,
 * which a RESTORE may legitimately change, so their sorted members are compared instead.
 */
export async function fingerprint(client: Redis): Promise<string> {
  const lines: string[] = [];
  const keys = await allKeys(client);
  for (let start = 0; start < keys.length; start += 500) {
    const batch = keys.slice(start, start + 500);
    const p = client.pipeline();
    for (const key of batch) p.type(key).pttl(key).dumpBuffer(key);
    const replies = ((await p.exec()) ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    for (const [i, key] of batch.entries()) {
      const [type, pttl, dump] = replies.slice(i * 3, i * 3 + 3) as [string, number, Buffer | null];
      const bucket = pttl < 0 ? pttl : Math.ceil(pttl / 60_000);
      const h = createHash('sha256');
      if (type === 'hash') for (const m of await hashMembers(client, key)) h.update(`${m}\n`);
      else if (type === 'set') for (const m of (await client.smembersBuffer(key)).map((b) => b.toString('hex')).sort()) h.update(`${m}\n`);
      else h.update(dump ?? Buffer.alloc(0));
      lines.push(`${key.toString('hex')} ${type} ttl=${bucket} ${h.digest('hex').slice(0, 16)}`);
    }
  }
  return lines.join('\n');
}

/** A hash's fields and values as sorted "field=value" hex lines. HSCAN, not HGETALL: ioredis turns HGETALL into an object, decoding binary field names. */
async function hashMembers(client: Redis, key: Buffer): Promise<string[]> {
  const pairs = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, flat] = await client.hscanBuffer(key, cursor, 'COUNT', 1000);
    cursor = next.toString();
    for (let i = 0; i < flat.length; i += 2) pairs.set(flat[i].toString('hex'), flat[i + 1].toString('hex'));
  } while (cursor !== '0');
  return [...pairs].map(([f, v]) => `${f}=${v}`).sort();
}
