/**
 * `envsnap scheduler` through the real CLI: a daily schedule whose run was missed while the scheduler
 * was not running (the run history says it was first seen two days ago) runs at start-up; the
 * snapshot is listed as Automated (taken as the schedule says: live, without pub/media), expire runs after it (a manual snapshot beyond max_count is gone),
 * and SIGTERM ends the scheduler with exit code 130, no lock left and the run recorded as ok.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { lockFiles, runJson, runOk, spawnCli, tempDir, waitFor, type Spawned } from './helpers.ts';

const DAY = 24 * 3_600_000;

const config = (maxCount: string) => `project: shop
repository: repo
environments:
  production:
    type: production
    plan: pro
    root: shop
    mounts: [var, pub/media]
    policy: { manual: { allowed: true, max_count: ${maxCount} } }
`;

interface Listed {
  id: string;
  automated: boolean | null;
  live: boolean | null;
  type: string;
  expires: string | null;
}

/** Starts the scheduler; `output()` is what it has logged so far (stdout and stderr). */
function startScheduler(dir: string): Spawned & { output(): string } {
  const running = spawnCli(['scheduler'], { cwd: dir });
  let text = '';
  running.child.stdout!.on('data', (b: Buffer) => (text += b.toString('utf8')));
  running.child.stderr!.on('data', (b: Buffer) => (text += b.toString('utf8')));
  return { ...running, output: () => text };
}

async function stopScheduler(running: Spawned): Promise<void> {
  running.child.kill('SIGTERM');
  const r = await running.done;
  assert.equal(r.code, 130, `the scheduler ends on SIGTERM with exit code 130:\n${r.stderr}`);
}

describe('envsnap scheduler (CLI)', () => {
  it('runs a missed run at start-up, lists it as automated, expires after it, and stops on SIGTERM', async (t) => {
    const dir = await tempDir(t);
    await writeFiles(join(dir, 'shop'), { 'var/import/a.csv': 'a,b\n', 'pub/media/logo.png': 'png' });
    await writeFile(join(dir, 'envsnap.yaml'), config('null'));
    await runOk(['init'], { cwd: dir });
    const m1 = await runJson(['-e', 'production', 'snapshot:create'], { cwd: dir });
    const m2 = await runJson(['-e', 'production', 'snapshot:create'], { cwd: dir });
    // A stricter policy: the older manual snapshot is expired, and stays in the repository until expire runs.
    await writeFile(join(dir, 'envsnap.yaml'), config('1'));
    assert.deepEqual((await runJson<Listed[]>(['snapshot:list'], { cwd: dir })).map((x) => x.expires === 'expired'), [true, false], 'max_count 1 expires the older manual snapshot');
    await runOk(['-e', 'production', 'schedule:set', '--daily', '--at', '00:00', '--timezone', 'UTC', '--live', '--exclude-media', '--id', 'nightly'], { cwd: dir });

    // A first start records when the schedule was first seen; nothing is due yet.
    const first = startScheduler(dir);
    await waitFor(() => /scheduler started/.test(first.output()), 'the scheduler to start');
    await stopScheduler(first);
    assert.equal((await runJson<Listed[]>(['snapshot:list'], { cwd: dir })).length, 2, 'no run was due');

    // As if the machine had been off since two days ago: that day's 00:00 run was missed.
    const db = new DatabaseSync(join(dir, '.envsnap', 'state', 'server.db'));
    const seen = db.prepare("UPDATE schedule_runs SET record = json_set(record, '$.seenAt', ?) WHERE environment = 'production' AND schedule = 'nightly'").run(Date.now() - 2 * DAY);
    db.close();
    assert.equal(seen.changes, 1, 'the first start recorded the schedule');

    const second = startScheduler(dir);
    await waitFor(() => /production: expired 1 snapshot\(s\)/.test(second.output()), 'expire after the scheduled snapshot', 120_000, 50);
    const log = second.output();
    assert.match(log, /production nightly: the run due \S+T00:00:00\.000Z was missed: running it now/);
    assert.match(log, /production nightly: scheduled snapshot [0-9a-f]{8} finished/);
    await stopScheduler(second);

    const list = await runJson<Listed[]>(['snapshot:list'], { cwd: dir });
    assert.deepEqual(
      list.map((x) => [x.id === m2.snapshotId ? 'manual' : x.id === m1.snapshotId ? 'expired manual' : 'new', x.automated]),
      [['manual', false], ['new', true]],
      'the expired manual snapshot is gone; the scheduled one is automated',
    );
    assert.deepEqual([list[1].live, list[1].type], [true, 'system (no media)'], 'taken live and without pub/media, as the schedule says');
    assert.equal(list[0].type, 'system');
    assert.deepEqual(await lockFiles(join(dir, 'repo')), [], 'no lock is left');
    const rows = await runJson<{ environment: string; id: string; last?: { result?: string; snapshotId?: string } }[]>(['schedule:list'], { cwd: dir });
    assert.deepEqual(
      rows.map((r) => [r.environment, r.id, r.last?.result, r.last?.snapshotId]),
      [['production', 'nightly', 'ok', list[1].id]],
      'the run is recorded as ok, with its snapshot',
    );
  });
});
