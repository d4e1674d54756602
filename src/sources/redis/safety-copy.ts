/**
 * The safety copy of an in-place Redis restore (where no scratch db can be swapped in): before the
 * target db is flushed, its keys are written — DUMP payload and absolute expiry, in the keys.bin
 * record format — to a private temporary file, streamed batch by batch so memory stays bounded. A
 * failed restore loads them back; the file is removed either way.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Redis } from 'ioredis';
import { expiryModeFor, readKeys, scanKeyNames } from './key-reader.ts';
import { decodeKeyRecords, encodeEnd, encodeHeader, encodeRecordHead, type KeyRecord } from './record-format.ts';

const BATCH_KEYS = 1000;

export interface SafetyCopy {
  keys: number;
  records(): AsyncIterable<KeyRecord>;
  /** Deletes the file; safe to call twice. */
  remove(): Promise<void>;
}

/** Copies every key of the client's selected db. Rejects with the server's or the file system's error. */
export async function saveKeys(client: Redis, o: { name: string; redisVersion: string; signal?: AbortSignal }): Promise<SafetyCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-redis-keep-'));
  const file = join(dir, 'keys.bin');
  const remove = () => rm(dir, { recursive: true, force: true });
  let keys = 0;
  try {
    const names = await scanKeyNames(client, o.name, o.signal);
    const mode = expiryModeFor(o.redisVersion);
    async function* encoded(): AsyncGenerator<Buffer> {
      yield encodeHeader();
      for (let start = 0; start < names.length; start += BATCH_KEYS) {
        for (const r of await readKeys(client, names.slice(start, start + BATCH_KEYS), mode)) {
          yield encodeRecordHead(r.key, r.expireAt, r.payload.length);
          yield r.payload;
          keys++;
        }
      }
      yield encodeEnd(keys);
    }
    await pipeline(Readable.from(encoded()), createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    await remove();
    throw err;
  }
  return { keys, records: () => decodeKeyRecords(createReadStream(file), `${o.name}: the copy of the target's keys`), remove };
}
