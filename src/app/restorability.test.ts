import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../storage/blob-store.ts';
import type { LocalStore } from '../storage/local/local-store.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';
import { createSnapshot } from './create-snapshot.ts';
import { listSnapshotsWithRetention } from './manage-snapshots.ts';

/** A store that counts reads of pack contents (tree loads, in a listing). */
function countingPackReads(local: LocalStore): BlobStore & { packReads: number } {
  const counted = Object.create(local) as LocalStore & { packReads: number };
  counted.packReads = 0;
  counted.getRange = (...args: Parameters<LocalStore['getRange']>) => {
    if (args[0].startsWith('data/')) counted.packReads++;
    return local.getRange(...args);
  };
  return counted;
}

describe('snapshot restorability (presence cached per repository on this host)', () => {
  let cacheDir: string;
  let fx: TempRepo<ReturnType<typeof countingPackReads>>;
  const saved = process.env.ENVSNAP_CACHE_DIR;

  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'envsnap-cache-'));
    process.env.ENVSNAP_CACHE_DIR = cacheDir;
  });
  after(async () => {
    if (saved === undefined) delete process.env.ENVSNAP_CACHE_DIR;
    else process.env.ENVSNAP_CACHE_DIR = saved;
    await rm(cacheDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fx = await tempRepo('restorable', countingPackReads);
  });
  afterEach(() => fx.dispose());

  const snap = async (name: string) => {
    await writeFiles(join(fx.dir, name), { 'a/b/c.txt': `${name} c`, 'd.txt': `${name} d` });
    return (await createSnapshot(quietContext, fx.repo, { root: join(fx.dir, name) })).snapshot;
  };
  const restorable = async () => (await listSnapshotsWithRetention(quietContext, fx.repo, undefined)).map((r) => r.notRestorable?.cause ?? 'yes');

  it('walks a snapshot once: a second listing reads no tree, a new snapshot only its own trees', async () => {
    await snap('one');
    await snap('two');
    fx.store.packReads = 0;
    assert.deepEqual(await restorable(), ['yes', 'yes']);
    const firstWalk = fx.store.packReads;
    assert.equal(firstWalk, 6, 'two snapshots of three trees each (root, a, a/b)');

    fx.store.packReads = 0;
    assert.deepEqual(await restorable(), ['yes', 'yes']);
    assert.equal(fx.store.packReads, 0, 'nothing changed: nothing is read');

    await snap('three');
    fx.store.packReads = 0;
    assert.deepEqual(await restorable(), ['yes', 'yes', 'yes']);
    assert.equal(fx.store.packReads, 3, 'only the new snapshot is walked');
  });

  it('walks every snapshot again once a pack is gone, and finds the one that needed it', async () => {
    await snap('one');
    const packsBefore = new Set((await fx.repo.listPacks()).keys());
    await snap('two');
    assert.deepEqual(await restorable(), ['yes', 'yes']);
    for (const id of (await fx.repo.listPacks()).keys()) if (!packsBefore.has(id)) await unlink(join(fx.repoDir, 'data', id.slice(0, 2), id));
    const listed = await listSnapshotsWithRetention(quietContext, fx.repo, undefined);
    assert.deepEqual(listed.map((r) => r.notRestorable?.cause ?? 'yes'), ['yes', 'data missing']);
    assert.match(listed[1].notRestorable!.detail!, /is in pack [0-9a-f]{8}, which is missing$/);
  });
});
