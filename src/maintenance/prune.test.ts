/**
 * prune against real repositories on disk: space is freed after a snapshot is deleted, partly used
 * packs are repacked, leftovers are removed, damage stops it before anything is deleted, and stopping
 * between any two steps (as a kill -9 would) leaves check free of errors and every snapshot restoring
 * byte-identical. The repository is reopened after each prune, as the next command would.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { systemClock } from '../core/clock.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import { blobId } from '../repo/blob.ts';
import { check, prune } from '../app/maintain.ts';
import { createSnapshot } from '../app/create-snapshot.ts';
import { restoreSnapshot } from '../app/restore-snapshot.ts';
import { BlobType } from '../repo/blob.ts';
import { PackWriter } from '../repo/pack-writer.ts';
import { Repository } from '../repo/repository.ts';
import { DEFAULT_MARGINS } from '../repo/safety-margins.ts';
import { deleteSnapshot, type Snapshot } from '../snapshot/manifest.ts';
import { FaultyStore } from '../storage/faulty/faulty-store.ts';
import { LocalStore } from '../storage/local/local-store.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';
import { deleteObsoletePacks, deleteOldIndexFiles, planPrune, pruneRepository, repackPacks, writePrunedIndex } from './prune.ts';

const ctx = quietContext;
/** A context whose clock is past the margin after which prune may delete packs no index lists. */
const afterMargin = { ...ctx, clock: { now: () => Date.now() + DEFAULT_MARGINS.unreferencedMinAgeMs + 60_000 } };

/** Every file below dir (relative path → contents). */
async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath, e.name);
    out.set(abs.slice(dir.length + 1), await readFile(abs));
  }
  return out;
}

async function sizeOnDisk(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) n += (await stat(join(e.parentPath, e.name))).size;
  return n;
}

describe('pruneRepository', () => {
  let tmp: string;
  let repoDir: string;
  const open: Repository[] = [];

  /** Opens the repository afresh, as the next command would (prune leaves a loaded index stale). */
  async function reopen(wrap?: (s: LocalStore) => LocalStore | FaultyStore): Promise<Repository> {
    const base = new LocalStore(repoDir);
    const repo = await Repository.open(wrap ? wrap(base) : base, 'pw', { clock: systemClock });
    open.push(repo);
    return repo;
  }

  /** What a user checks after a prune, from a freshly opened repository: check --read-data has no errors and the snapshot restores byte-identical. */
  async function assertHealthy(snapshot: Snapshot, expected: Map<string, Buffer>, opts: { leftovers: boolean } = { leftovers: false }): Promise<void> {
    const repo = await reopen();
    const r = await check(ctx, repo, { readData: { subsetPercent: 100 } });
    assert.deepEqual(r.errors, []);
    // Leftovers of an interrupted prune are unindexed packs: one warning, never an error.
    if (opts.leftovers) {
      assert.equal(r.warnings.length, 1, r.warnings.join('\n'));
      assert.match(r.warnings[0], /not in any index/);
    } else {
      assert.deepEqual(r.warnings, []);
    }
    const target = await mkdtemp(join(tmp, 'restore-'));
    await restoreSnapshot(ctx, repo, { snapshot: snapshot.id, target });
    const got = await readTree(target);
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    for (const [k, v] of expected) assert.ok(got.get(k)!.equals(v), `${k} restores byte-identical`);
  }

  let fx: TempRepo;

  beforeEach(async () => {
    fx = await tempRepo('prune');
    ({ dir: tmp, repoDir } = fx);
  });

  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
    await fx.dispose();
  });

  it('frees the space of a deleted snapshot and keeps the other restorable', async () => {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    await writeFiles(a, { 'one.bin': randomBytes(600 * 1024), 'two.bin': randomBytes(700 * 1024) });
    await writeFiles(b, { 'x.bin': randomBytes(200 * 1024), 'd/y.txt': 'y\n'.repeat(1000) });
    const expectedB = await readTree(b);
    let repo = await reopen();
    const sa = (await createSnapshot(ctx, repo, { root: a })).snapshot;
    const sb = (await createSnapshot(ctx, repo, { root: b })).snapshot;
    await deleteSnapshot(repo, sa.id);
    const before = await sizeOnDisk(repoDir);

    repo = await reopen();
    const stats = await prune(ctx, repo, {});
    assert.equal(stats.packsDeleted, 2, 'the data pack and the tree pack of snapshot a');
    assert.equal(stats.packsRepacked, 0);
    assert.equal(stats.packsKept, 2);
    assert.ok(stats.blobsRemoved >= 3, `blobs removed: ${stats.blobsRemoved}`);
    assert.equal(stats.indexFilesReplaced, 2);
    assert.ok(stats.bytesFreed > 1200 * 1024);
    const after = await sizeOnDisk(repoDir);
    assert.ok(after < before - 1200 * 1024, `repository shrank from ${before} to ${after}`);

    await assertHealthy(sb, expectedB);
    // Nothing more to do the second time.
    const again = await prune(ctx, await reopen(), {});
    assert.deepEqual([again.packsDeleted, again.packsRepacked, again.indexFilesReplaced], [0, 0, 0]);
  });

  it('repacks a partly used pack, and a dry run changes nothing', async () => {
    const src = join(tmp, 'src');
    await writeFiles(src, { 'gone.bin': randomBytes(400 * 1024), 'kept.bin': randomBytes(300 * 1024), 'kept.txt': 'kept\n' });
    let repo = await reopen();
    const s1 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    await unlink(join(src, 'gone.bin'));
    const s2 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    const expected = await readTree(src);
    await deleteSnapshot(repo, s1.id);

    const before = await sizeOnDisk(repoDir);
    const dry = await prune(ctx, await reopen(), { dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.equal(dry.packsRepacked, 1);
    assert.ok(dry.bytesFreed > 350 * 1024, `estimated ${dry.bytesFreed}`);
    assert.equal(await sizeOnDisk(repoDir), before, 'dry run wrote nothing');

    // Tolerating 100% unused keeps the pack.
    const lenient = await prune(ctx, await reopen(), { dryRun: true, maxUnusedPercent: 100 });
    assert.equal(lenient.packsRepacked, 0);

    repo = await reopen();
    const stats = await prune(ctx, repo, {});
    assert.equal(stats.packsRepacked, 1);
    assert.equal(stats.packsWritten, 1);
    assert.ok(stats.bytesRepacked >= 300 * 1024);
    assert.ok(stats.bytesFreed > 350 * 1024, `freed ${stats.bytesFreed}`);
    assert.ok((await sizeOnDisk(repoDir)) < before - 350 * 1024);
    await assertHealthy(s2, expected);
  });

  it('keeps a pack no index lists while it is younger than the margin, and deletes it once older', async () => {
    const src = join(tmp, 'src');
    await writeFiles(src, { 'f.txt': 'f' });
    const repo = await reopen();
    const s = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    const data = randomBytes(4000);
    const id = blobId(repo.blobKeys.ids, BlobType.data, data);
    const { data: sealed, flags } = await repo.workers().seal(BlobType.data, id, Buffer.from(data));
    const writer = new PackWriter(repo.store, repo.master.encrypt, repo.config.packSize, () => {});
    await writer.add(BlobType.data, id, flags, data.length, sealed);
    await writer.flush();
    assert.equal((await repo.listPacks()).size, 3, 'the snapshot\'s data and tree packs and the stray one');

    // Just written: it may be a snapshot's upload whose index is still to come.
    const early = await prune(ctx, await reopen(), {});
    assert.equal(early.packsDeleted, 0);
    assert.equal(early.youngPacksKept, 1);
    assert.equal((await (await reopen()).listPacks()).size, 3);

    const stats = await prune(afterMargin, await reopen(), {});
    assert.equal(stats.packsDeleted, 1);
    assert.equal(stats.unindexedPacksDeleted, 1);
    assert.equal(stats.youngPacksKept, 0);
    assert.equal(stats.indexFilesReplaced, 0, 'the index did not need rewriting');
    assert.equal((await (await reopen()).listPacks()).size, 2);
    await assertHealthy(s, await readTree(src));
  });

  it('stops before changing anything when a snapshot tree is missing', async () => {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    await writeFiles(a, { 'a.txt': 'a' });
    await writeFiles(b, { 'b.txt': 'b' });
    const repo = await reopen();
    await createSnapshot(ctx, repo, { root: a });
    const packsBefore = await repo.listPacks();
    await createSnapshot(ctx, repo, { root: b });
    // Remove the packs of snapshot b: its tree is gone, while snapshot a's packs would look prunable to a careless prune.
    for (const bPack of (await repo.listPacks()).keys()) if (!packsBefore.has(bPack)) await repo.store.delete(`data/${bPack}`);
    const indexBefore = await repo.listIndexFiles();

    await assert.rejects(prune(ctx, await reopen(), {}), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'CORRUPT'));
      assert.match(err.message, /prune stopped before changing anything: tree [0-9a-f]{8}/);
      return true;
    });
    const after = await reopen();
    assert.deepEqual([...(await after.listPacks()).keys()], [...packsBefore.keys()]);
    assert.deepEqual((await after.listIndexFiles()).sort(), indexBefore.sort());
  });

  it('a failed index write leaves every pack and snapshot in place', async () => {
    const src = join(tmp, 'src');
    await writeFiles(src, { 'gone.bin': randomBytes(300 * 1024), 'kept.bin': randomBytes(300 * 1024) });
    const repo = await reopen();
    const s1 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    await unlink(join(src, 'gone.bin'));
    const s2 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    const expected = await readTree(src);
    await deleteSnapshot(repo, s1.id);

    const faulty = new FaultyStore(new LocalStore(repoDir));
    faulty.failPut({ namePrefix: 'index/', code: 'NO_SPACE' });
    const repoF = await reopen(() => faulty);
    await assert.rejects(pruneRepository(repoF, { logger: silentLogger, clock: systemClock }), /no space/);
    assert.equal(faulty.deletes, 1, 'only the lock was deleted');
    await assertHealthy(s2, expected, { leftovers: true });
    // The next prune finishes the job: the copy the failed run wrote holds only used blobs, so it is
    // adopted into the new index instead of copied again, and the old pack goes (with s1's tree pack).
    const stats = await prune(ctx, await reopen(), {});
    assert.equal(stats.packsRepacked, 0);
    assert.equal(stats.packsWritten, 0);
    assert.equal(stats.packsDeleted, 2);
    assert.equal(stats.packsKept, 2);
    await assertHealthy(s2, expected);
  });

  for (const stopAfter of ['repack', 'index', 'unindex'] as const) {
    it(`stopping after the ${stopAfter} step leaves the repository check-clean and restorable`, async () => {
      const a = join(tmp, 'a');
      const src = join(tmp, 'src');
      await writeFiles(a, { 'a.bin': randomBytes(200 * 1024) });
      await writeFiles(src, { 'gone.bin': randomBytes(300 * 1024), 'kept.bin': randomBytes(300 * 1024), 'sub/k.txt': 'k' });
      let repo = await reopen();
      const sa = (await createSnapshot(ctx, repo, { root: a })).snapshot;
      const s1 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
      await unlink(join(src, 'gone.bin'));
      const s2 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
      const expected = await readTree(src);
      await deleteSnapshot(repo, s1.id);
      await deleteSnapshot(repo, sa.id);

      // The steps of pruneRepository, cut short as a kill -9 would.
      repo = await reopen();
      const plan = await planPrune(repo, { logger: silentLogger, clock: systemClock });
      assert.equal(plan.repack.length, 2, "s1's data pack (gone.bin) and tree pack (its root tree; the sub tree is s2's too)");
      assert.equal(plan.remove.length, 2, 'the data and tree packs of snapshot a');
      const newPacks = await repackPacks(repo, plan, { logger: silentLogger });
      if (stopAfter !== 'repack') {
        await writePrunedIndex(repo, plan, newPacks, silentLogger);
        if (stopAfter === 'unindex') await deleteOldIndexFiles(repo, plan, silentLogger);
      }
      void deleteObsoletePacks; // the step never reached

      // Between writing the new index and deleting the old ones, both index every pack: nothing is left over.
      await assertHealthy(s2, expected, { leftovers: stopAfter !== 'index' });

      // A full prune once the leftovers are older than the margin converges: nothing but the live data remains, and no warnings.
      const stats = await prune(afterMargin, await reopen(), {});
      assert.ok(stats.packsDeleted + stats.packsRepacked >= 1);
      await assertHealthy(s2, expected);
      const packs = await (await reopen()).listPacks();
      assert.equal(packs.size, 3, 'the new data and tree packs and the tree pack of s2');
    });
  }
});
