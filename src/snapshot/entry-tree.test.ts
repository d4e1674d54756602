import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { tempRepo, type TempRepo } from '../testing/temp-repo.ts';
import { EntryTreeBuilder, TreeEntryReader } from './entry-tree.ts';
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRepository } from './check.ts';
import { noProgress, silentLogger } from '../core/logger.ts';
import { Restorer } from './restorer.ts';
import { resolveSubtree } from './tree-reader.ts';

function pseudoRandom(n: number, seed: number): Buffer {
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
}

async function* pieces(buf: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

async function readAll(r: TreeEntryReader, path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r.read(path)) parts.push(p);
  return Buffer.concat(parts);
}

/** These tests write trees and index files but commit no snapshot that a concurrent prune could harm. */
const noLockCheck = { verify: async () => {} };

describe('entry trees (source files in the repository)', () => {
  let fx: TempRepo;
  before(async () => {
    fx = await tempRepo('entries');
    await fx.repo.loadIndex();
  });
  after(() => fx.dispose());

  async function store(files: Record<string, Buffer>, pieceSize: number): Promise<{ tree: string; newBytes: number }> {
    const saver = fx.repo.newSaver({ lock: noLockCheck });
    const b = new EntryTreeBuilder(fx.repo, saver, { mtimeNs: '1700000000000000000' });
    const w = b.writer('mysql/default');
    await Promise.all(Object.entries(files).map(([p, data]) => w.writeFile(p, pieceSize > 0 ? pieces(data, pieceSize) : data)));
    const tree = await b.finish();
    await saver.finish();
    return { tree, newBytes: saver.stats.newBytes };
  }

  it('streams files of any size and piece pattern back byte for byte', async () => {
    const big = pseudoRandom(21 * 1024 * 1024 + 17, 1);
    const files = { 'data/t1/00000.tsv': big, 'data/t1/00001.tsv': Buffer.alloc(0), 'schema/t1.sql': Buffer.from('CREATE TABLE t1 (id int)'), 'meta.json': Buffer.from('{}') };
    const { tree } = await store(files, 65_521);
    const r = await TreeEntryReader.open(fx.repo, tree);
    assert.deepEqual(
      r.list().map((e) => e.path),
      ['mysql/default/data/t1/00000.tsv', 'mysql/default/data/t1/00001.tsv', 'mysql/default/meta.json', 'mysql/default/schema/t1.sql'],
    );
    for (const [p, data] of Object.entries(files)) assert.ok((await readAll(r, `mysql/default/${p}`)).equals(data), p);
    assert.equal(r.list()[0].size, big.length);
    const report = await checkRepository(fx.repo, { readData: { subsetPercent: 100 }, logger: silentLogger });
    assert.deepEqual(report.errors, []);
  });

  it('cuts a stream at the same places however it arrives, so a re-capture stores nothing new', async () => {
    const data = pseudoRandom(12 * 1024 * 1024, 2);
    const first = await store({ 'keys.bin': data }, 4096);
    const again = await store({ 'keys.bin': data }, 1_000_003);
    assert.ok(first.newBytes >= data.length);
    assert.equal(again.newBytes, 0);
    assert.equal(again.tree, first.tree);
    // One byte inserted near the start: only the chunks around it are new.
    const shifted = Buffer.concat([data.subarray(0, 1000), Buffer.from('x'), data.subarray(1000)]);
    const third = await store({ 'keys.bin': shifted }, 8192);
    assert.ok(third.newBytes < data.length / 3, `new bytes after a one-byte insert: ${third.newBytes}`);
  });

  it('refuses unsafe and duplicate entry paths', async () => {
    const saver = fx.repo.newSaver({ lock: noLockCheck });
    const b = new EntryTreeBuilder(fx.repo, saver, { mtimeNs: '0' });
    const w = b.writer('redis/cache');
    await assert.rejects(w.writeFile('../escape', Buffer.from('x')), /not a safe relative path/);
    await assert.rejects(w.writeFile('a//b', Buffer.from('x')), /not a safe relative path/);
    await w.writeFile('a', Buffer.from('x'));
    await assert.rejects(w.writeFile('a', Buffer.from('y')), /written twice/);
    await saver.abort();
  });

  it('names a missing entry', async () => {
    const { tree } = await store({ 'x.bin': Buffer.from('x') }, 0);
    const r = await TreeEntryReader.open(fx.repo, tree);
    await assert.rejects(readAll(r, 'mysql/default/nope'), /no entry mysql\/default\/nope/);
  });

  describe("file-tree writer (an archive's members as the mounts)", () => {
    const meta = (mode: number, sec: number) => ({ mode, uid: 0, gid: 0, mtimeNs: `${sec}123456789` });

    it("keeps each entry's metadata, symlinks and hardlinks, so a restore gives them back", async () => {
      const saver = fx.repo.newSaver({ lock: noLockCheck });
      const b = new EntryTreeBuilder(fx.repo, saver, { mtimeNs: '0' });
      const w = b.fileTreeWriter('files', { dirMeta: meta(0o711, 1_500_000_000) });
      await w.writeFile('var/import/x.csv', Buffer.from('sku\n'), meta(0o640, 1_600_000_001));
      w.addEntry('var/import/y.csv', { type: 'hardlink', target: 'var/import/x.csv' });
      w.addEntry('var/latest', { type: 'symlink', target: Buffer.from('import/x.csv'), meta: meta(0o777, 1_600_000_002) });
      w.addEntry('var/empty', { type: 'dir', meta: meta(0o750, 1_600_000_003) });
      // A folder's own entry after what is inside it: its metadata applies all the same.
      w.addEntry('var', { type: 'dir', meta: meta(0o755, 1_600_000_004) });
      assert.deepEqual(w.summary(), { files: 2, dirs: 3, bytes: 8 });
      const tree = await b.finish();
      await saver.finish();

      const target = await mkdtemp(join(tmpdir(), 'envsnap-entry-tree-'));
      try {
        const files = (await TreeEntryReader.open(fx.repo, tree)).list();
        assert.deepEqual(files.map((f) => f.path), ['files/var/import/x.csv', 'files/var/import/y.csv']);
        await new Restorer(fx.repo, { target, overwrite: 'always', logger: silentLogger, progress: noProgress }).run(await resolveSubtree(fx.repo, tree, 'files'));
        const x = await lstat(join(target, 'var/import/x.csv'), { bigint: true });
        const y = await lstat(join(target, 'var/import/y.csv'), { bigint: true });
        assert.equal(await readFile(join(target, 'var/import/y.csv'), 'utf8'), 'sku\n');
        assert.equal(x.ino, y.ino, 'hardlinked');
        assert.equal(Number(x.mode & 0o7777n), 0o640);
        assert.equal(x.mtimeNs / 1000n, 1_600_000_001_123_456n);
        assert.equal(await readlink(join(target, 'var/latest')), 'import/x.csv');
        const dirs: [string, number, bigint][] = [['var', 0o755, 1_600_000_004n], ['var/empty', 0o750, 1_600_000_003n], ['var/import', 0o711, 1_500_000_000n]];
        for (const [d, mode, sec] of dirs) {
          const st = await lstat(join(target, d), { bigint: true });
          assert.deepEqual([Number(st.mode & 0o7777n), st.mtimeNs / 1_000_000_000n], [mode, sec], d);
        }
      } finally {
        await rm(target, { recursive: true, force: true });
      }
    });

    it('refuses what is no plain tree: a path twice, a member below a file or symlink, a hardlink to nothing', async () => {
      const w = EntryTreeBuilder.checker().fileTreeWriter('files', { dirMeta: meta(0o755, 1) });
      await w.writeFile('var/a', Buffer.from('a'), meta(0o644, 1));
      await assert.rejects(w.writeFile('var/a', Buffer.from('b'), meta(0o644, 1)), /entry files\/var\/a written twice/);
      assert.throws(() => w.addEntry('var/a', { type: 'dir', meta: meta(0o755, 1) }), /a is not a directory/);
      w.addEntry('var/link', { type: 'symlink', target: Buffer.from('/etc'), meta: meta(0o777, 1) });
      await assert.rejects(w.writeFile('var/link/passwd', Buffer.from('x'), meta(0o644, 1)), /link is not a directory/);
      assert.throws(() => w.addEntry('var/h', { type: 'hardlink', target: 'var/missing' }), /hardlink to var\/missing, which is not a file written before it/);
      assert.throws(() => w.addEntry('var/h2', { type: 'hardlink', target: 'var/link' }), /not a file written before it/);
      w.addEntry('pub', { type: 'dir', meta: meta(0o755, 1) });
      assert.throws(() => w.addEntry('pub', { type: 'dir', meta: meta(0o755, 1) }), /entry files\/pub written twice/);
    });

    it('a checker reads every file to its end and stores nothing', async () => {
      const before = fx.repo.index.size;
      const b = EntryTreeBuilder.checker();
      const w = b.fileTreeWriter('files', { dirMeta: meta(0o755, 1) });
      const { size } = await w.writeFile('var/big', pieces(pseudoRandom(3 * 1024 * 1024, 9), 65_536), meta(0o644, 1));
      assert.equal(size, 3 * 1024 * 1024);
      await assert.rejects(b.finish(), /stores nothing/);
      assert.equal(fx.repo.index.size, before);
    });
  });
});
