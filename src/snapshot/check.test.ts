/**
 * check against real repositories on disk: clean when fresh; a flipped byte in a pack is found by
 * --read-data (naming the pack) but not by the structural check; a deleted pack or a damaged tree is
 * found by the structural check; a pack no index lists is a warning, not an error. Also walkTrees:
 * each tree once, problems returned rather than thrown.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { shortId } from '../core/ids.ts';
import { MemoryLogger, silentLogger } from '../core/logger.ts';
import { blobId } from '../repo/blob.ts';
import { check } from '../app/maintain.ts';
import { createSnapshot } from '../app/create-snapshot.ts';
import { BlobType } from '../repo/blob.ts';
import { PackWriter } from '../repo/pack-writer.ts';
import type { PackEntry } from '../repo/pack.ts';
import { Repository } from '../repo/repository.ts';
import { checkRepository } from './check.ts';
import { deleteSnapshot, listSnapshotIds } from './manifest.ts';
import { walkTrees } from './walk.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';

const ctx = quietContext;

/** Every blob of every index file, with its pack. */
async function indexEntries(repo: Repository): Promise<(PackEntry & { packId: string })[]> {
  const out: (PackEntry & { packId: string })[] = [];
  for (const name of await repo.listIndexFiles()) {
    for (const p of await repo.readIndexFile(name)) for (const e of p.entries) out.push({ ...e, packId: p.packId });
  }
  return out;
}

function packPath(repoDir: string, packId: string): string {
  return join(repoDir, 'data', packId.slice(0, 2), packId);
}

async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] ^= 0x40;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

describe('checkRepository', () => {
  // What app check records about damaged snapshots stays out of this host's cache directory.
  const cacheDir = process.env.ENVSNAP_CACHE_DIR;
  before(() => {
    process.env.ENVSNAP_CACHE_DIR = 'off';
  });
  after(() => {
    if (cacheDir === undefined) delete process.env.ENVSNAP_CACHE_DIR;
    else process.env.ENVSNAP_CACHE_DIR = cacheDir;
  });

  let fx: TempRepo;
  let tmp: string;
  let repoDir: string;
  let src: string;
  let repo: Repository;

  beforeEach(async () => {
    fx = await tempRepo('check');
    ({ dir: tmp, repoDir, repo } = fx);
    src = join(tmp, 'src');
    await writeFiles(src, {
      'small.txt': 'hello, world\n',
      'random.bin': randomBytes(300 * 1024),
      'sub/deeper/notes.md': '# notes\n'.repeat(200),
      'sub/other.bin': randomBytes(20 * 1024),
    });
    await createSnapshot(ctx, repo, { root: src });
  });

  afterEach(() => fx.dispose());

  it('is clean on a fresh repository, with and without reading data', async () => {
    const plain = await check(ctx, repo, { readData: false });
    assert.deepEqual(plain.errors, []);
    assert.deepEqual(plain.warnings, []);
    assert.equal(plain.stats.snapshots, 1);
    assert.equal(plain.stats.packs, 2, 'a data pack and a tree pack');
    assert.equal(plain.stats.indexFiles, 1);
    assert.equal(plain.stats.trees, 3, 'root, sub, sub/deeper');
    assert.equal(plain.stats.unusedBlobs, 0);
    assert.equal(plain.stats.readPacks, 0);

    const full = await check(ctx, repo, { readData: { subsetPercent: 100 } });
    assert.deepEqual(full.errors, []);
    assert.deepEqual(full.warnings, []);
    assert.equal(full.stats.readPacks, 2);
  });

  it('reads at least one pack for a small subset', async () => {
    const r = await checkRepository(repo, { readData: { subsetPercent: 1 }, logger: silentLogger });
    assert.equal(r.stats.readPacks, 1);
    await assert.rejects(checkRepository(repo, { readData: { subsetPercent: 0 }, logger: silentLogger }), /out of range/);
  });

  it('finds a flipped byte in a data blob only with --read-data, naming the pack', async () => {
    const entry = (await indexEntries(repo)).find((e) => e.type === BlobType.data && e.length > 1000)!;
    await flipByte(packPath(repoDir, entry.packId), entry.offset + Math.floor(entry.length / 2));

    const plain = await check(ctx, repo, { readData: false });
    assert.deepEqual(plain.errors, [], 'structure is intact');
    assert.deepEqual(plain.damagedSnapshots, []);

    const full = await check(ctx, repo, { readData: { subsetPercent: 100 } });
    assert.deepEqual(full.damagedSnapshots, [
      { id: (await listSnapshotIds(repo))[0], detail: `data blob ${shortId(entry.id.toString('hex'))} is damaged in pack ${shortId(entry.packId)}`, byReadingData: true },
    ]);
    assert.equal(full.errors.length, 1, full.errors.join('\n'));
    assert.match(full.errors[0], new RegExp(`pack ${shortId(entry.packId)}`));
    assert.match(full.errors[0], new RegExp(`blob ${shortId(entry.id.toString('hex'))}`));
    assert.match(full.errors[0], /snapshot:delete/);
  });

  it('reports a damaged tree with the plain check', async () => {
    const tree = (await indexEntries(repo)).find((e) => e.type === BlobType.tree)!;
    await flipByte(packPath(repoDir, tree.packId), tree.offset + Math.floor(tree.length / 2));
    const r = await check(ctx, repo, { readData: false });
    assert.ok(r.errors.length >= 1);
    assert.ok(r.errors.some((e) => e.includes(`tree ${shortId(tree.id.toString('hex'))}`)), r.errors.join('\n'));
  });

  it('reports a deleted pack with the plain check', async () => {
    const [packId] = [...(await repo.listPacks()).keys()];
    await unlink(packPath(repoDir, packId));
    const r = await check(ctx, repo, { readData: false });
    assert.ok(r.errors.some((e) => e.includes(`pack ${shortId(packId)} is listed in the index but missing`)), r.errors.join('\n'));
    assert.deepEqual(
      r.damagedSnapshots.map((d) => [d.id, d.byReadingData]),
      [[(await listSnapshotIds(repo))[0], false]],
    );
    assert.match(r.damagedSnapshots[0].detail, new RegExp(`is in pack ${shortId(packId)}, which is missing$`));
  });

  it('reports a truncated pack with the plain check', async () => {
    const [[packId, size]] = [...(await repo.listPacks())];
    const fh = await open(packPath(repoDir, packId), 'r+');
    await fh.truncate(size - 100);
    await fh.close();
    const r = await check(ctx, repo, { readData: false });
    assert.ok(r.errors.some((e) => e.includes(`pack ${shortId(packId)}`) && e.includes('truncated')), r.errors.join('\n'));
  });

  it('reports a damaged index file', async () => {
    const [name] = await repo.listIndexFiles();
    await flipByte(join(repoDir, name), 20);
    const r = await check(ctx, repo, { readData: false });
    assert.ok(r.errors.some((e) => e.startsWith(`index file ${shortId(name.slice(6))}`)), r.errors.join('\n'));
  });

  it('treats a pack no index lists as a warning, not an error', async () => {
    const data = randomBytes(5000);
    const id = blobId(repo.blobKeys.ids, BlobType.data, data);
    const { data: sealed, flags } = await repo.workers().seal(BlobType.data, id, Buffer.from(data));
    let orphan = '';
    const writer = new PackWriter(repo.store, repo.master.encrypt, repo.config.packSize, (packId) => {
      orphan = packId;
    });
    await writer.add(BlobType.data, id, flags, data.length, sealed);
    await writer.flush();

    const logger = new MemoryLogger();
    const r = await checkRepository(repo, { readData: { subsetPercent: 100 }, logger });
    assert.deepEqual(r.errors, []);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], new RegExp(shortId(orphan)));
    assert.match(r.warnings[0], /not in any index/);
    assert.equal(r.stats.unindexedPacks, 1);
    assert.equal(r.stats.readPacks, 3);
  });

  it('counts blobs no snapshot uses without calling them errors', async () => {
    const [id] = await listSnapshotIds(repo);
    await deleteSnapshot(repo, id);
    const r = await check(ctx, repo, { readData: false });
    assert.deepEqual(r.errors, []);
    assert.equal(r.stats.snapshots, 0);
    assert.ok(r.stats.unusedBlobs >= 5, `unused: ${r.stats.unusedBlobs}`);
  });
});

describe('walkTrees', () => {
  let fx: TempRepo;
  let tmp: string;
  let repo: Repository;

  beforeEach(async () => {
    fx = await tempRepo('walk');
    ({ dir: tmp, repo } = fx);
  });

  afterEach(() => fx.dispose());

  it('visits each tree once and returns unknown trees as problems', async () => {
    const src = join(tmp, 'src');
    await writeFiles(src, { 'a/x.txt': 'x', 'a/b/y.txt': 'y', 'c/z.txt': 'z' });
    const s1 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    await writeFiles(src, { 'c/z2.txt': 'z2' });
    const s2 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    assert.notEqual(s1.tree, s2.tree);

    const visits: string[] = [];
    const bogus = 'ab'.repeat(32);
    const r = await walkTrees(repo, [s1.tree, s2.tree, s1.tree, bogus], (id, _tree, at) => {
      visits.push(`${id}:${at.path}`);
    });
    const ids = visits.map((v) => v.split(':')[0]);
    assert.equal(new Set(ids).size, ids.length, 'no tree visited twice');
    // s1: root, a, a/b, c; s2: new root and new c, shares a and a/b.
    assert.equal(r.trees, 6);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0].kind, 'missing');
    assert.equal(r.problems[0].treeId, bogus);
    assert.ok(visits.some((v) => v.endsWith(':a/b')));
  });
});
