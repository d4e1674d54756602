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
import { BlobType, blobId, deriveBlobIdKeys, type BlobIdKeys } from './blob.ts';
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
  private readonly beforeIndexWrite: () => Promise<void>;

  constructor(opts: {
    store: BlobStore;
    master: MasterKey;
    index: MasterIndex;
    /** Started on first use: a run that stores nothing new never starts the workers. */
    pool: () => WorkerPool;
    packSize: number;
    maxInFlight?: number;
    checkpointPacks?: number;
    /** Runs before each index file is written and stops the write by throwing (the writer's lock check). */
    beforeIndexWrite: () => Promise<void>;
  }) {
    this.beforeIndexWrite = opts.beforeIndexWrite;
    this.store = opts.store;
    this.master = opts.master;
    this.idKeys = deriveBlobIdKeys(opts.master.id);
    this.index = opts.index;
    this.pool = opts.pool;
    this.maxInFlight = opts.maxInFlight ?? 8 * 1024 * 1024;
    // On a remote store every index file is one more request for each host that opens the
    // repository, so checkpoints are spaced wider there (an interrupted run's packs are adopted
    // either way).
    this.checkpointPacks = opts.checkpointPacks ?? (opts.store.localPath ? 8 : 32);
    // Packs being finished at once: a disk's fsync and a remote store's upload both overlap the
    // sealing of the next packs.
    const uploads = 4;
    this.writer = new PackWriter(opts.store, opts.master.encrypt, opts.packSize, (packId, entries, size) => this.packWritten(packId, entries, size), uploads);
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
    if (!this.claim(id, data.byteLength)) return { id, isNew: false };
    const size = data.byteLength;
    await this.reserve(size);
    this.track(
      this.pool()
        .seal(type, id, data)
        .then(({ data: sealed, flags }) => this.deliver(type, id, flags, size, sealed)),
      size,
    );
    return { id, isNew: true };
  }

  /**
   * Reads a file on a worker (chunked, hashed there) and stores its new chunks. Resolves with the
   * chunk ids in order once every new chunk is accepted; rejects with FileReadError when the file
   * cannot be read (chunks already stored stay, unreferenced, until prune).
   */
  async saveFile(path: Buffer, expected: { size: number; mtimeNs: string }): Promise<{ ids: Buffer[]; total: number; changed: boolean }> {
    if (this.failure) throw this.failure;
    const ids: Buffer[] = [];
    const r = await this.pool().chunkFile(path, expected, {
      chunk: (seq, id, length) => {
        ids[seq] = id;
        if (!this.claim(id, length)) return false;
        if (this.hasRoom(length)) {
          this.bytesInFlight += length;
          return true;
        }
        return this.reserve(length).then(() => true);
      },
      sealed: (_seq, id, flags, rawLength, sealed) => {
        this.track(this.deliver(BlobType.data, id, flags, rawLength, sealed), rawLength);
      },
    });
    if (this.failure) throw this.failure;
    return { ids, total: r.total, changed: r.changed };
  }

  /** Marks a blob as being stored, unless the index or another save already has it. */
  private claim(id: Buffer, size: number): boolean {
    const key = idKey(id);
    if (this.index.hasKey(key) || this.inflight.has(key)) return false;
    this.inflight.add(key);
    this.stats.newBlobs++;
    this.stats.newBytes += size;
    return true;
  }

  private hasRoom(size: number): boolean {
    return this.bytesInFlight === 0 || this.bytesInFlight + size <= this.maxInFlight;
  }

  private async reserve(size: number): Promise<void> {
    while (!this.hasRoom(size)) {
      await new Promise<void>((r) => this.waiters.push(r));
      if (this.failure) throw this.failure;
    }
    this.bytesInFlight += size;
  }

  private deliver(type: BlobType, id: Buffer, flags: number, rawLength: number, sealed: Buffer): Promise<void> {
    this.stats.storedBytes += sealed.length;
    return this.writer.add(type, id, flags, rawLength, sealed);
  }

  /** Follows a blob until the pack writer has it; releases its reserved bytes then. */
  private track(job: Promise<void>, size: number): void {
    const tracked: Promise<void> = job
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.bytesInFlight -= size;
        const w = this.waiters.splice(0);
        for (const f of w) f();
        this.jobs.delete(tracked);
      });
    this.jobs.add(tracked);
  }

  /** Waits for every blob, uploads the last pack and writes the remaining index: all saved data is durable and indexed. */
  async finish(): Promise<void> {
    while (this.jobs.size > 0) await Promise.race(this.jobs);
    if (this.failure) {
      await this.writer.abort();
      throw this.failure;
    }
    await this.writer.flush();
    await this.writeIndex();
    if (this.failure) throw this.failure;
  }

  /** After a failure elsewhere: waits for blobs under way and drops the unfinished pack. */
  async abort(): Promise<void> {
    while (this.jobs.size > 0) await Promise.race(this.jobs);
    await this.writer.abort().catch(() => {});
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
    await this.beforeIndexWrite();
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
