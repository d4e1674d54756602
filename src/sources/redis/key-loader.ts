/**
 * Loading key records into the selected Redis database: pipelined `RESTORE key ttl payload REPLACE`
 * in batches bounded by count and bytes, one batch in flight while the next is decoded. Used for a
 * snapshot's keys.bin and for putting a target's own keys back after a failed restore.
 */
import type { Redis } from 'ioredis';
import { throwIfAborted } from './key-reader.ts';
import { NO_EXPIRY, type KeyRecord } from './record-format.ts';

const BATCH_KEYS = 1000;
const BATCH_BYTES = 8 * 1024 * 1024;

export interface LoadKeysOptions {
  name: string;
  /**
   * The server time the records' expiries were read at: each key gets the TTL it had then. Without
   * it a key keeps its absolute expiry (`RESTORE … ABSTTL`).
   */
  capturedAt: number | undefined;
  /** Called for each record before it is sent; throws to stop the load (a payload the target cannot read). */
  check?(r: KeyRecord): void;
  /** The error to throw for a refused key or a failed pipeline (`r` undefined). */
  failed(err: Error, r: KeyRecord | undefined): Error;
  /** After each batch is handed to Redis, with the running totals. */
  onBatch?(keys: number, bytes: number): void;
  signal?: AbortSignal;
}

export interface LoadedKeys {
  keys: number;
  /** Keys given a TTL, which may expire before anyone counts them. */
  volatile: number;
}

/** Restores every record; resolves once Redis has acknowledged all of them. */
export async function loadKeys(client: Redis, records: AsyncIterable<KeyRecord>, o: LoadKeysOptions): Promise<LoadedKeys> {
  const totals = { keys: 0, volatile: 0, bytes: 0 };
  let batch: KeyRecord[] = [];
  let batchBytes = 0;
  let inFlight: Promise<void> | undefined;
  const send = async (rs: KeyRecord[]) => {
    const p = client.pipeline();
    for (const r of rs) {
      if (r.expireAt === NO_EXPIRY) p.restore(r.key, 0, r.payload, 'REPLACE');
      else if (o.capturedAt !== undefined) p.restore(r.key, Math.max(1, r.expireAt - o.capturedAt), r.payload, 'REPLACE');
      else p.restore(r.key, r.expireAt, r.payload, 'REPLACE', 'ABSTTL');
    }
    let replies: [Error | null, unknown][];
    try {
      replies = (await p.exec()) ?? [];
    } catch (err) {
      throw o.failed(err as Error, undefined);
    }
    replies.forEach(([err], i) => {
      if (err) throw o.failed(err, rs[i]);
    });
  };
  const flush = async () => {
    if (batch.length === 0) return;
    // At most one batch in flight: decoding the next overlaps with Redis loading this one.
    await inFlight;
    inFlight = send(batch);
    inFlight.catch(() => {});
    totals.keys += batch.length;
    totals.bytes += batchBytes;
    batch = [];
    batchBytes = 0;
    o.onBatch?.(totals.keys, totals.bytes);
  };
  try {
    for await (const r of records) {
      o.check?.(r);
      batch.push(r);
      if (r.expireAt !== NO_EXPIRY) totals.volatile++;
      batchBytes += r.key.length + r.payload.length;
      if (batch.length >= BATCH_KEYS || batchBytes >= BATCH_BYTES) {
        throwIfAborted(o.name, o.signal);
        await flush();
      }
    }
    await flush();
    await inFlight;
  } catch (err) {
    await inFlight?.catch(() => {});
    throw err;
  }
  return { keys: totals.keys, volatile: totals.volatile };
}
