import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { tempRepo, type TempRepo } from '../testing/temp-repo.ts';
import { EntryTreeBuilder, TreeEntryReader } from './entry-tree.ts';
import { checkRepository } from './check.ts';
import { silentLogger } from '../core/logger.ts';

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

describe('entry trees (source files in the repository)', () => {
  let fx: TempRepo;
  before(async () => {
    fx = await tempRepo('entries');
    await fx.repo.loadIndex();
  });
  after(() => fx.dispose());

  async function store(files: Record<string, Buffer>, pieceSize: number): Promise<{ tree: string; newBytes: number }> {
    const saver = fx.repo.newSaver();
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
    const saver = fx.repo.newSaver();
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
});
