/**
 * BlobSaver: the write half of the hot path. Hashes each blob (keyed SHA-256, main thread), drops it
 * when the index or an in-flight save already has it (dedup), otherwise has a worker compress and
 * seal it and hands the result to the PackWriter. Written packs go into the in-memory index at once
 * and into an index file every `checkpointPacks` packs, so an interrupted run's data is reused by the
 * next one. Bytes in flight are bounded by `maxInFlight`.
 */
import { randomBytes } from 'node:crypto';
import { seal, adFor } from '../crypto/aead.ts';
import { zstdCompressSync } from 'node:zlib';
import { Names, type BlobStore } from '../storage/blob-store.ts';
import type { MasterKey } from '../crypto/keys.ts';
import { blobId, deriveBlobIdKeys, type BlobIdKeys, type BlobType } from './blob.ts';
import { idKey, encodeIndex, type MasterIndex, type IndexPack } from './index.ts';
import { PackWriter } from './pack-writer.ts';
import type { PackEntry } from './pack.ts';
import type { WorkerPool } from './worker-pool.ts';

export interface SaveStats {
  /** Blobs newly stored, and their plaintext / stored bytes. */
  newBlobs: number;
  newBytes: number;
  storedBytes: number;
  packs: number;
}

export class BlobSaver {
  readonly stats: SaveStats = { newBlobs: 0, newBytes: 0, storedBytes: 0, packs: 0 };
  private readonly inflight = new Set<string>();
  private readonly writer: PackWriter;
  private unsaved: IndexPack[] = [];
  private bytesInFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly jobs = new Set<Promise<void>>();
  private failure: unknown;
  private readonly store: BlobStore;
  private readonly master: MasterKey;
  private readonly idKeys: BlobIdKeys;
  private readonly index: MasterIndex;
  private readonly pool: () => WorkerPool;
  private readonly maxInFlight: number;
  private readonly checkpointPacks: number;

  constructor(opts: {
    store: BlobStore;
    master: MasterKey;
    index: MasterIndex;
    /** Started on first use: a run that stores nothing new never starts the workers. */
    pool: () => WorkerPool;
    packSize: number;
    maxInFlight?: number;
    checkpointPacks?: number;
  }) {
    this.store = opts.store;
    this.master = opts.master;
    this.idKeys = deriveBlobIdKeys(opts.master.id);
    this.index = opts.index;
    this.pool = opts.pool;
    this.maxInFlight = opts.maxInFlight ?? 16 * 1024 * 1024;
    this.checkpointPacks = opts.checkpointPacks ?? 8;
    this.writer = new PackWriter(opts.store, opts.master.encrypt, opts.packSize, (packId, entries, size) => this.packWritten(packId, entries, size));
  }

  /** The id a blob would get. */
  idOf(type: BlobType, data: Uint8Array): Buffer {
    return blobId(this.idKeys, type, data);
  }

  /**
   * Stores a blob unless it is known; resolves once it is accepted (not yet durable — see finish).
   * `data` may be transferred to a worker: the caller must not use it afterwards.
   */
  async save(type: BlobType, data: Uint8Array, id: Buffer = this.idOf(type, data)): Promise<{ id: Buffer; isNew: boolean }> {
    if (this.failure) throw this.failure;
    const key = idKey(id);
    if (this.index.hasKey(key) || this.inflight.has(key)) return { id, isNew: false };
    this.inflight.add(key);
    const size = data.byteLength;
    while (this.bytesInFlight > 0 && this.bytesInFlight + size > this.maxInFlight) {
      await new Promise<void>((r) => this.waiters.push(r));
      if (this.failure) throw this.failure;
    }
    this.bytesInFlight += size;
    this.stats.newBlobs++;
    this.stats.newBytes += size;
    const job = this.pool()
      .seal(type, id, data)
      .then(({ data: sealed, flags }) => {
        this.stats.storedBytes += sealed.length;
        return this.writer.add(type, id, flags, size, sealed);
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.bytesInFlight -= size;
        this.waiters.shift()?.();
      });
    const tracked = job.finally(() => this.jobs.delete(tracked));
    this.jobs.add(tracked);
    return { id, isNew: true };
  }

  /** Waits for every blob, uploads the last pack and writes the remaining index: all saved data is durable and indexed. */
  async finish(): Promise<void> {
    while (this.jobs.size > 0) await Promise.race(this.jobs);
    if (this.failure) throw this.failure;
    await this.writer.flush();
    await this.writeIndex();
    if (this.failure) throw this.failure;
  }

  private async packWritten(packId: string, entries: PackEntry[], size: number): Promise<void> {
    this.stats.packs++;
    this.index.addPack(packId, entries);
    for (const e of entries) this.inflight.delete(idKey(e.id));
    this.unsaved.push({ packId, entries });
    void size;
    if (this.unsaved.length >= this.checkpointPacks) await this.writeIndex();
  }

  private async writeIndex(): Promise<void> {
    if (this.unsaved.length === 0) return;
    const packs = this.unsaved;
    this.unsaved = [];
    await writeIndexFile(this.store, this.master.encrypt, packs);
  }
}

/** Seals and stores one index file listing `packs`; returns its id. */
export async function writeIndexFile(store: BlobStore, key: Uint8Array, packs: IndexPack[]): Promise<string> {
  const id = randomBytes(32).toString('hex');
  const body = zstdCompressSync(encodeIndex(packs));
  await store.put(Names.index(id), seal(key, body, adFor('index', id)));
  return id;
}
