/**
 * CachedStore: a local copy of a remote store's immutable metadata. Index files and snapshot
 * manifests are written once under names that never get other contents, so once fetched they are
 * kept in a local directory (a LocalStore) and read from there: opening a repository in a bucket
 * then lists `index/` and `snapshots/` remotely but downloads only what this host has not seen.
 * Listing always asks the remote store, so what another host added or deleted is seen at once;
 * cached files whose objects are gone are dropped when the listing no longer has them.
 *
 * Every cached object is authenticated when the repository decrypts it, so a damaged cache file
 * fails as CORRUPT like a damaged remote object; deleting the cache directory is always safe.
 * Packs, locks, keys and the config are never cached on disk.
 *
 * Reads of small ranges of packs (a restore asks for one chunk at a time) are served from windows:
 * the aligned WINDOW_BYTES of the pack around the range are fetched once and kept in memory (at most
 * MAX_WINDOWS, least recently used dropped), so the chunks of a pack that a restore reads in order
 * cost one request per window instead of one each. Concurrent reads of one window share its fetch.
 * Given the order of the reads to come (planReads), the windows next in that order are fetched
 * while the current one is used (READ_AHEAD of them), so the reader does not wait for each one.
 *
 * Windows are read into a small pool of shared-memory buffers, and a read of a window returns a view
 * of it, no copy: workers read the view in place. A buffer is reused once its window is dropped and
 * every view handed out is released (releaseRange, after the worker is done); views never released
 * keep their buffer out of the pool for good, which is only a cost in memory, never a wrong read.
 */
import { isEnvsnapError } from '../../core/errors.ts';
import type { BlobData, BlobInfo, BlobStore, BlobWriter } from '../blob-store.ts';
import { blobDataBytes } from '../blob-store.ts';
import type { LocalStore } from '../local/local-store.ts';

const CACHED_PREFIXES = ['index/', 'snapshots/'] as const;
/** A window covers a whole pack (16 MiB on a disk, 30 MiB in a bucket: never more) in one request. */
export const WINDOW_BYTES = 32 << 20;
export const MAX_WINDOWS = 6;
/** Window buffers kept for reuse: the cached windows and a few more whose views are still in use. */
const POOLED_BUFFERS = MAX_WINDOWS + 2;
/** Windows fetched ahead of the one being read, when the order of reads is known. */
export const READ_AHEAD = 2;
/** A shared-memory buffer a window is read into; free when no window holds it, it is not being filled and no view of it is out. */
interface WindowBuffer {
  bytes: Buffer;
  filling: boolean;
  views: number;
}

const cacheable = (name: string) => CACHED_PREFIXES.some((p) => name.startsWith(p));

export class CachedStore implements BlobStore {
  readonly inner: BlobStore;
  readonly cache: LocalStore;
  /** Reads served from the cache and from the remote store (for tests and --verbose). */
  readonly stats = { hits: 0, misses: 0, windows: 0 };
  /** Windows fetched or being fetched, least recently used first; `read` once a reader asked for it. */
  readonly #windows = new Map<string, { data: Promise<Buffer>; read: boolean; buffer: WindowBuffer }>();
  readonly #pool: WindowBuffer[] = [];
  readonly #bufferOf = new WeakMap<ArrayBufferLike, WindowBuffer>();
  readonly #sizes = new Map<string, Promise<number>>();
  /** The planned order of windows (keys) and each one's position in it. */
  #plan: { name: string; index: number }[] = [];
  readonly #planPos = new Map<string, number>();
  /** Planned windows fetched so far: read-ahead fetches a window once, never again after it was dropped. */
  readonly #planFetched = new Set<string>();
  #listed?: Promise<void>;

  /** Present when the remote store streams objects in (S3 multipart). */
  readonly openWriter?: (name: string) => Promise<BlobWriter>;

  constructor(inner: BlobStore, cache: LocalStore) {
    this.inner = inner;
    this.cache = cache;
    if (inner.openWriter) this.openWriter = (name) => inner.openWriter!(name);
  }

  /** Prune's sweep of unfinished uploads, passed on to the remote store. */
  async removeStaleTemp(olderThanMs: number, now: number): Promise<number> {
    return (await this.inner.removeStaleTemp?.(olderThanMs, now)) ?? 0;
  }

  get preferredPackSize(): number | undefined {
    return this.inner.preferredPackSize;
  }

  get location(): string {
    return this.inner.location;
  }

  async get(name: string): Promise<Buffer> {
    if (!cacheable(name)) return this.inner.get(name);
    try {
      const hit = await this.cache.get(name);
      this.stats.hits++;
      return hit;
    } catch (err) {
      if (!isEnvsnapError(err, 'NOT_FOUND') && !isEnvsnapError(err, 'IO')) throw err;
    }
    const data = await this.inner.get(name);
    this.stats.misses++;
    await this.#remember(name, data);
    return data;
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    const index = Math.floor(offset / WINDOW_BYTES);
    // Large reads and reads across a window boundary go straight to the remote store.
    if (!name.startsWith('data/') || length > WINDOW_BYTES / 2 || Math.floor((offset + length - 1) / WINDOW_BYTES) !== index) {
      return this.inner.getRange(name, offset, length);
    }
    const window = await this.#window(name, index);
    const at = offset - index * WINDOW_BYTES;
    if (at + length > window.length) return this.inner.getRange(name, offset, length); // reports the short object
    // Callers may hand the bytes on to a worker: a view of a pooled (shared-memory) window goes
    // without a copy; a window the inner store returned in memory of its own (it ignored `into`) is
    // copied from, so a transfer does not take the window along.
    const view = window.subarray(at, at + length);
    const buffer = this.#bufferOf.get(window.buffer);
    if (!buffer) return Buffer.from(view);
    buffer.views++;
    return view;
  }

  releaseRange(data: Uint8Array): void {
    const buffer = this.#bufferOf.get(data.buffer);
    if (buffer && buffer.views > 0) buffer.views--;
  }

  planReads(reads: readonly { name: string; offset: number }[]): void {
    this.#plan = [];
    this.#planPos.clear();
    this.#planFetched.clear();
    for (const r of reads) {
      if (!r.name.startsWith('data/')) continue;
      const index = Math.floor(r.offset / WINDOW_BYTES);
      const key = `${r.name}@${index}`;
      if (this.#planPos.has(key)) continue;
      this.#planPos.set(key, this.#plan.length);
      this.#plan.push({ name: r.name, index });
    }
  }

  #window(name: string, index: number): Promise<Buffer> {
    const key = `${name}@${index}`;
    let w = this.#windows.get(key);
    if (w) this.#windows.delete(key);
    else w = this.#fetchWindow(key, name, index);
    w.read = true;
    this.#windows.set(key, w);
    const at = this.#planPos.get(key);
    if (at !== undefined) {
      this.#planFetched.add(key);
      for (const next of this.#plan.slice(at + 1, at + 1 + READ_AHEAD)) {
        const k = `${next.name}@${next.index}`;
        if (this.#windows.has(k) || this.#planFetched.has(k)) continue;
        this.#planFetched.add(k);
        this.#windows.set(k, { ...this.#fetchWindow(k, next.name, next.index), read: false });
      }
    }
    this.#evict();
    return w.data;
  }

  /** A free pooled buffer, or a new one (pooled while the pool is not full). */
  #takeBuffer(): WindowBuffer {
    const held = new Set([...this.#windows.values()].map((w) => w.buffer));
    let b = this.#pool.find((p) => !held.has(p) && !p.filling && p.views === 0);
    if (!b) {
      b = { bytes: Buffer.from(new SharedArrayBuffer(WINDOW_BYTES)), filling: false, views: 0 };
      this.#bufferOf.set(b.bytes.buffer, b);
      if (this.#pool.length < POOLED_BUFFERS) this.#pool.push(b);
    }
    return b;
  }

  /**
   * Drops windows over MAX_WINDOWS, least recently used first among those read and no longer in use
   * (no view out); then windows fetched ahead and not read yet; a window in use only when nothing
   * else can go. Readers that run ahead of others in the plan (small files passing a large one) must
   * not make a window that is still being read, or the large file's next one, be fetched twice.
   */
  #evict(): void {
    const idle = (w: { read: boolean; buffer: WindowBuffer }) => w.read && w.buffer.views === 0;
    const unread = (w: { read: boolean }) => !w.read;
    for (const evictable of [idle, unread, () => true]) {
      for (const [k, w] of this.#windows) {
        if (this.#windows.size <= MAX_WINDOWS) return;
        if (evictable(w)) this.#windows.delete(k);
      }
    }
  }

  #fetchWindow(key: string, name: string, index: number): { data: Promise<Buffer>; read: boolean; buffer: WindowBuffer } {
    const buffer = this.#takeBuffer();
    buffer.filling = true;
    const data = (async () => {
      const size = await this.#size(name);
      const start = index * WINDOW_BYTES;
      if (size <= start) return Buffer.alloc(0); // missing or shorter: the direct read reports it
      this.stats.windows++;
      return this.inner.getRange(name, start, Math.min(WINDOW_BYTES, size - start), { into: buffer.bytes });
    })();
    data
      .catch(() => {
        if (this.#windows.get(key)?.data === data) this.#windows.delete(key);
      })
      .finally(() => (buffer.filling = false));
    return { data, read: true, buffer };
  }

  /**
   * A pack's size, for the length of its last window. The first miss lists `data/` once (a thousand
   * sizes a request) rather than asking for each pack; a pack written since is asked for alone.
   */
  async #size(name: string): Promise<number> {
    this.#listed ??= (async () => {
      for await (const b of this.inner.list('data/')) this.#sizes.set(b.name, Promise.resolve(b.size));
    })().catch(() => {});
    await this.#listed;
    let p = this.#sizes.get(name);
    if (!p) {
      p = this.inner.stat(name).then((info) => info?.size ?? 0);
      this.#sizes.set(name, p);
      p.catch(() => this.#sizes.delete(name));
    }
    return p;
  }

  async put(name: string, data: BlobData): Promise<void> {
    await this.inner.put(name, data);
    if (cacheable(name)) await this.#remember(name, blobDataBytes(data));
  }

  async delete(name: string): Promise<void> {
    await this.inner.delete(name);
    this.#sizes.delete(name);
    for (const k of [...this.#windows.keys()]) if (k.startsWith(`${name}@`)) this.#windows.delete(k);
    if (cacheable(name)) await this.cache.delete(name).catch(() => {});
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const seen = new Set<string>();
    for await (const b of this.inner.list(prefix)) {
      seen.add(b.name);
      yield b;
    }
    // A whole cached folder was listed: drop what the remote store no longer has.
    for (const p of CACHED_PREFIXES) {
      if (prefix !== p && prefix !== '') continue;
      try {
        for await (const c of this.cache.list(p)) if (!seen.has(c.name)) await this.cache.delete(c.name);
      } catch {
        // a cache that cannot be read or cleaned only costs space
      }
    }
  }

  stat(name: string): Promise<BlobInfo | undefined> {
    return this.inner.stat(name);
  }

  exists(): Promise<boolean> {
    return this.inner.exists();
  }

  create(): Promise<void> {
    return this.inner.create();
  }

  /** Keeps a copy; a cache that cannot be written (full disk, permissions) only costs speed. */
  async #remember(name: string, data: Uint8Array): Promise<void> {
    try {
      await this.cache.put(name, data);
    } catch {
      // not cached: read from the remote store next time
    }
  }
}
