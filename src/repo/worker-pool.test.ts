import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newMasterKey } from '../crypto/keys.ts';
import { pseudoRandom } from '../testing/chunking.ts';
import { blobId, BlobType, deriveBlobIdKeys } from './blob.ts';
import { newConfig } from './config.ts';
import { WorkerPool } from './worker-pool.ts';

function fixture() {
  const key = newMasterKey();
  const ids = deriveBlobIdKeys(key.id);
  const blobs = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? Buffer.from(`text ${i} `.repeat(500)) : pseudoRandom(1000 + i * 777, i)));
  return { pool: new WorkerPool(key, newConfig().chunker), blobs, ids: blobs.map((b) => blobId(ids, BlobType.data, b)) };
}

test('requests sent together are answered each on its own: one that fails does not fail the others', async () => {
  const { pool, blobs, ids } = fixture();
  try {
    // Sent in one turn of the event loop, so they travel to the workers in batches.
    const sealed = await Promise.all(blobs.map((b, i) => pool.seal(BlobType.data, ids[i], Buffer.from(b))));
    const damaged = 5;
    sealed[damaged].data[20] ^= 1;
    const opened = await Promise.allSettled(sealed.map((s, i) => pool.open(BlobType.data, ids[i], s.flags, blobs[i].length, s.data)));
    for (const [i, r] of opened.entries()) {
      if (i === damaged) {
        assert.equal(r.status, 'rejected');
        assert.equal((r as PromiseRejectedResult).reason.code, 'CORRUPT');
      } else {
        assert.equal(r.status, 'fulfilled', `blob ${i}`);
        assert.ok((r as PromiseFulfilledResult<Buffer>).value.equals(blobs[i]), `blob ${i} comes back as it went in`);
      }
    }
  } finally {
    await pool.close();
  }
});

test('close() finishes requests sent in the same turn before stopping the workers', async () => {
  const { pool, blobs, ids } = fixture();
  const sealing = blobs.map((b, i) => pool.seal(BlobType.data, ids[i], Buffer.from(b)));
  await pool.close();
  const sealed = await Promise.all(sealing);
  assert.equal(sealed.length, blobs.length);
  for (const s of sealed) assert.ok(s.data.length > 0);
  await assert.rejects(pool.seal(BlobType.data, ids[0], Buffer.from(blobs[0])), { code: 'INTERRUPTED' });
});

/** Files under `dir` this process has open. */
async function openFilesUnder(dir: string): Promise<string[]> {
  const open: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(`${dir}/`)) open.push(target);
  }
  return open;
}

test('workers read sealed chunks from pack files themselves and close them when the pool closes', async (t) => {
  const { pool, blobs, ids } = fixture();
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-worker-pool-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  try {
    // Each sealed blob in a pack file of its own, then written by a worker into one output file.
    const sealed = await Promise.all(blobs.map((b, i) => pool.seal(BlobType.data, ids[i], Buffer.from(b))));
    const out = await open(join(dir, 'out'), 'w');
    try {
      let position = 0;
      const writes: Promise<void>[] = [];
      for (const [i, s] of sealed.entries()) {
        const path = join(dir, `pack-${i}`);
        await writeFile(path, Buffer.concat([Buffer.alloc(7), s.data]));
        writes.push(pool.writeTo(ids[i], s.flags, blobs[i].length, { path, offset: 7, length: s.data.length }, { fd: out.fd, position, sparse: false }));
        position += blobs[i].length;
      }
      await Promise.all(writes);
    } finally {
      await out.close();
    }
    assert.ok((await readFile(join(dir, 'out'))).equals(Buffer.concat(blobs)));
    assert.ok((await openFilesUnder(dir)).some((p) => p.includes('pack-')), 'the workers did not read the packs themselves (or closed each at once)');
  } finally {
    await pool.close();
  }
  assert.deepEqual(await openFilesUnder(dir), [], 'pack files left open after the pool closed');
});
