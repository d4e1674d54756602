/**
 * diffSnapshots on real snapshots of a directory that changes between them: added, removed, modified,
 * type-changed and metadata-only paths with their totals; nothing for identical snapshots; and unchanged
 * subtrees are skipped without being read.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createSnapshot } from '../app/create-snapshot.ts';
import { Repository } from '../repo/repository.ts';
import { FaultyStore } from '../storage/faulty/faulty-store.ts';
import { diffSnapshots } from './diff.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';

const ctx = quietContext;

describe('diffSnapshots', () => {
  let fx: TempRepo<FaultyStore>;
  let src: string;
  let store: FaultyStore;
  let repo: Repository;

  beforeEach(async () => {
    fx = await tempRepo('diff', (local) => new FaultyStore(local));
    ({ store, repo } = fx);
    src = join(fx.dir, 'src');
  });

  afterEach(() => fx.dispose());

  it('reports added, removed, modified, type-changed and metadata-only paths with totals', async () => {
    await writeFiles(src, {
      'a.txt': 'version one\n',
      'b.bin': randomBytes(3000),
      'g': 'a file that becomes a directory',
      'sub/c.txt': 'c',
      'sub/d.txt': 'd',
      'sub/e.txt': 'e',
      'old/x.txt': 'x',
      'old/y/z.txt': 'zz',
    });
    const s1 = (await createSnapshot(ctx, repo, { root: src })).snapshot;

    await writeFile(join(src, 'a.txt'), 'version two, longer\n');
    await unlink(join(src, 'b.bin'));
    await writeFile(join(src, 'new.txt'), 'new!');
    await unlink(join(src, 'g'));
    await writeFiles(src, { 'g/h.txt': 'hh', 'fresh/f.bin': randomBytes(5000) });
    await chmod(join(src, 'sub/d.txt'), 0o600);
    await utimes(join(src, 'sub/e.txt'), new Date('2020-01-01'), new Date('2020-01-01'));
    await rm(join(src, 'old'), { recursive: true });
    const s2 = (await createSnapshot(ctx, repo, { root: src })).snapshot;

    const { changes, totals } = await diffSnapshots(repo, s1, s2);
    const lines = changes.map((c) => `${c.change} ${c.path}`);
    assert.deepEqual(lines, [
      'M a.txt',
      '- b.bin',
      '+ fresh',
      '+ fresh/f.bin',
      'T g',
      '+ g/h.txt',
      '+ new.txt',
      '- old',
      '- old/x.txt',
      '- old/y',
      '- old/y/z.txt',
      'U sub/d.txt',
      'U sub/e.txt',
    ]);
    assert.deepEqual(
      changes.find((c) => c.path === 'g'),
      { change: 'T', path: 'g', type: 'dir', oldType: 'file', oldSize: 31 },
    );
    assert.equal(totals.addedFiles, 3);
    assert.equal(totals.addedBytes, 5000 + 2 + 4);
    assert.equal(totals.removedFiles, 3);
    assert.equal(totals.removedBytes, 3000 + 1 + 2);
    assert.equal(totals.modifiedFiles, 1);
    assert.equal(totals.modifiedBytes, 'version two, longer\n'.length);
    assert.equal(totals.addedDirs, 1);
    assert.equal(totals.removedDirs, 2);
    assert.equal(totals.typeChanged, 1);
    assert.equal(totals.metadataChanged, 2);

    // The other way round, additions and removals swap.
    const back = await diffSnapshots(repo, s2, s1);
    assert.equal(back.totals.addedFiles, 3);
    assert.equal(back.totals.removedFiles, 3);
    assert.ok(back.changes.some((c) => c.change === '+' && c.path === 'old/y/z.txt'));
  });

  it('finds nothing between snapshots of an unchanged directory', async () => {
    await writeFiles(src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    const s1 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    const s2 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    const { changes, totals } = await diffSnapshots(repo, s1, s2);
    assert.deepEqual(changes, []);
    assert.equal(totals.addedFiles + totals.removedFiles + totals.modifiedFiles, 0);
  });

  it('does not load subtrees that are the same in both snapshots', async () => {
    const files: Record<string, string> = { 'top.txt': 'one' };
    for (let i = 0; i < 20; i++) files[`big/dir${i}/file.txt`] = `content ${i}`;
    await writeFiles(src, files);
    const s1 = (await createSnapshot(ctx, repo, { root: src })).snapshot;
    await writeFile(join(src, 'top.txt'), 'two');
    const s2 = (await createSnapshot(ctx, repo, { root: src })).snapshot;

    await repo.loadIndex();
    store.gets = 0;
    const { changes } = await diffSnapshots(repo, s1, s2);
    assert.deepEqual(
      changes.map((c) => `${c.change} ${c.path}`),
      ['M top.txt'],
    );
    assert.equal(store.gets, 2, 'only the two root trees were read');
  });
});
