/** CachedStore: the BlobStore contract over a memory store, and what it caches, serves and forgets. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeBlobStore } from '../../testing/blob-store-contract.ts';
import { LocalStore } from '../local/local-store.ts';
import { MemoryStore } from '../memory/memory-store.ts';
import { isEnvsnapError } from '../../core/errors.ts';
import { CachedStore, MAX_WINDOWS, READ_AHEAD, WINDOW_BYTES } from './cached-store.ts';

describeBlobStore('CachedStore(MemoryStore)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
  return { store: new CachedStore(new MemoryStore(), new LocalStore(dir)), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('CachedStore', () => {
  it('reads index files and manifests from the cache after the first fetch, never packs or locks', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const remote = new MemoryStore();
    await remote.create();
    await remote.put('index/aa', Buffer.from('index'));
    await remote.put('data/bb', Buffer.from('pack'));
    await remote.put('locks/cc', Buffer.from('lock'));
    const a = new CachedStore(remote, new LocalStore(dir));
    assert.equal((await a.get('index/aa')).toString(), 'index');
    assert.deepEqual(a.stats, { hits: 0, misses: 1, windows: 0 });
    // Another process with the same cache directory: served locally.
    const b = new CachedStore(remote, new LocalStore(dir));
    assert.equal((await b.get('index/aa')).toString(), 'index');
    await b.get('data/bb');
    await b.get('locks/cc');
    assert.deepEqual(b.stats, { hits: 1, misses: 0, windows: 0 });
    assert.deepEqual(await collect(new LocalStore(dir).list('')), ['index/aa']);
  });

  it('forgets cached files that another host deleted, when their folder is listed', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const remote = new MemoryStore();
    await remote.create();
    const s = new CachedStore(remote, new LocalStore(dir));
    await s.put('snapshots/11', Buffer.from('one'));
    await s.put('snapshots/22', Buffer.from('two'));
    await remote.delete('snapshots/11'); // by another host
    assert.deepEqual(await collect(s.list('snapshots/')), ['snapshots/22']);
    assert.deepEqual(await collect(new LocalStore(dir).list('snapshots/')), ['snapshots/22']);
  });

  it('serves small reads of a pack from one fetched window; large and straddling reads go direct', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const remote = new MemoryStore();
    await remote.create();
    const pack = Buffer.alloc(WINDOW_BYTES + 1000);
    for (let i = 0; i < pack.length; i++) pack[i] = (i * 7) & 0xff;
    await remote.put('data/p1', pack);
    let ranges = 0;
    const counting = Object.assign(Object.create(remote) as MemoryStore, {
      getRange: (name: string, offset: number, length: number) => {
        ranges++;
        return remote.getRange(name, offset, length);
      },
    });
    const s = new CachedStore(counting, new LocalStore(dir));
    const reads = await Promise.all([0, 100, 5000, 70_000, WINDOW_BYTES - 10].map((o) => s.getRange('data/p1', o, 10)));
    assert.deepEqual(reads.map((r) => r.length), [10, 10, 10, 10, 10]);
    assert.ok(reads[2]!.equals(pack.subarray(5000, 5010)));
    assert.equal(ranges, 1, 'one window fetch for five reads');
    assert.ok((await s.getRange('data/p1', WINDOW_BYTES + 10, 20)).equals(pack.subarray(WINDOW_BYTES + 10, WINDOW_BYTES + 30)), 'the last, short window');
    assert.ok((await s.getRange('data/p1', WINDOW_BYTES - 5, 10)).equals(pack.subarray(WINDOW_BYTES - 5, WINDOW_BYTES + 5)), 'a read across windows');
    await assert.rejects(s.getRange('data/p1', WINDOW_BYTES + 990, 20), (e) => isEnvsnapError(e, 'CORRUPT'), 'past the end: CORRUPT as the contract says');
    await assert.rejects(s.getRange('data/missing', 0, 10), (e) => isEnvsnapError(e, 'NOT_FOUND'));
  });

  it('fetches the next windows of a planned read order while the current one is read', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const remote = new MemoryStore();
    await remote.create();
    const names = ['data/a', 'data/b', 'data/c', 'data/d', 'data/e'];
    for (const [i, n] of names.entries()) await remote.put(n, Buffer.alloc(1000, i));
    const fetched: string[] = [];
    const counting = Object.assign(Object.create(remote) as MemoryStore, {
      getRange: (name: string, offset: number, length: number) => {
        fetched.push(name);
        return remote.getRange(name, offset, length);
      },
    });
    const s = new CachedStore(counting, new LocalStore(dir));
    // The reader will go e, c, a, ...: not the order of the names.
    s.planReads([{ name: 'data/e', offset: 0 }, { name: 'data/c', offset: 10 }, { name: 'data/a', offset: 0 }, { name: 'data/d', offset: 0 }]);
    assert.deepEqual(await s.getRange('data/e', 5, 10), Buffer.alloc(10, 4));
    assert.deepEqual(fetched, ['data/e', 'data/c', 'data/a'], `${READ_AHEAD} windows ahead of the one read`);
    assert.deepEqual(await s.getRange('data/c', 20, 10), Buffer.alloc(10, 2));
    await new Promise((r) => setImmediate(r)); // the read-ahead's request goes out after a size lookup
    assert.deepEqual(fetched, ['data/e', 'data/c', 'data/a', 'data/d'], 'reading the next one moves the read-ahead on');
    assert.deepEqual(await s.getRange('data/a', 0, 10), Buffer.alloc(10, 0));
    assert.deepEqual(await s.getRange('data/b', 0, 10), Buffer.alloc(10, 1), 'an unplanned read is served too');
    assert.equal(fetched.length, 5, 'each window fetched once');
  });

  it('reads windows into reusable shared buffers, reusing one only when its views are released', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const remote = new MemoryStore();
    await remote.create();
    const names = Array.from({ length: MAX_WINDOWS + 6 }, (_, i) => `data/p${i}`);
    for (const [i, n] of names.entries()) await remote.put(n, Buffer.alloc(4096, i + 1));
    // A downloading store: honours `into`, as the S3 store does.
    const downloading = Object.assign(Object.create(remote) as MemoryStore, {
      getRange: async (name: string, offset: number, length: number, opts?: { into?: Buffer }) => {
        const bytes = await remote.getRange(name, offset, length);
        if (!opts?.into) return bytes;
        bytes.copy(opts.into);
        return opts.into.subarray(0, bytes.length);
      },
    });
    const s = new CachedStore(downloading, new LocalStore(dir));
    // One view kept out (not released): its buffer must never be reused under it.
    const kept = await s.getRange(names[0]!, 100, 50);
    assert.ok(kept.buffer instanceof SharedArrayBuffer, 'a view of the shared window, no copy');
    const seen = new Set<ArrayBufferLike>([kept.buffer]);
    for (const [i, n] of names.slice(1).entries()) {
      const v = await s.getRange(n, 0, 4096);
      assert.deepEqual(v, Buffer.alloc(4096, i + 2), `${n} read right`);
      seen.add(v.buffer);
      s.releaseRange(v);
    }
    assert.deepEqual(kept, Buffer.alloc(50, 1), 'the unreleased view still holds its bytes');
    assert.ok(seen.size <= MAX_WINDOWS + 2, `${seen.size} buffers for ${names.length} windows: reused once released`);
  });

  it('works on when the cache directory cannot be written', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const remote = new MemoryStore();
    await remote.create();
    await remote.put('index/aa', Buffer.from('index'));
    const s = new CachedStore(remote, new LocalStore(join(file, 'cache')));
    assert.equal((await s.get('index/aa')).toString(), 'index');
    assert.deepEqual(await collect(s.list('index/')), ['index/aa']);
  });
});

async function collect(it: AsyncIterable<{ name: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const b of it) out.push(b.name);
  return out.sort();
}
