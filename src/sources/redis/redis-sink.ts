/**
 * RedisSink: loads a captured Redis database (keys.bin, meta.json) into a target database.
 *
 * The target db is flushed (FLUSHDB; the app layer has asked for confirmation, showing
 * describeTarget()) and refilled with pipelined `RESTORE key ttl payload REPLACE`, in batches
 * bounded by count and bytes, one batch in flight while the next is decoded. Each key gets the
 * TTL it had at capture time (its recorded expiry minus the capture time from the details), so a
 * snapshot restored a week later does not come back already expired.
 *
 * Checks that can fail run before the flush: a snapshot from a newer Redis (RDB version above
 * what the target reads) is refused while the target is still untouched. A failure after the
 * flush (connection lost) leaves a partly loaded db; running the restore again repairs it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EnvsnapError } from '../../core/errors.ts';
import type { CaptureOptions, EntryReader, RestoreOptions, Sink } from '../source.ts';
import { META_FILE, type RedisCaptureMeta } from './capture-meta.ts';
import { closeRedis, connectRedis, redisFailed, type RedisConnection } from './connection.ts';
import { rdbVersionOf } from './dump-payload.ts';
import { throwIfAborted } from './key-reader.ts';
import { decodeKeyRecords, KEYS_FILE, NO_EXPIRY, type KeyRecord } from './record-format.ts';
import { describeAddress, parseRedisUrl, type RedisAddress, type RedisSettings } from './settings.ts';

const BATCH_KEYS = 1000;
const BATCH_BYTES = 8 * 1024 * 1024;

export class RedisSink implements Sink {
  readonly kind = 'redis' as const;
  readonly name: string;
  private readonly settings: RedisSettings;
  private readonly address: RedisAddress;
  private conn: RedisConnection | undefined;

  /** Throws CONFIG for an unusable URL; connects only in open(). */
  constructor(settings: RedisSettings) {
    this.settings = settings;
    this.name = settings.name;
    this.address = parseRedisUrl(settings);
  }

  async open(_opts: CaptureOptions): Promise<void> {
    if (this.conn) return;
    this.conn = await connectRedis(this.settings, this.address);
  }

  async describeTarget(): Promise<string> {
    const { client } = this.connection();
    let keys: number;
    try {
      keys = await client.dbsize();
    } catch (err) {
      throw redisFailed(this.settings, this.address, 'counting the keys', err);
    }
    return keys === 0 ? '' : `redis ${describeAddress(this.address)}: ${keys} ${keys === 1 ? 'key' : 'keys'}`;
  }

  async restore(input: EntryReader, opts: RestoreOptions): Promise<void> {
    const conn = this.connection();
    const { client } = conn;
    const files = new Set(input.list().map((f) => f.path));
    if (!files.has(KEYS_FILE)) throw new EnvsnapError('CORRUPT', `${this.name}: the snapshot has no ${KEYS_FILE} for this Redis source; restore another snapshot`);
    const meta = files.has(META_FILE) ? await this.readMeta(input) : undefined;
    const capturedAt = typeof opts.details.captured_at_ms === 'number' ? opts.details.captured_at_ms : undefined;
    if (capturedAt === undefined) {
      opts.logger.warn(`${this.name}: the snapshot does not record when Redis was captured; keys keep their original expiry times, so keys whose time has passed are not restored`);
    }

    let targetRdb: number | undefined;
    try {
      targetRdb = await probeRdbVersion(client);
    } catch (err) {
      // Only a pre-check: RESTORE itself still refuses a payload it cannot read.
      opts.logger.debug(`${this.name}: could not read the target's RDB version (${(err as Error).message})`);
    }
    if (meta?.rdb_version !== undefined && targetRdb !== undefined && meta.rdb_version > targetRdb) {
      throw this.tooNew(meta.rdb_version, targetRdb, meta.redis_version);
    }

    try {
      await client.flushdb('ASYNC');
    } catch (err) {
      throw redisFailed(this.settings, this.address, 'emptying the database', err);
    }

    let restored = 0;
    let bytes = 0;
    let batch: KeyRecord[] = [];
    let batchBytes = 0;
    let inFlight: Promise<void> | undefined;
    const send = async (records: KeyRecord[]) => {
      const p = client.pipeline();
      for (const r of records) {
        if (r.expireAt === NO_EXPIRY) p.restore(r.key, 0, r.payload, 'REPLACE');
        else if (capturedAt !== undefined) p.restore(r.key, Math.max(1, r.expireAt - capturedAt), r.payload, 'REPLACE');
        else p.restore(r.key, r.expireAt, r.payload, 'REPLACE', 'ABSTTL');
      }
      let replies: [Error | null, unknown][];
      try {
        replies = (await p.exec()) ?? [];
      } catch (err) {
        throw redisFailed(this.settings, this.address, 'restoring the keys', err);
      }
      replies.forEach(([err], i) => {
        if (!err) return;
        const r = records[i];
        if (/payload version or checksum/i.test(err.message)) {
          const v = rdbVersionOf(r.payload);
          if (v !== undefined && targetRdb !== undefined && v > targetRdb) throw this.tooNew(v, targetRdb, meta?.redis_version);
        }
        throw redisFailed(this.settings, this.address, `restoring key ${printableKey(r.key)}`, err);
      });
    };
    const flush = async () => {
      if (batch.length === 0) return;
      // At most one batch in flight: decoding the next overlaps with Redis loading this one.
      await inFlight;
      inFlight = send(batch);
      inFlight.catch(() => {});
      restored += batch.length;
      bytes += batchBytes;
      batch = [];
      batchBytes = 0;
      opts.progress.update({ phase: `${this.name}: restoring keys`, files: restored, bytes, ...(meta ? { totalFiles: meta.keys } : {}) });
    };

    for await (const r of decodeKeyRecords(input.read(KEYS_FILE), `${this.name}: ${KEYS_FILE}`)) {
      const v = rdbVersionOf(r.payload);
      if (v !== undefined && targetRdb !== undefined && v > targetRdb) {
        await inFlight?.catch(() => {});
        throw this.tooNew(v, targetRdb, meta?.redis_version);
      }
      batch.push(r);
      batchBytes += r.key.length + r.payload.length;
      if (batch.length >= BATCH_KEYS || batchBytes >= BATCH_BYTES) {
        throwIfAborted(this.name, opts.signal);
        await flush();
      }
    }
    await flush();
    await inFlight;
    opts.logger.info(`${this.name}: restored ${restored} keys into ${describeAddress(this.address)}`);
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    closeRedis(conn);
  }

  private async readMeta(input: EntryReader): Promise<RedisCaptureMeta> {
    const parts: Buffer[] = [];
    for await (const p of input.read(META_FILE)) parts.push(p);
    try {
      return JSON.parse(Buffer.concat(parts).toString('utf8')) as RedisCaptureMeta;
    } catch {
      throw new EnvsnapError('CORRUPT', `${this.name}: the snapshot's ${META_FILE} is not valid JSON; restore another snapshot`);
    }
  }

  private tooNew(sourceRdb: number, targetRdb: number, sourceRedis: string | undefined): EnvsnapError {
    const from = sourceRedis ? ` (Redis ${sourceRedis})` : '';
    return new EnvsnapError(
      'SOURCE_FAILED',
      `${this.name}: the snapshot holds RDB version ${sourceRdb} data${from}, but Redis ${this.connection().redisVersion} at ${describeAddress(this.address)} reads RDB version ${targetRdb} at most; restore into a Redis at least as new as the captured one`,
    );
  }

  private connection(): RedisConnection {
    if (!this.conn) throw new Error(`${this.name}: open() was not called`);
    return this.conn;
  }
}

/**
 * The RDB version the target writes (and so reads at most): DUMP of a throwaway key. MULTI makes
 * the key's life atomic, so no other client of the target ever sees it.
 */
async function probeRdbVersion(client: Redis): Promise<number | undefined> {
  const key = `envsnap:rdb-version-probe:${randomBytes(8).toString('hex')}`;
  const replies = (await client.multi().set(key, '1').dumpBuffer(key).del(key).exec()) ?? [];
  const [err, payload] = replies[1] ?? [];
  if (err) throw err;
  return payload instanceof Buffer ? rdbVersionOf(payload) : undefined;
}

/** A key for a message: quoted text when it is printable UTF-8, else hex; cut at 80 characters. */
export function printableKey(key: Buffer): string {
  const text = key.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(key) && !/[\u0000-\u001f\u007f]/.test(text);
  const shown = printable ? JSON.stringify(text) : `0x${key.toString('hex')}`;
  return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown;
}
