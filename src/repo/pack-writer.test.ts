import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryStore } from '../storage/memory/memory-store.ts';
import { PackWriter } from './pack-writer.ts';
import { BlobType } from './blob.ts';
import { parsePackTail, type PackEntry } from './pack.ts';

const PACK_SIZE = 1024 * 1024;

async function writePacks(blobs: { type: BlobType; size: number }[]) {
  const store = new MemoryStore();
  const key = randomBytes(32);
  const written = new Map<string, PackEntry[]>();
  const writer = new PackWriter(store, key, PACK_SIZE, (packId, entries) => {
    written.set(packId, entries);
  });
  for (const b of blobs) await writer.add(b.type, randomBytes(32), 0, b.size, randomBytes(b.size));
  await writer.flush();
  const packs = [];
  for await (const info of store.list('data/')) {
    const bytes = await store.get(info.name);
    const packId = info.name.slice(5);
    const { entries } = parsePackTail(key, packId, bytes, bytes.length);
    assert.deepEqual(entries.map((e) => e.id), written.get(packId)!.map((e) => e.id), 'the header lists what was reported');
    packs.push({ size: bytes.length, entries });
  }
  return packs;
}

test('packs never grow past the target size, whatever the blob sizes', async () => {
  const sizes = Array.from({ length: 300 }, (_, i) => [1, 4096, 70_000, 300_000, 999, 512 * 1024][i % 6]);
  const packs = await writePacks(sizes.map((size) => ({ type: BlobType.data, size })));
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.equal(packs.reduce((n, p) => n + p.entries.length, 0), sizes.length);
  for (const p of packs) assert.ok(p.size <= PACK_SIZE, `a pack of ${p.size} bytes`);
  // Not needlessly small either: every pack but the last is well filled.
  assert.ok(packs.length <= Math.ceil(total / (PACK_SIZE - 512 * 1024)) + 1, `${packs.length} packs for ${total} bytes`);
});

test('a blob larger than the target gets a pack of its own', async () => {
  const packs = await writePacks([
    { type: BlobType.data, size: 1000 },
    { type: BlobType.data, size: PACK_SIZE + 10 },
    { type: BlobType.data, size: 1000 },
  ]);
  assert.deepEqual(packs.map((p) => p.entries.length).sort(), [1, 1, 1]);
});

test('data and tree blobs go to separate packs', async () => {
  const blobs = Array.from({ length: 40 }, (_, i) => ({ type: i % 3 === 0 ? BlobType.tree : BlobType.data, size: 5000 }));
  const packs = await writePacks(blobs);
  assert.equal(packs.length, 2);
  for (const p of packs) assert.equal(new Set(p.entries.map((e) => e.type)).size, 1, 'one type per pack');
});
