import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { ownsBacking, release, releaseAll, releaseBacking, UNPOOLED_BYTES } from './memory.ts';

test('release frees a buffer that spans its own ArrayBuffer', () => {
  const b = Buffer.alloc(100_000, 1);
  release(b);
  assert.equal(b.buffer.detached, true);
  assert.equal(b.length, 0);
});

test('release leaves views, pooled Buffers and shared memory alone', () => {
  const big = Buffer.alloc(100_000, 1);
  const view = big.subarray(10, 20_000);
  const pooled = Buffer.from('small');
  const shared = new Uint8Array(new SharedArrayBuffer(100_000));
  release(view, pooled, shared, undefined);
  assert.equal(big.buffer.detached, false);
  assert.equal(view.length, 19_990);
  assert.equal(pooled.toString(), 'small');
  assert.equal(shared.length, 100_000);
});

test('release of an already released buffer does nothing', () => {
  const b = new Uint8Array(50_000);
  releaseAll([b, b]);
  assert.equal(b.buffer.detached, true);
});

test('releaseBacking frees the whole allocation under a view, never a pool slab', () => {
  const big = Buffer.alloc(100_000, 1);
  const view = big.subarray(0, 10);
  releaseBacking(view);
  assert.equal(big.buffer.detached, true);
  const pooled = Buffer.from('pooled bytes');
  const neighbour = Buffer.from('neighbour');
  releaseBacking(pooled);
  assert.equal(neighbour.toString(), 'neighbour');
  assert.equal(pooled.toString(), 'pooled bytes');
});

test('releaseBacking frees small allocations of their own too (a one-shot zstd output of a few KiB)', () => {
  const raw = Buffer.alloc(3000, 'log line\n');
  const out = zstdDecompressSync(zstdCompressSync(raw), { chunkSize: Math.max(UNPOOLED_BYTES, raw.length + 1), maxOutputLength: raw.length + 1 });
  assert.deepEqual(out, raw);
  assert.equal(ownsBacking(out), true, 'not a slice of the pool');
  releaseBacking(out);
  assert.equal(out.buffer.detached, true);
  // Without the minimum chunk size the output is a slice of Buffer's pool, which stays.
  const pooled = zstdDecompressSync(zstdCompressSync(raw), { chunkSize: raw.length + 1 });
  assert.equal(ownsBacking(pooled), false);
  releaseBacking(pooled);
  assert.deepEqual(pooled, raw);
});
