/**
 * PackWriter: appends sealed blobs to the current pack and uploads it when it reaches the target
 * size. At most `maxUploads` packs upload at once; cutting another waits for a slot, which is the
 * back-pressure that bounds memory. A pack becomes visible only by its atomic put.
 */
import { randomBytes } from 'node:crypto';
import { Names, type BlobStore } from '../storage/blob-store.ts';
import type { BlobType } from './blob.ts';
import { packTrailer, type PackEntry } from './pack.ts';
import { BufferReleaser } from '../core/memory.ts';

export type PackWritten = (packId: string, entries: PackEntry[], size: number) => void | Promise<void>;

export class PackWriter {
  private parts: Buffer[] = [];
  private entries: PackEntry[] = [];
  private size = 0;
  private readonly uploads = new Set<Promise<void>>();
  private failure: unknown;
  private tail: Promise<void> = Promise.resolve();
  private readonly releaser = new BufferReleaser();
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
   * and every add queued behind it waits too — that is how upload speed pushes back on producers.
   */
  add(type: BlobType, id: Buffer, flags: number, rawLength: number, sealed: Buffer): Promise<void> {
    const next = this.tail.then(() => this.append(type, id, flags, rawLength, sealed));
    this.tail = next.catch(() => {});
    return next;
  }

  private async append(type: BlobType, id: Buffer, flags: number, rawLength: number, sealed: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.entries.push({ type, flags, id, offset: this.size, length: sealed.length, rawLength });
    this.parts.push(sealed);
    this.size += sealed.length;
    if (this.size >= this.packSize) await this.cut();
  }

  /** Uploads the current partial pack and waits for every upload. */
  async flush(): Promise<void> {
    await this.tail;
    if (this.entries.length > 0) await this.cut();
    while (this.uploads.size > 0) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
  }

  private async cut(): Promise<void> {
    while (this.uploads.size >= this.maxUploads) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
    const packId = randomBytes(32).toString('hex');
    const entries = this.entries;
    this.parts.push(packTrailer(this.key, packId, entries));
    const bytes = this.parts;
    const size = this.size + bytes[bytes.length - 1].length;
    this.parts = [];
    this.entries = [];
    this.size = 0;
    const upload = (async () => {
      await this.store.put(Names.pack(packId), bytes);
      await this.onWritten(packId, entries, size);
      this.releaser.passed(size);
    })().catch((err: unknown) => {
      this.failure ??= err;
    });
    const tracked = upload.finally(() => this.uploads.delete(tracked));
    this.uploads.add(tracked);
  }
}
