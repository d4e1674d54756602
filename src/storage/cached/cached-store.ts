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
 * Packs, locks, keys and the config are never cached.
 */
import { isEnvsnapError } from '../../core/errors.ts';
import type { BlobData, BlobInfo, BlobStore, BlobWriter } from '../blob-store.ts';
import { blobDataBytes } from '../blob-store.ts';
import type { LocalStore } from '../local/local-store.ts';

const CACHED_PREFIXES = ['index/', 'snapshots/'] as const;
const cacheable = (name: string) => CACHED_PREFIXES.some((p) => name.startsWith(p));

export class CachedStore implements BlobStore {
  readonly inner: BlobStore;
  readonly cache: LocalStore;
  /** Reads served from the cache and from the remote store (for tests and --verbose). */
  readonly stats = { hits: 0, misses: 0 };

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

  getRange(name: string, offset: number, length: number): Promise<Buffer> {
    return this.inner.getRange(name, offset, length);
  }

  async put(name: string, data: BlobData): Promise<void> {
    await this.inner.put(name, data);
    if (cacheable(name)) await this.#remember(name, blobDataBytes(data));
  }

  async delete(name: string): Promise<void> {
    await this.inner.delete(name);
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
