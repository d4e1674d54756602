import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createCipheriv } from 'node:crypto';
import { Repository } from '../repo/repository.ts';
import { createSnapshot } from './create-snapshot.ts';
import { restoreSnapshot } from './restore-snapshot.ts';
import { encodeTree } from '../snapshot/tree.ts';
import { quietContext, tempRepo, type TempRepo } from '../testing/temp-repo.ts';
import { DIRECT_ALIGN, DIRECT_MIN_BYTES } from '../core/direct-write.ts';

describe('snapshot round trip through the use cases', () => {
  let fx: TempRepo;
  let dir: string;
  let repo: Repository;
  const ctx = quietContext;

  before(async () => {
    fx = await tempRepo('roundtrip');
    ({ dir, repo } = fx);
  });
  after(() => fx.dispose());

  it('keeps a file whose bytes equal a tree blob apart from that tree', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'empty'), { recursive: true });
    // The exact JSON of an empty directory's tree, as a file: same bytes, different blob type.
    await writeFile(join(src, 'looks-like-a-tree.json'), encodeTree({ nodes: [] }));
    const { snapshot } = await createSnapshot(ctx, repo, { root: src });
    const target = join(dir, 'out');
    await restoreSnapshot(ctx, repo, { snapshot: snapshot.id, target });
    assert.deepEqual(await readFile(join(target, 'looks-like-a-tree.json')), encodeTree({ nodes: [] }));
  });

  it('reports the restored bytes of multi-chunk files exactly (chunks are written concurrently)', async () => {
    const src = join(dir, 'multi');
    await mkdir(src, { recursive: true });
    const big = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16)).update(Buffer.alloc(12 * 1024 * 1024));
    await writeFile(join(src, 'big.bin'), big);
    await writeFile(join(src, 'small.txt'), 'small');
    const { snapshot } = await createSnapshot(ctx, repo, { root: src });
    const r = await restoreSnapshot(ctx, repo, { snapshot: snapshot.id, target: join(dir, 'multi-out') });
    assert.equal(r.summary.bytes, big.length + 5);
    assert.equal(r.summary.bytes, snapshot.summary.bytes);
    assert.ok((await readFile(join(dir, 'multi-out', 'big.bin'))).equals(big));
  });

  it('restores files on both sides of the direct-write limits byte for byte, with mode and mtime', async () => {
    const src = join(dir, 'limits');
    await mkdir(src, { recursive: true });
    const key = createCipheriv('aes-256-ctr', Buffer.alloc(32, 9), Buffer.alloc(16));
    // Around the smallest direct write, around a block, one chunk of an odd size, several chunks.
    const sizes = [DIRECT_MIN_BYTES - 1, DIRECT_MIN_BYTES, DIRECT_MIN_BYTES + 1, DIRECT_MIN_BYTES + DIRECT_ALIGN - 1, 300_001, 5 * 1024 * 1024 + 17];
    for (const [i, size] of sizes.entries()) {
      const p = join(src, `f${i}.bin`);
      await writeFile(p, key.update(Buffer.alloc(size)), { mode: 0o640 });
      await utimes(p, 1_600_000_000 + i, 1_600_000_000.123456 + i);
    }
    const { snapshot } = await createSnapshot(ctx, repo, { root: src });
    const out = join(dir, 'limits-out');
    await restoreSnapshot(ctx, repo, { snapshot: snapshot.id, target: out });
    for (let i = 0; i < sizes.length; i++) {
      const [a, b] = [join(src, `f${i}.bin`), join(out, `f${i}.bin`)];
      assert.ok((await readFile(b)).equals(await readFile(a)), `f${i}.bin (${sizes[i]} bytes)`);
      const [sa, sb] = [await stat(a, { bigint: true }), await stat(b, { bigint: true })];
      assert.equal(sb.mode, sa.mode);
      assert.equal(sb.mtimeNs / 1000n, sa.mtimeNs / 1000n);
    }
  });

  it('reports the restored bytes of many small files exactly (they are restored concurrently)', async () => {
    const src = join(dir, 'many');
    await mkdir(src, { recursive: true });
    let total = 0;
    for (let i = 0; i < 60; i++) {
      const body = Buffer.alloc(1000 + i * 37, i);
      total += body.length;
      await writeFile(join(src, `f${i}.bin`), body);
    }
    const { snapshot } = await createSnapshot(ctx, repo, { root: src });
    const r = await restoreSnapshot(ctx, repo, { snapshot: snapshot.id, target: join(dir, 'many-out') });
    assert.equal(r.summary.files, 60);
    assert.equal(r.summary.bytes, total);
  });

  it('rejects a missing source path before writing anything', async () => {
    const before = (await repo.store.stat('config'))!;
    await assert.rejects(createSnapshot(ctx, repo, { root: dir, paths: ['does-not-exist'] }), /source path does-not-exist does not exist/);
    assert.deepEqual(await repo.store.stat('config'), before);
  });
});
