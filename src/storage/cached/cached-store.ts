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
 */
import { isEnvsnapError } from '../../core/errors.ts';
import type { BlobData, BlobInfo, BlobStore, BlobWriter } from '../blob-store.ts';
import { blobDataBytes } from '../blob-store.ts';
import type { LocalStore } from '../local/local-store.ts';

const CACHED_PREFIXES = ['index/', 'snapshots/'] as const;
/** A window covers a whole pack (16 MiB on a disk, 30 MiB in a bucket: never more) in one request. */
export const WINDOW_BYTES = 32 << 20;
export const MAX_WINDOWS = 6;
const cacheable = (name: string) => CACHED_PREFIXES.some((p) => name.startsWith(p));

export class CachedStore implements BlobStore {
  readonly inner: BlobStore;
  readonly cache: LocalStore;
  /** Reads served from the cache and from the remote store (for tests and --verbose). */
  readonly stats = { hits: 0, misses: 0, windows: 0 };
  readonly #windows = new Map<string, Promise<Buffer>>();
  readonly #sizes = new Map<string, Promise<number>>();
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
    // A copy: callers may hand the buffer on (to a worker), which must not take the window with it.
    return Buffer.from(window.subarray(at, at + length));
  }

  #window(name: string, index: number): Promise<Buffer> {
    const key = `${name}@${index}`;
    const hit = this.#windows.get(key);
    if (hit) {
      this.#windows.delete(key);
      this.#windows.set(key, hit);
      return hit;
    }
    const fetch = (async () => {
      const size = await this.#size(name);
      const start = index * WINDOW_BYTES;
      if (size <= start) return Buffer.alloc(0); // missing or shorter: the direct read reports it
      this.stats.windows++;
      return this.inner.getRange(name, start, Math.min(WINDOW_BYTES, size - start));
    })();
    this.#windows.set(key, fetch);
    fetch.catch(() => this.#windows.delete(key));
    while (this.#windows.size > MAX_WINDOWS) this.#windows.delete(this.#windows.keys().next().value!);
    return fetch;
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
