/**
 * Prune while another process writes, with real processes on a local repository: a snapshot:create
 * is stopped (SIGSTOP, as a suspended VM or process would be) right after its first pack, for longer
 * than the repository's lock.stale-age (set short with repo:settings); a prune then runs past its
 * stale lock. The prune keeps the stalled writer's packs, which no index lists yet and which are
 * younger than prune.unreferenced-min-age; the writer, continued, refuses to commit (exit code 11);
 * check is clean and the earlier snapshot restores byte-identical.
 */
import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertTreesEqual, listSnapshotIds, packFiles, packsWritten, runJson, runOk, sleep, spawnCli, stopWhenSeen, tempDir, writePseudoRandomFile } from './helpers.ts';

const STALE_AGE_S = 4;

describe('prune while a snapshot is stalled', () => {
  it('the stalled writer refuses to commit, its packs survive the prune, check is clean and the earlier snapshot restores', async (t) => {
    const dir = await tempDir(t);
    const repo = join(dir, 'repo');
    await runOk(['init'], { repo });
    const settings = ['lock.clock-skew=0', 'lock.refresh-interval=1s', `lock.stale-age=${STALE_AGE_S}s`, 'prune.unreferenced-min-age=1h'];
    await runOk(['repo:settings', ...settings.flatMap((s) => ['--set', s])], { repo });
    const shown = (await runOk(['repo:settings'], { repo })).stdout;
    assert.match(shown, /^lock\.stale-age +4s +repository$/m);
    assert.match(shown, /^prune\.unreferenced-min-age +1h +repository$/m);

    const first = join(dir, 'first');
    await mkdir(first);
    await writePseudoRandomFile(join(first, 'a.bin'), 3 << 20, 'first-a');
    const s0 = await runJson<{ snapshotId: string }>(['snapshot:create'], { repo, cwd: first });

    const big = join(dir, 'big');
    await mkdir(big);
    for (let i = 0; i < 3; i++) await writePseudoRandomFile(join(big, `f${i}.bin`), 20 << 20, `big-${i}`);
    const before = new Set((await packFiles(repo)).map((p) => p.name));
    const writer = spawnCli(['snapshot:create'], { repo, cwd: big });
    t.after(() => writer.child.kill('SIGKILL'));
    assert.equal(await stopWhenSeen(writer, packsWritten(repo, before.size + 1), "the writer's first pack"), 'stopped');
    const stalled = (await packFiles(repo)).filter((p) => !before.has(p.name));
    assert.ok(stalled.length >= 1);

    await sleep(STALE_AGE_S * 1000 + 1500);
    const pruned = await runOk(['prune'], { repo });
    assert.match(pruned.stderr, /ignoring stale shared lock by snapshot .* not refreshed for \d+ s/);
    assert.match(pruned.stdout, /^kept \d+ packs no index lists: younger than prune\.unreferenced-min-age/m);
    for (const p of stalled) await stat(join(repo, p.name)); // still there: throws if deleted

    writer.child.kill('SIGCONT');
    const r = await writer.done;
    assert.equal(r.code, 11, `the stalled writer: ${r.stderr}`);
    assert.match(r.stderr, /snapshot stopped before committing: its repository lock [0-9a-f]{8} was not refreshed for \d+ s/);
    assert.deepEqual(await listSnapshotIds(repo), [s0.snapshotId], 'the refused snapshot is not listed');

    const check = await runOk(['check', '--read-data'], { repo });
    assert.match(check.stdout + check.stderr, /check found 0 error\(s\)/);
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', s0.snapshotId, '--target', target], { repo });
    await assertTreesEqual(first, target);
  });
});
