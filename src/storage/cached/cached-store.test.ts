/** CachedStore: the BlobStore contract over a memory store, and what it caches, serves and forgets. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeBlobStore } from '../../testing/blob-store-contract.ts';
import { LocalStore } from '../local/local-store.ts';
import { MemoryStore } from '../memory/memory-store.ts';
import { CachedStore } from './cached-store.ts';

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
    assert.deepEqual(a.stats, { hits: 0, misses: 1 });
    // Another process with the same cache directory: served locally.
    const b = new CachedStore(remote, new LocalStore(dir));
    assert.equal((await b.get('index/aa')).toString(), 'index');
    await b.get('data/bb');
    await b.get('locks/cc');
    assert.deepEqual(b.stats, { hits: 1, misses: 0 });
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
