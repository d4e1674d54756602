import { test } from 'node:test';
import assert from 'node:assert/strict';
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
