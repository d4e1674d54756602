import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chunker, DEFAULT_CHUNKER } from './chunker.ts';
import { chunkFile, HeldChunks } from './file-chunker.ts';
import { BlobType, blobId, deriveBlobIdKeys } from './blob.ts';
import { cutAll, pseudoRandom } from '../testing/chunking.ts';


describe('chunkFile', () => {
  const seed = Buffer.from('repository-seed');
  const chunker = new Chunker(DEFAULT_CHUNKER, seed);
  const ids = deriveBlobIdKeys(Buffer.alloc(32, 7));

  async function readChunks(path: string): Promise<{ chunks: Uint8Array[]; done: { chunks: number; total: number; changed: boolean } }> {
    const held = new HeldChunks(64 * 1024 * 1024);
    const chunks: Uint8Array[] = [];
    let done: { chunks: number; total: number; changed: boolean } | undefined;
    const st = statSync(path, { bigint: true });
    let rid = 0;
    await chunkFile(Buffer.from(path), { size: Number(st.size), mtimeNs: st.mtimeNs.toString() }, ++rid, chunker, ids, held, {
      chunk: (seq, id) => {
        const c = held.take(rid, seq)!;
        assert.deepEqual(c.id, id);
        chunks.push(c.data);
      },
      done: (n, total, changed) => (done = { chunks: n, total, changed }),
    });
    return { chunks, done: done! };
  }

  it('cuts a file exactly as the whole data cut in memory, with chunks up to the maximum (zero runs have no cut point)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'envsnap-chunkfile-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // Random data (chunks near the average), then 20 MiB of zeros (maximum-size chunks, longer than
    // the read window), then random again, ending in a short tail.
    const data = Buffer.concat([pseudoRandom(9 * 1024 * 1024 + 123, 1), Buffer.alloc(20 * 1024 * 1024), pseudoRandom(6 * 1024 * 1024 + 77, 2)]);
    const path = join(dir, 'f');
    writeFileSync(path, data);
    const { chunks, done } = await readChunks(path);
    const expected = cutAll(chunker, data);
    assert.deepEqual(chunks.map((c) => c.byteLength), expected);
    assert.ok(expected.includes(DEFAULT_CHUNKER.max), 'the zero run gives maximum-size chunks');
    assert.deepEqual(Buffer.concat(chunks), data);
    assert.deepEqual(done, { chunks: expected.length, total: data.length, changed: false });
    let pos = 0;
    for (const c of chunks) {
      assert.deepEqual(blobId(ids, BlobType.data, c), blobId(ids, BlobType.data, data.subarray(pos, pos + c.byteLength)));
      pos += c.byteLength;
    }
  });

  it('reads a file no larger than the minimum as one chunk', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'envsnap-chunkfile-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const data = pseudoRandom(300_000, 3);
    writeFileSync(join(dir, 'small'), data);
    const { chunks, done } = await readChunks(join(dir, 'small'));
    assert.deepEqual(chunks.map((c) => Buffer.from(c)), [data]);
    assert.deepEqual(done, { chunks: 1, total: data.length, changed: false });
  });
});
