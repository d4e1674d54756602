/** FaultyStore: transparent over MemoryStore when no fault is armed, and each fault does what it says. */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { describeBlobStore } from '../../testing/blob-store-contract.ts';
import { MemoryStore } from '../memory/memory-store.ts';
import { FaultyStore } from './faulty-store.ts';

describeBlobStore('FaultyStore(MemoryStore) without faults', async () => ({
  store: new FaultyStore(new MemoryStore()),
  cleanup: async () => {},
}));

describe('FaultyStore faults', () => {
  let inner: MemoryStore;
  let store: FaultyStore;
  const data = Buffer.from('0123456789');

  beforeEach(async () => {
    inner = new MemoryStore();
    store = new FaultyStore(inner);
    await store.create();
  });

  it('takes its location from the inner store', () => {
    assert.equal(store.location, 'memory');
  });

  it('failPut with nth fails only that matching put and writes nothing for it', async () => {
    await store.put('keys/before', data); // before the rule: not counted
    store.failPut({ nth: 2, namePrefix: 'data/' });
    await store.put('data/a1', data);
    await store.put('keys/k1', data); // not matching: not counted
    await assert.rejects(store.put('data/b2', data), (err: unknown) => isEnvsnapError(err, 'IO'));
    await store.put('data/c3', data);
    await store.put('data/b2', data);
    assert.equal(await inner.stat('data/b2').then((i) => i?.size), 10);
    assert.deepEqual(store.putNames, ['keys/before', 'data/a1', 'keys/k1', 'data/b2', 'data/c3', 'data/b2']);
    assert.equal(store.puts, 6);
  });

  it('failPut without nth fails every matching put until reset, with the chosen code', async () => {
    store.failPut({ namePrefix: 'index/', code: 'NO_SPACE' });
    for (const n of ['index/1', 'index/2', 'index/3']) {
      await assert.rejects(store.put(n, data), (err: unknown) => isEnvsnapError(err, 'NO_SPACE') && /free space/.test(err.message));
    }
    await store.put('snapshots/s', data);
    assert.equal(await inner.stat('index/1'), undefined);
    store.reset();
    await store.put('index/1', data);
    assert.ok((await inner.get('index/1')).equals(data));
  });

  it('failPut with no options fails every put', async () => {
    store.failPut();
    await assert.rejects(store.put('config', data), (err: unknown) => isEnvsnapError(err, 'IO'));
    assert.equal(await inner.stat('config'), undefined);
  });

  it('failPut rejects a nonsense nth', () => {
    assert.throws(() => store.failPut({ nth: 0 }), (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT'));
  });

  it('flipBitOnRead flips one bit in the middle of get and getRange results, without changing the stored object', async () => {
    await store.put('data/p', data);
    await store.put('keys/k', data);
    store.flipBitOnRead({ namePrefix: 'data/' });
    const got = await store.get('data/p');
    const expected = Buffer.from(data);
    expected[5] ^= 1;
    assert.ok(got.equals(expected));
    const range = await store.getRange('data/p', 2, 4); // "2345": middle byte is index 2
    assert.equal(range.toString('latin1'), '23' + String.fromCharCode('4'.charCodeAt(0) ^ 1) + '5');
    assert.ok((await store.get('keys/k')).equals(data), 'other names read clean');
    assert.ok((await inner.get('data/p')).equals(data), 'the stored object is untouched');
    assert.ok(!(await store.get('data/p')).equals(data), 'without once, it keeps flipping');
  });

  it('flipBitOnRead once flips only the first read', async () => {
    await store.put('data/p', data);
    store.flipBitOnRead({ namePrefix: 'data/', once: true });
    assert.ok(!(await store.get('data/p')).equals(data));
    assert.ok((await store.get('data/p')).equals(data));
  });

  it('flipBitOnRead leaves empty results alone and keeps a once rule armed for the next non-empty read', async () => {
    await store.put('data/empty', Buffer.alloc(0));
    await store.put('data/p', data);
    store.flipBitOnRead({ namePrefix: 'data/', once: true });
    assert.equal((await store.get('data/empty')).length, 0);
    assert.ok(!(await store.get('data/p')).equals(data));
    assert.ok((await store.get('data/p')).equals(data));
  });

  it('failGet rejects get and getRange of matching names with the chosen code', async () => {
    await store.put('index/i', data);
    await store.put('keys/k', data);
    store.failGet({ namePrefix: 'index/', code: 'CORRUPT' });
    await assert.rejects(store.get('index/i'), (err: unknown) => isEnvsnapError(err, 'CORRUPT'));
    await assert.rejects(store.getRange('index/i', 0, 1), (err: unknown) => isEnvsnapError(err, 'CORRUPT'));
    assert.ok((await store.get('keys/k')).equals(data));
    store.failGet({ namePrefix: 'keys/' });
    await assert.rejects(store.get('keys/k'), (err: unknown) => isEnvsnapError(err, 'IO'));
    assert.ok((await store.get('index/i')).equals(data), 'arming again replaces the rule');
    store.reset();
    assert.ok((await store.get('keys/k')).equals(data));
  });

  it('counts calls of put, get/getRange and delete, failed ones included', async () => {
    await store.put('a', data);
    store.failPut({ nth: 1 });
    await assert.rejects(store.put('b', data));
    await store.get('a');
    await store.getRange('a', 0, 1);
    await assert.rejects(store.get('missing'));
    await store.delete('a');
    await store.delete('a');
    await store.stat('a');
    for await (const _ of store.list('')) assert.fail('nothing is left to list');
    assert.deepEqual({ puts: store.puts, gets: store.gets, deletes: store.deletes }, { puts: 2, gets: 3, deletes: 2 });
    assert.deepEqual(store.putNames, ['a', 'b']);
  });

  it('afterPut runs its action once, after the first matching put has landed and before that put resolves', async () => {
    const seen: (number | undefined)[] = [];
    store.afterPut('data/', async () => {
      seen.push((await inner.stat('data/a'))?.size);
    });
    await store.put('index/x', data);
    assert.deepEqual(seen, [], 'a put of another prefix does not fire it');
    await store.put('data/a', data);
    assert.deepEqual(seen, [10]);
    await store.put('data/b', data);
    assert.deepEqual(seen, [10], 'only once');
  });
});
