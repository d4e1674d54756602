/**
 * MemoryStore: a BlobStore in a Map, for tests. It copies bytes on the way in and out, so neither the
 * writer's buffer nor a reader's buffer is ever the stored object — the same isolation a real medium
 * gives — and it reports the same error codes as LocalStore. "Existing" is a flag set by create() or
 * by the first put, mirroring a directory that put creates on demand. Objects carry the time of their
 * put by the store's clock (a test's FakeClock, to age them at will).
 */
import { systemClock, type Clock } from '../../core/clock.ts';
import { EnvsnapError } from '../../core/errors.ts';
import type { BlobInfo, BlobStore, BlobData } from '../blob-store.ts';

export class MemoryStore implements BlobStore {
  readonly location = 'memory';
  private readonly objects = new Map<string, Buffer>();
  private readonly modified = new Map<string, number>();
  private readonly clock: Clock;
  private created = false;

  constructor(opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  private info(name: string, buf: Buffer): BlobInfo {
    return { name, size: buf.length, modified: this.modified.get(name) };
  }

  private stored(name: string): Buffer {
    const buf = this.objects.get(name);
    if (buf === undefined) throw new EnvsnapError('NOT_FOUND', `object ${name} does not exist in ${this.location}`);
    return buf;
  }

  async get(name: string): Promise<Buffer> {
    return Buffer.from(this.stored(name));
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new EnvsnapError('INVALID_ARGUMENT', `invalid range offset=${offset} length=${length} for object ${name}`);
    }
    const buf = this.stored(name);
    if (buf.length < offset + length) {
      throw new EnvsnapError(
        'CORRUPT',
        `object ${name} in ${this.location} ends at byte ${buf.length}, before the requested range ${offset}..${offset + length}: the repository is damaged; run a repository check`,
      );
    }
    return Buffer.from(buf.subarray(offset, offset + length));
  }

  async put(name: string, data: BlobData): Promise<void> {
    if (name.length === 0) throw new EnvsnapError('INVALID_ARGUMENT', 'an object name must not be empty');
    // Buffer.from of a view copies exactly the view's bytes, not its whole underlying ArrayBuffer.
    this.objects.set(name, data instanceof Uint8Array ? Buffer.from(data) : Buffer.concat(data));
    this.modified.set(name, this.clock.now());
    this.created = true;
  }

  async delete(name: string): Promise<void> {
    this.objects.delete(name);
    this.modified.delete(name);
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    // Snapshot first: puts and deletes may run while the caller iterates.
    const found: BlobInfo[] = [];
    for (const [name, buf] of this.objects) if (name.startsWith(prefix)) found.push(this.info(name, buf));
    yield* found;
  }

  async stat(name: string): Promise<BlobInfo | undefined> {
    const buf = this.objects.get(name);
    return buf === undefined ? undefined : this.info(name, buf);
  }

  async exists(): Promise<boolean> {
    return this.created;
  }

  async create(): Promise<void> {
    this.created = true;
  }
}
