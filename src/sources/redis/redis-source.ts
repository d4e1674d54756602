/**
 * RedisSource: captures every key of one Redis database — value (DUMP payload), type and expiry —
 * into two files:
 *   keys.bin   the key records, sorted by key name (format in record-format.ts)
 *   meta.json  Redis and RDB version, db number, key counts by type
 *
 * This is a live capture: Redis has no consistent point across keys (no transaction spans a
 * keyspace scan), so pin() reports `consistent: false` and each key is as it was when its batch
 * was read. Memory stays bounded: only key names are held (to sort them, which makes two captures
 * of an unchanged database byte-identical); values are fetched and streamed in batches sized by
 * the bytes the previous batch returned (the first batch is small, as nothing is known yet).
 *
 * Expiry is recorded as an absolute time and the capture's start (server clock) goes into the
 * details as `captured_at_ms`; the sink restores each key with the TTL it had at that moment.
 */
import type { CaptureOptions, CaptureResult, EntryWriter, PinResult, Source } from '../source.ts';
import { encodeMeta, META_FILE, type RedisCaptureMeta } from './capture-meta.ts';
import { closeRedis, connectRedis, redisFailed, type RedisConnection } from './connection.ts';
import { rdbVersionOf, redisTypeOf } from './dump-payload.ts';
import { expiryModeFor, readKeys, scanKeyNames, serverTimeMs, throwIfAborted } from './key-reader.ts';
import { encodeEnd, encodeHeader, encodeRecordHead, KEYS_FILE, RECORD_FORMAT_VERSION, type KeyRecord } from './record-format.ts';
import { parseRedisUrl, type RedisAddress, type RedisSettings } from './settings.ts';

/** Bytes of DUMP payloads one batch aims at: two batches (one read ahead) bound the memory used. */
const BATCH_BYTES = 8 * 1024 * 1024;
const MAX_BATCH_KEYS = 1000;
const FIRST_BATCH_KEYS = 100;
/** Payloads at least this large are handed to the writer as they are instead of copied into a batch buffer. */
const LARGE_PAYLOAD = 64 * 1024;

export class RedisSource implements Source {
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

  /** Nothing to pin: reports the server and the key count at this moment, `consistent: false`. */
  async pin(): Promise<PinResult> {
    const conn = this.connection();
    try {
      const keys = await conn.client.dbsize();
      return { consistent: false, details: { redis_version: conn.redisVersion, db: this.address.db, keys } };
    } catch (err) {
      throw redisFailed(this.settings, this.address, 'counting the keys', err);
    }
  }

  async capture(out: EntryWriter, opts: CaptureOptions): Promise<CaptureResult> {
    const conn = this.connection();
    const { client } = conn;
    const mode = expiryModeFor(conn.redisVersion);
    opts.progress.update({ phase: `${this.name}: listing keys`, files: 0, bytes: 0 });
    let names: Buffer[];
    let capturedAt: number;
    try {
      names = await scanKeyNames(client, this.name, opts.signal);
      // Records hold absolute expiry times; the sink subtracts this to restore each key's TTL as it was now.
      capturedAt = await serverTimeMs(client);
    } catch (err) {
      throw redisFailed(this.settings, this.address, 'listing the keys', err);
    }
    opts.logger.debug(`${this.name}: ${names.length} keys to capture (expiry read with ${mode.toUpperCase()})`);

    const stats = { keys: 0, vanished: 0, bytes: 0, rdb: undefined as number | undefined, byType: new Map<string, number>() };
    const count = (r: KeyRecord) => {
      stats.keys++;
      const type = redisTypeOf(r.payload);
      stats.byType.set(type, (stats.byType.get(type) ?? 0) + 1);
      const v = rdbVersionOf(r.payload);
      if (v !== undefined && (stats.rdb === undefined || v > stats.rdb)) stats.rdb = v;
    };
    const fetch = (batch: Buffer[]) => readKeys(client, batch, mode);
    const self = this;

    async function* records(): AsyncGenerator<Uint8Array> {
      yield encodeHeader();
      let start = 0;
      let size = Math.min(FIRST_BATCH_KEYS, names.length);
      // One batch is read ahead while the writer consumes the current one, so Redis and the
      // repository work at the same time.
      let pending = names.length > 0 ? prefetch(fetch(names.slice(0, size))) : undefined;
      while (pending) {
        throwIfAborted(self.name, opts.signal);
        let batch: KeyRecord[];
        try {
          batch = await pending;
        } catch (err) {
          throw redisFailed(self.settings, self.address, 'reading the keys', err);
        }
        stats.vanished += size - batch.length;
        start += size;
        const payloadBytes = batch.reduce((n, r) => n + r.payload.length, 0);
        const perKey = batch.length > 0 ? payloadBytes / batch.length : 1;
        size = Math.min(names.length - start, MAX_BATCH_KEYS, Math.max(1, Math.floor(BATCH_BYTES / Math.max(perKey, 1))));
        pending = size > 0 ? prefetch(fetch(names.slice(start, start + size))) : undefined;

        let small: Buffer[] = [];
        for (const r of batch) {
          count(r);
          const head = encodeRecordHead(r.key, r.expireAt, r.payload.length);
          if (r.payload.length < LARGE_PAYLOAD) {
            small.push(head, r.payload);
            continue;
          }
          small.push(head);
          yield Buffer.concat(small);
          small = [];
          yield r.payload;
        }
        if (small.length > 0) yield Buffer.concat(small);
        stats.bytes += payloadBytes;
        opts.progress.update({ phase: `${self.name}: reading keys`, files: stats.keys, totalFiles: names.length, bytes: stats.bytes });
      }
      yield encodeEnd(stats.keys);
    }

    const keysFile = await out.writeFile(KEYS_FILE, records());
    if (stats.vanished > 0) opts.logger.info(`${this.name}: ${stats.vanished} keys were deleted or expired while the capture ran and are not in the snapshot`);
    const meta: RedisCaptureMeta = {
      format: RECORD_FORMAT_VERSION,
      redis_version: conn.redisVersion,
      ...(stats.rdb !== undefined ? { rdb_version: stats.rdb } : {}),
      db: this.address.db,
      keys: stats.keys,
      keys_by_type: Object.fromEntries([...stats.byType].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
    const metaFile = await out.writeFile(META_FILE, encodeMeta(meta));
    return {
      bytes: keysFile.size + metaFile.size,
      details: { ...meta, captured_at_ms: capturedAt, expiry_from: mode, vanished_keys: stats.vanished },
    };
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    closeRedis(conn);
  }

  private connection(): RedisConnection {
    if (!this.conn) throw new Error(`${this.name}: open() was not called`);
    return this.conn;
  }
}

/** A read-ahead promise: marked handled so an abandoned capture does not raise an unhandled rejection; awaiting it still throws. */
function prefetch<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}
