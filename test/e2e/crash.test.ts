/**
 * Crash safety end to end: the real CLI is killed with SIGKILL (kill -9) in the middle of
 * snapshot:create, snapshot:delete and prune. Afterwards no unfinished snapshot is listed, check
 * passes (leftovers are only warnings), every snapshot that exists restores byte for byte, and the
 * next run succeeds — a snapshot reusing the packs the killed one uploaded.
 *
 * The ~200 MB source tree (2000 small files and nine 20 MB files of pseudo-random data) is made once
 * for the whole file; every test has its own repository directory.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  agePacks,
  diffTrees,
  listSnapshotIds,
  packFiles,
  packsWritten,
  pseudoRandom,
  runCli,
  runJson,
  runOk,
  sleep,
  spawnCli,
  stopWhenSeen,
  tempDir,
  waitFor,
  walkTree,
  writePseudoRandomFile,
  type CompareOptions,
  type RunResult,
  type Spawned,
  type TreeEntry,
} from './helpers.ts';

const SMALL_DIRS = 20;
const SMALL_FILES = 100;
const BIG_FILES = 9;
const BIG_SIZE = 20 * 1024 * 1024;

let base: string;
let src: string;
let srcTree: Map<string, TreeEntry>;
let treeBytes: number;

const smallDir = (d: number) => `d${String(d).padStart(2, '0')}`;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'envsnap-crash-'));
  src = join(base, 'src');
  for (let d = 0; d < SMALL_DIRS; d++) {
    const dir = join(src, 'small', smallDir(d));
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < SMALL_FILES; f++) {
      const n = d * SMALL_FILES + f;
      await writeFile(join(dir, `f${f}.bin`), pseudoRandom(1024 + ((n * 7919) % 15360), `small ${n}`));
    }
  }
  await mkdir(join(src, 'big'));
  for (let i = 0; i < BIG_FILES; i++) await writePseudoRandomFile(join(src, 'big', `b${i}.bin`), BIG_SIZE, `big ${i}`);
  srcTree = await walkTree(src);
  treeBytes = [...srcTree.values()].reduce((n, e) => n + (e.type === 'file' ? Number(e.size) : 0), 0);
});

after(() => rm(base, { recursive: true, force: true }));

/** The source entries at or below the given snapshot paths (and the directories leading to them). */
function under(...paths: string[]): (rel: string) => boolean {
  return (rel) => paths.some((p) => rel === p || rel.startsWith(`${p}/`) || p.startsWith(`${rel}/`));
}

/**
 * Waits for `trigger`, then kill -9; returns how the child ended and whether the kill came first.
 * `trigger` gets `exited`, which turns true when the child ends by itself: its polling must stop then.
 */
async function killWhen(sp: Spawned, trigger: (exited: () => boolean) => Promise<void>): Promise<{ result: RunResult; killed: boolean }> {
  let exited = false;
  void sp.done.then(() => (exited = true));
  await Promise.race([trigger(() => exited), sp.done]);
  if (!exited) sp.child.kill('SIGKILL');
  const result = await sp.done;
  return { result, killed: result.signal === 'SIGKILL' };
}

/** Names of the objects under repo/<folder> (not temp files), for noticing that a command has started changing things. */
async function objectNames(repo: string, folder: string): Promise<string[]> {
  try {
    return (await readdir(join(repo, folder), { recursive: true })).filter((n) => /[0-9a-f]{64}$/.test(n)).sort();
  } catch {
    return [];
  }
}

/**
 * Tree comparisons of one test, asserted together at its end (assertAllEqual), so a restore that
 * differs (say, only in metadata) does not hide whether the rest of the crash scenario holds.
 */
class TreeChecks {
  private readonly problems: string[] = [];
  async compare(label: string, expected: string | Map<string, TreeEntry>, actual: string, opts: CompareOptions = {}): Promise<void> {
    const diffs = await diffTrees(expected, actual, opts);
    if (diffs.length > 0) this.problems.push(`${label}: ${diffs.length} difference(s):\n    ${diffs.slice(0, 8).join('\n    ')}`);
  }
  assertAllEqual(): void {
    assert.deepEqual(this.problems, [], `restored trees differ from the source:\n  ${this.problems.join('\n  ')}`);
  }
}

/** check must pass: exit 0 whatever it warns about. */
async function assertCheckPasses(repo: string, when: string): Promise<void> {
  const r = await runCli(['check'], { repo });
  assert.equal(r.code, 0, `check failed ${when}:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^error:/m, `check printed an error ${when}`);
}

describe('kill -9 during snapshot:create', { concurrency: 1 }, () => {
  // Moments by the clock (a fast machine may finish before the later ones: then the run must simply
  // have succeeded) and by progress (always mid-way: most of the tree is still to be read).
  const moments: { label: string; ms?: number; packs?: number }[] = [
    { label: 'after 300 ms', ms: 300 },
    { label: 'after 800 ms', ms: 800 },
    { label: 'after 1500 ms', ms: 1500 },
    { label: 'right after its first pack is written', packs: 1 },
    { label: 'after its fifth pack (about 80 of 200 MB)', packs: 5 },
  ];
  for (const m of moments) {
    it(`leaves a consistent, resumable repository when killed ${m.label}`, async (t) => {
      const dir = await tempDir(t);
      const repo = join(dir, 'repo');
      const trees = new TreeChecks();
      await runOk(['init'], { repo });
      // An earlier snapshot that must survive.
      const earlier = await runJson<{ snapshotId: string }>(['snapshot:create', 'small/d00'], { repo, cwd: src });
      const packsBefore = new Set((await packFiles(repo)).map((p) => p.name));
      const newPacks = async () => (await packFiles(repo)).filter((p) => !packsBefore.has(p.name));

      const sp = spawnCli(['--json', 'snapshot:create'], { repo, cwd: src });
      const { result, killed } = await killWhen(sp, async (exited) => {
        if (m.ms !== undefined) await sleep(m.ms);
        else await stopWhenSeen(sp, packsWritten(repo, packsBefore.size + m.packs!), `pack ${m.packs}`, 120_000);
      });
      const killedPacks = await newPacks();
      const killedPackBytes = killedPacks.reduce((n, p) => n + p.size, 0);
      const expected = [earlier.snapshotId];
      if (m.packs !== undefined) {
        assert.ok(killed, `the snapshot finished before the kill (exit ${result.code}) although it was triggered mid-way\n${result.stderr}`);
        assert.ok(killedPacks.length >= m.packs);
      }
      if (killed) {
        t.diagnostic(`killed run left ${killedPacks.length} pack(s), ${killedPackBytes} bytes`);
      } else {
        assert.equal(result.code, 0, `the snapshot failed by itself:\n${result.stderr}`);
        expected.push((JSON.parse(result.stdout) as { snapshotId: string }).snapshotId);
        t.diagnostic(`the snapshot finished before ${m.label}: checking a completed run instead`);
      }

      const listed = await listSnapshotIds(repo);
      if (killed && listed.length === 2 && listed[0] === earlier.snapshotId) {
        // Killed after its manifest was written (the commit) but before it exited: then the snapshot
        // is complete, and it has to prove it by restoring whole.
        t.diagnostic('killed after the manifest was written: the snapshot must be complete');
        const t0 = join(dir, 'committed');
        await runOk(['snapshot:restore', listed[1], '--target', t0], { repo });
        await trees.compare('the snapshot committed before the kill', srcTree, t0);
        expected.push(listed[1]);
      }
      assert.deepEqual(listed, expected, killed ? 'an unfinished snapshot is listed' : 'the finished snapshot is not listed');
      await assertCheckPasses(repo, 'after the kill');
      const t1 = join(dir, 'earlier');
      await runOk(['snapshot:restore', earlier.snapshotId, '--target', t1], { repo });
      await trees.compare('the earlier snapshot', join(src, 'small', 'd00'), join(t1, 'small', 'd00'));

      // The next run succeeds and reuses what the killed run uploaded.
      const next = await runJson<{ snapshotId: string; summary: { addedBytes: number; files: number } }>(['snapshot:create'], { repo, cwd: src });
      assert.equal(next.summary.files, SMALL_DIRS * SMALL_FILES + BIG_FILES);
      if (killedPackBytes > 0) {
        assert.ok(next.summary.addedBytes < treeBytes, `the next run added ${next.summary.addedBytes} bytes of a ${treeBytes}-byte tree: nothing reused`);
        // Random data does not compress: the killed run's packs hold about their size in reusable data.
        const slack = 1024 * 1024;
        assert.ok(
          next.summary.addedBytes <= treeBytes + slack - 0.9 * killedPackBytes,
          `the next run added ${next.summary.addedBytes} bytes although ${killedPackBytes} bytes of packs were already uploaded`,
        );
      }
      assert.deepEqual(await listSnapshotIds(repo), [...expected, next.snapshotId]);
      const t2 = join(dir, 'next');
      await runOk(['snapshot:restore', next.snapshotId, '--target', t2], { repo });
      await trees.compare('the resumed snapshot', srcTree, t2);
      await assertCheckPasses(repo, 'after the resumed snapshot');
      trees.assertAllEqual();
    });
  }
});

describe('kill -9 during snapshot:delete', () => {
  it('deletes each snapshot wholly or not at all; the rest restore identically', async (t) => {
    const dir = await tempDir(t);
    const repo = join(dir, 'repo');
    const trees = new TreeChecks();
    await runOk(['init'], { repo });
    const ids: string[] = [];
    const pathOf = new Map<string, string>();
    for (let d = 0; d < 6; d++) {
      const s = await runJson<{ snapshotId: string }>(['snapshot:create', `small/${smallDir(d)}`], { repo, cwd: src });
      ids.push(s.snapshotId);
      pathOf.set(s.snapshotId, `small/${smallDir(d)}`);
    }
    const keep = ids.slice(4);
    let pending = ids.slice(0, 4);
    // The whole command takes a few hundred ms, most of it start-up and key derivation.
    const moments: { label: string; ms?: number; lock?: boolean }[] = [
      { label: 'after 150 ms', ms: 150 },
      { label: 'as soon as it holds its lock', lock: true },
      { label: 'when the first manifest is gone' },
    ];
    for (const m of moments) {
      if (pending.length === 0) break;
      const manifests = await objectNames(repo, 'snapshots');
      const sp = spawnCli(['snapshot:delete', ...pending], { repo });
      const { result, killed } = await killWhen(sp, async (exited) => {
        if (m.ms !== undefined) await sleep(m.ms);
        else if (m.lock) await waitFor(async () => exited() || (await objectNames(repo, 'locks')).length > 0, 'delete to take its lock', 60_000, 1);
        else await waitFor(async () => exited() || (await objectNames(repo, 'snapshots')).length < manifests.length, 'a manifest to be deleted', 60_000, 1);
      });
      t.diagnostic(`delete ${m.label}: ${killed ? 'killed' : `finished with exit ${result.code}`}`);
      if (!killed) assert.equal(result.code, 0, result.stderr);
      const listed = await listSnapshotIds(repo);
      for (const id of keep) assert.ok(listed.includes(id), `snapshot ${id.slice(0, 8)} that was not being deleted is gone`);
      for (const id of listed) assert.ok(ids.includes(id));
      if (!killed) assert.deepEqual(listed, keep);
      await assertCheckPasses(repo, `after snapshot:delete was killed ${m.label}`);
      for (const id of listed) {
        const target = join(dir, `restore-${m.label.replace(/\W+/g, '-')}-${id.slice(0, 8)}`);
        await runOk(['snapshot:restore', id, '--target', target], { repo });
        await trees.compare(`snapshot ${id.slice(0, 8)} after a kill ${m.label}`, srcTree, target, { only: under(pathOf.get(id)!) });
      }
      pending = pending.filter((id) => listed.includes(id));
    }
    if (pending.length > 0) await runOk(['snapshot:delete', ...pending], { repo });
    assert.deepEqual(await listSnapshotIds(repo), keep);
    await runOk(['prune'], { repo });
    await assertCheckPasses(repo, 'after the deletes and a prune');
    for (const id of keep) {
      const target = join(dir, `final-${id.slice(0, 8)}`);
      await runOk(['snapshot:restore', id, '--target', target], { repo });
      await trees.compare(`snapshot ${id.slice(0, 8)} at the end`, srcTree, target, { only: under(pathOf.get(id)!) });
    }
    trees.assertAllEqual();
  });
});

describe('kill -9 during prune', () => {
  it('leaves every remaining snapshot restorable and check clean, and the next prune finishes', async (t) => {
    const dir = await tempDir(t);
    const trees = new TreeChecks();
    const base = join(dir, 'base');
    await runOk(['init'], { repo: base });
    // One run stores b0, b1, b2 and all small files in shared packs; the kept snapshot uses only
    // b1 and small/d00, so prune has whole packs to delete and partly used packs to repack.
    const all = await runJson<{ snapshotId: string }>(['snapshot:create', 'big/b0.bin', 'big/b1.bin', 'big/b2.bin', 'small'], { repo: base, cwd: src });
    const keepPaths = ['big/b1.bin', 'small/d00'];
    const kept = await runJson<{ snapshotId: string }>(['snapshot:create', ...keepPaths], { repo: base, cwd: src });
    await runOk(['snapshot:delete', all.snapshotId], { repo: base });
    const packBytesBefore = (await packFiles(base)).reduce((n, p) => n + p.size, 0);

    const moments: { label: string; afterLockMs?: number; firstChange?: boolean }[] = [
      { label: 'as soon as it holds its lock', afterLockMs: 0 },
      { label: '150 ms after taking its lock', afterLockMs: 150 },
      { label: '400 ms after taking its lock', afterLockMs: 400 },
      { label: 'at its first change to data/ or index/', firstChange: true },
    ];
    let killedMidway = 0;
    for (const m of moments) {
      const repo = join(dir, `repo-${moments.indexOf(m)}`);
      await cp(base, repo, { recursive: true });
      const data0 = (await objectNames(repo, 'data')).join();
      const index0 = (await objectNames(repo, 'index')).join();
      const sp = spawnCli(['prune'], { repo });
      const { result, killed } = await killWhen(sp, async (exited) => {
        if (m.firstChange) {
          const changed = async () => (await objectNames(repo, 'data')).join() !== data0 || (await objectNames(repo, 'index')).join() !== index0;
          await waitFor(async () => exited() || (await changed()), 'prune to change something', 120_000, 1);
        } else {
          await waitFor(async () => exited() || (await objectNames(repo, 'locks')).length > 0, 'prune to take its lock', 120_000, 1);
          await sleep(m.afterLockMs!);
        }
      });
      t.diagnostic(`prune ${m.label}: ${killed ? 'killed' : `finished with exit ${result.code}`}`);
      if (killed) killedMidway++;
      else assert.equal(result.code, 0, result.stderr);

      assert.deepEqual(await listSnapshotIds(repo), [kept.snapshotId]);
      await assertCheckPasses(repo, `after prune was killed ${m.label}`);
      const t1 = join(dir, `restore-${moments.indexOf(m)}`);
      await runOk(['snapshot:restore', kept.snapshotId, '--target', t1], { repo });
      await trees.compare(`after prune was killed ${m.label}`, srcTree, t1, { only: under(...keepPaths) });

      // The next prune, once the leftovers are older than prune.unreferenced-min-age, finishes the job.
      await runOk(['unlock'], { repo });
      await agePacks(repo, 3 * 3600_000);
      await runOk(['prune'], { repo });
      await assertCheckPasses(repo, `after prune ran again`);
      const t2 = join(dir, `restore-final-${moments.indexOf(m)}`);
      await runOk(['snapshot:restore', kept.snapshotId, '--target', t2], { repo });
      await trees.compare(`after prune ran again (${m.label})`, srcTree, t2, { only: under(...keepPaths) });
      const packBytesAfter = (await packFiles(repo)).reduce((n, p) => n + p.size, 0);
      assert.ok(packBytesAfter < packBytesBefore - 2 * BIG_SIZE, `prune reclaimed only ${packBytesBefore - packBytesAfter} bytes`);
      await rm(repo, { recursive: true, force: true });
    }
    // At least the change-triggered kill must have hit a prune at work, or nothing was tested.
    assert.ok(killedMidway > 0, 'prune finished before every kill: nothing was interrupted');
    trees.assertAllEqual();
  });
});
