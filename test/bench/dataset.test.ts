/**
 * The benchmark's data set: a run changes it, the next run changes it back in place — the same files
 * with their generated content, the same inodes (no mass deletion before the timed phases).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyChange, datasetSpec, ensureDataset } from '../../bench/dataset.ts';
import { tempDir } from '../e2e/helpers.ts';

/** Relative path → { sha256, ino } of every file below `root`. */
function listing(root: string): Map<string, { sha256: string; ino: number }> {
  const out = new Map<string, { sha256: string; ino: number }>();
  for (const rel of readdirSync(root, { recursive: true }) as string[]) {
    const st = lstatSync(join(root, rel));
    if (st.isFile()) out.set(rel, { sha256: createHash('sha256').update(readFileSync(join(root, rel))).digest('hex'), ino: st.ino });
  }
  return out;
}

/** Relative paths of the folders below `root`, sorted. */
function folders(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).filter((rel) => lstatSync(join(root, rel)).isDirectory()).sort();
}

describe('benchmark data set', () => {
  it('a changed data set is changed back in place: same content, same files, no new inodes', async (t) => {
    const dir = join(await tempDir(t), 'data');
    const spec = datasetSpec(0.01);
    const quiet = () => {};
    const first = ensureDataset(dir, spec, quiet);
    assert.equal(first.reused, false);
    const pristine = listing(dir);
    const dirs = folders(dir);

    const change = applyChange(dir, spec);
    assert.ok(change.mediaAdded > 0 && change.mediaRewritten > 0 && change.logsAppended > 0);
    const changed = listing(dir);
    assert.equal(changed.size, pristine.size + change.mediaAdded);
    assert.ok([...pristine].some(([rel, f]) => changed.get(rel)?.sha256 !== f.sha256), 'the change changed nothing');

    const again = ensureDataset(dir, spec, quiet);
    assert.equal(again.reused, true);
    assert.deepEqual({ files: again.files, bytes: again.bytes }, { files: first.files, bytes: first.bytes });
    const reverted = listing(dir);
    assert.deepEqual([...reverted.keys()].sort(), [...pristine.keys()].sort());
    for (const [rel, f] of pristine) {
      assert.equal(reverted.get(rel)!.sha256, f.sha256, `${rel} did not get its generated content back`);
      // The dump is edited through a renamed copy; every other file keeps its inode.
      if (!rel.endsWith('.sql')) assert.equal(reverted.get(rel)!.ino, f.ino, `${rel} was replaced, not rewritten`);
    }
    assert.deepEqual(folders(dir), dirs, 'folders made by the change were left (or others removed)');
  });
});
