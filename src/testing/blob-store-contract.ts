/**
 * The BlobStore contract as a reusable node:test suite: every implementation's test file calls
 * describeBlobStore so local, memory and decorated stores are held to the same promises
 * (see storage/blob-store.ts). Each test gets its own store from `make`, so tests never see each
 * other's objects.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ErrorCode } from '../core/errors.ts';
import { isEnvsnapError } from '../core/errors.ts';
import type { BlobInfo, BlobStore } from '../storage/blob-store.ts';
import { Names } from '../storage/blob-store.ts';

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup: () => Promise<void>;
}

/** A 64-hex id whose first characters are `start`, to place objects in chosen data/ shards. */
function idStartingWith(start: string): string {
  return start + randomBytes(32).toString('hex').slice(start.length);
}

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isEnvsnapError(err), `expected an EnvsnapError with code ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

function byName(infos: BlobInfo[]): BlobInfo[] {
  return [...infos].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** How far a store's clock may be from this test's: a store on another host may disagree a little. */
const CLOCK_SLACK_MS = 15 * 60 * 1000;

/** Name and size of an info, after checking that its write time, where the store gives one, is about now. */
function plain(info: BlobInfo): BlobInfo;
function plain(info: BlobInfo | undefined): BlobInfo | undefined;
function plain(info: BlobInfo | undefined): BlobInfo | undefined {
  if (info === undefined) return undefined;
  if (info.modified !== undefined) {
    assert.ok(Math.abs(info.modified - Date.now()) < CLOCK_SLACK_MS, `${info.name} was written just now, not at ${new Date(info.modified).toISOString()}`);
  }
  return { name: info.name, size: info.size };
}

/** Everything a list yields (name and size), sorted, since list promises no order. */
async function collect(items: AsyncIterable<BlobInfo>): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const item of items) out.push(plain(item));
  return byName(out);
}

/**
 * Registers `describe(name)` with the contract tests. `make` must return a store on a fresh location
 * that does not exist yet; the suite calls create() itself (except where it tests exists()).
 */
export function describeBlobStore(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(name, () => {
    let fixture: BlobStoreFixture | undefined;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
      await store.create();
    });

    afterEach(async () => {
      const f = fixture;
      fixture = undefined;
      await f?.cleanup();
    });

    async function roundTrip(data: Uint8Array): Promise<void> {
      const name = Names.pack(idStartingWith(''));
      await store.put(name, data);
      const back = await store.get(name);
      assert.ok(Buffer.isBuffer(back), 'get returns a Buffer');
      assert.equal(back.length, data.byteLength);
      assert.ok(back.equals(data), 'get returns exactly the bytes put');
      assert.deepEqual(plain(await store.stat(name)), { name, size: data.byteLength });
    }

    it('has a location to name in messages', () => {
      assert.equal(typeof store.location, 'string');
      assert.ok(store.location.length > 0);
    });

    describe('put and get', () => {
      it('round-trips an empty object', () => roundTrip(new Uint8Array(0)));
      it('round-trips a 1-byte object', () => roundTrip(Uint8Array.of(0xa5)));
      it('round-trips 5 MiB of random bytes', () => roundTrip(randomBytes(5 * 1024 * 1024)));

      it('stores parts back to back, including empty parts and views', async () => {
        const a = randomBytes(3 * 1024 * 1024);
        const b = randomBytes(100);
        const parts = [a, new Uint8Array(0), b.subarray(10, 60), Uint8Array.of(7)];
        const name = Names.pack(idStartingWith(''));
        await store.put(name, parts);
        assert.ok((await store.get(name)).equals(Buffer.concat(parts)));
      });

      it('stores only the bytes of a Uint8Array view, not its whole underlying buffer', async () => {
        const whole = randomBytes(100);
        const view = new Uint8Array(whole.buffer, whole.byteOffset + 10, 20);
        await store.put(Names.config, view);
        assert.ok((await store.get(Names.config)).equals(whole.subarray(10, 30)));
      });

      it('stores every kind of name of the layout', async () => {
        const names = [
          Names.marker,
          Names.config,
          Names.key(idStartingWith('')),
          Names.pack(idStartingWith('')),
          Names.index(idStartingWith('')),
          Names.snapshot(idStartingWith('')),
          Names.lock(idStartingWith('')),
        ];
        for (const [i, n] of names.entries()) await store.put(n, Buffer.from(`object ${i}`));
        for (const [i, n] of names.entries()) assert.equal((await store.get(n)).toString(), `object ${i}`);
      });

      it('rejects get of a missing name with NOT_FOUND', async () => {
        await rejectsWithCode(store.get(Names.pack(idStartingWith(''))), 'NOT_FOUND');
        await rejectsWithCode(store.get(Names.config), 'NOT_FOUND');
      });

      it('replaces an existing object on put of the same name', async () => {
        const name = Names.lock(idStartingWith(''));
        await store.put(name, randomBytes(1000));
        const second = randomBytes(10);
        await store.put(name, second);
        assert.ok((await store.get(name)).equals(second));
        assert.deepEqual(plain(await store.stat(name)), { name, size: 10 });
        assert.deepEqual(await collect(store.list('locks/')), [{ name, size: 10 }]);
      });

      it('does not alias the caller’s buffer: changing it after put leaves the object unchanged', async () => {
        const data = randomBytes(64);
        const original = Buffer.from(data);
        await store.put(Names.config, data);
        data.fill(0);
        assert.ok((await store.get(Names.config)).equals(original));
      });

      it('does not alias returned buffers: changing one leaves later reads unchanged', async () => {
        const original = randomBytes(64);
        await store.put(Names.config, original);
        const first = await store.get(Names.config);
        first.fill(0);
        const range = await store.getRange(Names.config, 8, 16);
        range.fill(0);
        assert.ok((await store.get(Names.config)).equals(original));
        assert.ok((await store.getRange(Names.config, 8, 16)).equals(original.subarray(8, 24)));
      });
    });

    describe('getRange', () => {
      const size = 1000;
      let data: Buffer;
      let name: string;

      beforeEach(async () => {
        data = randomBytes(size);
        name = Names.pack(idStartingWith(''));
        await store.put(name, data);
      });

      const inside: [string, number, number][] = [
        ['the start', 0, 10],
        ['the middle', 500, 100],
        ['the end', size - 10, 10],
        ['the whole object', 0, size],
        ['an empty range at the end', size, 0],
        ['an empty range inside', 10, 0],
      ];
      for (const [what, offset, length] of inside) {
        it(`reads ${what} (${offset}+${length})`, async () => {
          const got = await store.getRange(name, offset, length);
          assert.ok(Buffer.isBuffer(got));
          assert.equal(got.length, length);
          assert.ok(got.equals(data.subarray(offset, offset + length)));
        });
      }

      const beyond: [string, number, number][] = [
        ['running past the end', size - 5, 10],
        ['starting past the end', size + 1, 1],
        ['an empty range past the end', size + 1, 0],
        ['far past the end', 10 * size, 100],
      ];
      for (const [what, offset, length] of beyond) {
        it(`rejects a range ${what} (${offset}+${length}) with CORRUPT`, async () => {
          await rejectsWithCode(store.getRange(name, offset, length), 'CORRUPT');
        });
      }

      it('rejects a range of a missing name with NOT_FOUND', async () => {
        await rejectsWithCode(store.getRange(Names.pack(idStartingWith('')), 0, 1), 'NOT_FOUND');
      });
    });

    describe('stat and delete', () => {
      it('stats a missing name as undefined and a present one with its size', async () => {
        const name = Names.index(idStartingWith(''));
        assert.equal(await store.stat(name), undefined);
        await store.put(name, randomBytes(123));
        assert.deepEqual(plain(await store.stat(name)), { name, size: 123 });
      });

      it('deletes an object, and deleting it again or deleting a missing name resolves', async () => {
        const name = Names.pack(idStartingWith(''));
        await store.put(name, randomBytes(10));
        await store.delete(name);
        assert.equal(await store.stat(name), undefined);
        await rejectsWithCode(store.get(name), 'NOT_FOUND');
        assert.deepEqual(await collect(store.list('data/')), []);
        await store.delete(name);
        await store.delete(Names.snapshot(idStartingWith('')));
      });
    });

    describe('list', () => {
      it('lists data/ across several shards with names and sizes', async () => {
        const starts = ['00', '00', 'ab', 'ff', 'a0', '7c'];
        const expected: BlobInfo[] = [];
        for (const [i, start] of starts.entries()) {
          const name = Names.pack(idStartingWith(start));
          await store.put(name, randomBytes(i * 7));
          expected.push({ name, size: i * 7 });
        }
        await store.put(Names.key(idStartingWith('')), randomBytes(5));
        assert.deepEqual(await collect(store.list('data/')), byName(expected));
      });

      it('lists keys/ only', async () => {
        const key = Names.key(idStartingWith(''));
        await store.put(key, randomBytes(33));
        await store.put(Names.pack(idStartingWith('')), randomBytes(5));
        await store.put(Names.config, randomBytes(5));
        assert.deepEqual(await collect(store.list('keys/')), [{ name: key, size: 33 }]);
      });

      it('lists everything under the empty prefix', async () => {
        const expected: BlobInfo[] = [
          { name: Names.marker, size: 1 },
          { name: Names.config, size: 2 },
          { name: Names.key(idStartingWith('')), size: 3 },
          { name: Names.pack(idStartingWith('12')), size: 4 },
          { name: Names.pack(idStartingWith('ef')), size: 0 },
          { name: Names.index(idStartingWith('')), size: 6 },
          { name: Names.snapshot(idStartingWith('')), size: 7 },
          { name: Names.lock(idStartingWith('')), size: 8 },
        ];
        for (const { name, size } of expected) await store.put(name, randomBytes(size));
        assert.deepEqual(await collect(store.list('')), byName(expected));
      });

      it('lists nothing under a prefix with no objects, and nothing in an empty store', async () => {
        assert.deepEqual(await collect(store.list('')), []);
        await store.put(Names.key(idStartingWith('')), randomBytes(5));
        assert.deepEqual(await collect(store.list('index/')), []);
        assert.deepEqual(await collect(store.list('snapshots/')), []);
        assert.deepEqual(await collect(store.list('data/')), []);
      });

      it('filters by a prefix longer than a folder', async () => {
        const a = Names.pack(idStartingWith('ab1'));
        const b = Names.pack(idStartingWith('ab2'));
        const c = Names.pack(idStartingWith('a0'));
        for (const n of [a, b, c]) await store.put(n, randomBytes(3));
        assert.deepEqual(
          (await collect(store.list('data/ab'))).map((i) => i.name),
          [a, b].sort(),
        );
        assert.deepEqual(
          (await collect(store.list('data/ab1'))).map((i) => i.name),
          [a],
        );
        assert.deepEqual(
          (await collect(store.list('data/a'))).map((i) => i.name),
          [a, b, c].sort(),
        );
      });
    });

    describe('concurrency', () => {
      it('serves 50 concurrent puts, then 50 concurrent gets and a list', async () => {
        const objects = Array.from({ length: 50 }, (_, i) => ({
          name: i % 2 === 0 ? Names.pack(idStartingWith('')) : Names.index(idStartingWith('')),
          data: randomBytes(1 + i * 1000),
        }));
        await Promise.all(objects.map((o) => store.put(o.name, o.data)));
        const back = await Promise.all(objects.map((o) => store.get(o.name)));
        for (const [i, o] of objects.entries()) assert.ok(back[i].equals(o.data), `object ${i} reads back intact`);
        const listed = await collect(store.list(''));
        assert.equal(listed.length, 50);
      });

      it('serves puts and gets interleaved', async () => {
        const objects = Array.from({ length: 50 }, () => ({ name: Names.pack(idStartingWith('')), data: randomBytes(4096) }));
        await Promise.all(
          objects.map(async (o) => {
            await store.put(o.name, o.data);
            assert.ok((await store.get(o.name)).equals(o.data));
            assert.ok((await store.getRange(o.name, 100, 200)).equals(o.data.subarray(100, 300)));
          }),
        );
      });

      it('leaves one whole version after concurrent puts of the same name', async () => {
        const name = Names.lock(idStartingWith(''));
        const versions = Array.from({ length: 20 }, (_, i) => randomBytes(100 + i * 5000));
        await Promise.all(versions.map((v) => store.put(name, v)));
        const back = await store.get(name);
        assert.ok(
          versions.some((v) => v.equals(back)),
          'the object is exactly one of the versions put',
        );
        assert.deepEqual(await collect(store.list('locks/')), [{ name, size: back.length }]);
      });
    });

    describe('create and exists', () => {
      it('does not exist before create() and exists after', async () => {
        const fresh = await make();
        try {
          assert.equal(await fresh.store.exists(), false);
          await fresh.store.create();
          assert.equal(await fresh.store.exists(), true);
          assert.deepEqual(await collect(fresh.store.list('')), []);
          await fresh.store.put(Names.config, Buffer.from('x'));
          assert.equal((await fresh.store.get(Names.config)).toString(), 'x');
        } finally {
          await fresh.cleanup();
        }
      });
    });
  });
}
