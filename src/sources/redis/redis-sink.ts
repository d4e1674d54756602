/**
 * RedisSink: loads a captured Redis database (keys.bin, meta.json) into a target database, so that
 * a restore that fails leaves the target as it was.
 *
 * The keys are loaded with pipelined `RESTORE key ttl payload REPLACE` (key-loader.ts) into an
 * empty scratch db of the same server (scratch-db.ts); once all are in and the scratch db holds
 * exactly them, one `SWAPDB` exchanges it with the target db and the scratch db — now holding the
 * old keys — is flushed. Where SWAPDB cannot be used (Redis Cluster, one database, the command
 * renamed or refused, no empty db), the log says why and the target is restored in place: its keys
 * are copied aside first (safety-copy.ts), then it is flushed and loaded, and a failure puts the
 * copy back. Each key gets the TTL it had at capture time (its recorded expiry minus the capture
 * time from the details), so a snapshot restored a week later does not come back already expired.
 *
 * A snapshot from a newer Redis (RDB version above what the target reads) is refused before
 * anything is loaded.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EnvsnapError } from '../../core/errors.ts';
import type { CaptureOptions, EntryReader, RestoreOptions, Sink } from '../source.ts';
import { META_FILE, type RedisCaptureMeta } from './capture-meta.ts';
import { closeRedis, connectRedis, oneLine, redisFailed, type RedisConnection } from './connection.ts';
import { rdbVersionOf } from './dump-payload.ts';
import { loadKeys, type LoadedKeys } from './key-loader.ts';
import { decodeKeyRecords, KEYS_FILE } from './record-format.ts';
import { saveKeys, type SafetyCopy } from './safety-copy.ts';
import { takeScratchDb, swapScratchIn, type ScratchChoice } from './scratch-db.ts';
import { describeAddress, parseRedisUrl, type RedisAddress, type RedisSettings } from './settings.ts';

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

    const target = this.address.db;
    let choice: ScratchChoice;
    try {
      choice = await takeScratchDb(client, target, this.settings.usedDbs);
    } catch (err) {
      await client.select(target).catch(() => {});
      throw redisFailed(this.settings, this.address, 'looking for an empty scratch db', err);
    }
    const load = () => this.loadSnapshot(input, opts, { capturedAt, targetRdb, meta });
    if ('db' in choice) await this.restoreBySwap(choice.db, load, opts);
    else {
      opts.logger.warn(`${this.name}: ${choice.unavailable}; restoring into db ${target} in place, with its keys copied aside first and put back should the restore fail`);
      await this.restoreInPlace(load, opts);
    }
  }

  /** Loads into the scratch db (the client is on it), swaps it with the target, empties it of the old keys. */
  private async restoreBySwap(scratch: number, load: () => Promise<LoadedKeys>, opts: RestoreOptions): Promise<void> {
    const { client } = this.connection();
    const target = this.address.db;
    opts.logger.info(`${this.name}: restoring into the empty db ${scratch}, swapped with db ${target} once complete`);
    try {
      const loaded = await load();
      let mismatch: string | undefined;
      try {
        mismatch = await swapScratchIn(client, scratch, target, loaded);
      } catch (err) {
        throw redisFailed(this.settings, this.address, `swapping db ${scratch} with db ${target}`, err);
      }
      if (mismatch) throw new EnvsnapError('SOURCE_FAILED', `${this.name}: ${mismatch}: another client wrote into it; db ${target} was left as it was, restore again`);
      opts.logger.info(`${this.name}: restored ${loaded.keys} keys into ${describeAddress(this.address)}`);
    } catch (err) {
      throw this.leftAsItWas(err);
    } finally {
      // The scratch db holds the target's old keys after the swap, a partial load before it.
      try {
        await client.flushdb('ASYNC');
      } catch (err) {
        opts.logger.warn(`${this.name}: emptying the scratch db failed (${oneLine(err)}); run FLUSHDB on ${describeAddress({ ...this.address, db: scratch })}`);
      }
      await client.select(target).catch(() => {});
    }
  }

  /** Where no scratch db can be swapped in: copy the target's keys aside, flush, load; on failure put the copy back. */
  private async restoreInPlace(load: () => Promise<LoadedKeys>, opts: RestoreOptions): Promise<void> {
    const conn = this.connection();
    const { client } = conn;
    let copy: SafetyCopy;
    try {
      copy = await saveKeys(client, { name: this.name, redisVersion: conn.redisVersion, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      throw redisFailed(this.settings, this.address, 'copying the keys aside before the restore', err);
    }
    try {
      try {
        await client.flushdb();
      } catch (err) {
        throw redisFailed(this.settings, this.address, 'emptying the database', err);
      }
      const loaded = await load();
      opts.logger.info(`${this.name}: restored ${loaded.keys} keys into ${describeAddress(this.address)}`);
    } catch (err) {
      try {
        await client.flushdb();
        await loadKeys(client, copy.records(), { name: this.name, capturedAt: undefined, failed: (e) => e });
      } catch (again) {
        opts.logger.warn(`${this.name}: putting back the ${copy.keys} keys db ${this.address.db} held before the restore failed (${oneLine(again)})`);
        throw err;
      }
      throw this.leftAsItWas(err);
    } finally {
      await copy.remove();
    }
  }

  /** The snapshot's keys.bin into the selected db, refusing payloads the target cannot read. */
  private async loadSnapshot(
    input: EntryReader,
    opts: RestoreOptions,
    c: { capturedAt: number | undefined; targetRdb: number | undefined; meta: RedisCaptureMeta | undefined },
  ): Promise<LoadedKeys> {
    const { client } = this.connection();
    const newer = (payload: Buffer) => {
      const v = rdbVersionOf(payload);
      return v !== undefined && c.targetRdb !== undefined && v > c.targetRdb ? this.tooNew(v, c.targetRdb, c.meta?.redis_version) : undefined;
    };
    return loadKeys(client, decodeKeyRecords(input.read(KEYS_FILE), `${this.name}: ${KEYS_FILE}`), {
      name: this.name,
      capturedAt: c.capturedAt,
      ...(opts.signal ? { signal: opts.signal } : {}),
      check: (r) => {
        const refused = newer(r.payload);
        if (refused) throw refused;
      },
      failed: (err, r) => {
        if (!r) return redisFailed(this.settings, this.address, 'restoring the keys', err);
        if (/payload version or checksum/i.test(err.message)) {
          const refused = newer(r.payload);
          if (refused) return refused;
        }
        return redisFailed(this.settings, this.address, `restoring key ${printableKey(r.key)}`, err);
      },
      onBatch: (keys, bytes) => opts.progress.update({ phase: `${this.name}: restoring keys`, files: keys, bytes, ...(c.meta ? { totalFiles: c.meta.keys } : {}) }),
    });
  }

  /** The error with the news that the target kept its keys. */
  private leftAsItWas(err: unknown): unknown {
    if (!(err instanceof EnvsnapError) || err.message.includes('was left as it was')) return err;
    return new EnvsnapError(err.code, `${err.message} (db ${this.address.db} was left as it was)`, { cause: err.cause ?? err });
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
