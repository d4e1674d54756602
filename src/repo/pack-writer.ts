/**
 * PackWriter: appends sealed blobs to the current pack of their type and stores that pack before a
 * blob would take it past the target size. Data and tree blobs go to separate packs (as in restic):
 * reading the trees of a snapshot (restore, check, diff, listing files) then touches only the few
 * tree packs, never a data pack for the sake of one directory listing. With a store that can stream
 * (BlobStore.openWriter), blobs go to the pack's temp file in
 * ~1 MiB batches as they come, so a pack is never held in memory; otherwise the pack's parts are
 * kept and written with one put. Either way a pack becomes visible only when complete (commit or
 * put). At most `maxUploads` packs are being finished (fsync, rename / upload) at once; cutting
 * another waits for a slot, which is the back-pressure that bounds memory.
 */
import { randomBytes } from 'node:crypto';
import { Names, type BlobStore, type BlobWriter } from '../storage/blob-store.ts';
import type { BlobType } from './blob.ts';
import { packTrailer, packTrailerLength, type PackEntry } from './pack.ts';
import { releaseAll } from '../core/memory.ts';

export type PackWritten = (packId: string, entries: PackEntry[], size: number) => void | Promise<void>;

const BATCH_BYTES = 1024 * 1024;

interface OpenPack {
  id: string;
  entries: PackEntry[];
  size: number;
  /** Parts not yet written (all of them when the store cannot stream). */
  parts: Buffer[];
  partsBytes: number;
  writer?: BlobWriter;
}

export class PackWriter {
  /** The open pack of each blob type. */
  private readonly current = new Map<BlobType, OpenPack>();
  private readonly uploads = new Set<Promise<void>>();
  private failure: unknown;
  private tail: Promise<void> = Promise.resolve();
  private readonly store: BlobStore;
  private readonly key: Uint8Array;
  private readonly packSize: number;
  private readonly onWritten: PackWritten;
  private readonly maxUploads: number;

  constructor(store: BlobStore, key: Uint8Array, packSize: number, onWritten: PackWritten, maxUploads = 2) {
    this.store = store;
    this.key = key;
    this.packSize = packSize;
    this.onWritten = onWritten;
    this.maxUploads = maxUploads;
  }

  /**
   * Appends a sealed blob. Calls are serialized: an add that cuts a pack waits for an upload slot,
   * and every add queued behind it waits too — that is how storage speed pushes back on producers.
   */
  add(type: BlobType, id: Buffer, flags: number, rawLength: number, sealed: Buffer): Promise<void> {
    const next = this.tail.then(() => this.append(type, id, flags, rawLength, sealed));
    this.tail = next.catch(() => {});
    return next;
  }

  /** Stores the current partial packs and waits for every pack being finished. */
  async flush(): Promise<void> {
    await this.tail;
    for (const type of [...this.current.keys()]) await this.cut(type);
    while (this.uploads.size > 0) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
  }

  /** Drops the pack being written (after a failure elsewhere): nothing of it becomes visible. */
  async abort(): Promise<void> {
    await this.tail;
    const open = [...this.current.values()];
    this.current.clear();
    for (const p of open) await p.writer?.abort();
    while (this.uploads.size > 0) await Promise.race(this.uploads);
  }

  private async append(type: BlobType, id: Buffer, flags: number, rawLength: number, sealed: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    let p = this.current.get(type);
    // A pack never grows past the target size (unless one blob alone does): a store can rely on
    // that, e.g. to upload each pack in one request below its multipart threshold.
    if (p && p.size + sealed.length + packTrailerLength(p.entries.length + 1) > this.packSize) {
      await this.cut(type);
      p = undefined;
    }
    if (!p) {
      const packId = randomBytes(32).toString('hex');
      p = { id: packId, entries: [], size: 0, parts: [], partsBytes: 0 };
      if (this.store.openWriter) p.writer = await this.store.openWriter(Names.pack(packId));
      this.current.set(type, p);
    }
    p.entries.push({ type, flags, id, offset: p.size, length: sealed.length, rawLength });
    p.parts.push(sealed);
    p.partsBytes += sealed.length;
    p.size += sealed.length;
    if (p.writer && p.partsBytes >= BATCH_BYTES) await this.writeParts(type, p);
  }

  private async writeParts(type: BlobType, p: OpenPack): Promise<void> {
    const parts = p.parts;
    p.parts = [];
    p.partsBytes = 0;
    try {
      await p.writer!.append(parts);
    } catch (err) {
      this.current.delete(type);
      this.failure ??= err;
      throw err;
    }
    releaseAll(parts);
  }

  private async cut(type: BlobType): Promise<void> {
    const p = this.current.get(type)!;
    this.current.delete(type);
    while (this.uploads.size >= this.maxUploads) await Promise.race(this.uploads);
    if (this.failure) {
      await p.writer?.abort();
      throw this.failure;
    }
    const trailer = packTrailer(this.key, p.id, p.entries);
    p.parts.push(trailer);
    const size = p.size + trailer.length;
    const finish = (async () => {
      if (p.writer) {
        await p.writer.append(p.parts);
        await p.writer.commit();
      } else {
        await this.store.put(Names.pack(p.id), p.parts);
      }
      releaseAll(p.parts);
      p.parts = [];
      await this.onWritten(p.id, p.entries, size);
    })().catch(async (err: unknown) => {
      this.failure ??= err;
      await p.writer?.abort();
    });
    const tracked = finish.finally(() => this.uploads.delete(tracked));
    this.uploads.add(tracked);
  }
}
