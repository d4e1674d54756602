/**
 * `startServer` with its scheduler, over a real socket: a schedule that comes due takes an automatic
 * snapshot as an activity of kind scheduled, the snapshot is listed, and an expire activity follows
 * it, queued behind a manual snapshot that started meanwhile; a schedule changed through the API
 * restarts the loop with the new runs. The clock is the real one moved forward, so a cron run "every
 * minute" comes due a second or two after the test asks for it. The scheduled run on staging takes
 * maintenance mode, whose on-command holds it until the test has queued the manual snapshot.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { MemoryLogger } from '../core/logger.ts';
import { serverFixture, type ServerFixture } from '../testing/server-fixture.ts';
import { startServer, type RunningServer } from './server.ts';

const MINUTE = 60_000;
const EVERY_MINUTE = { cron: '* * * * *', timezone: 'UTC' };

interface Act {
  id: string;
  kind: string;
  user: string | null;
  state: string;
  params: { schedule?: string };
  result: { snapshotId?: string } | null;
  startedAt: number | null;
  finishedAt: number | null;
}

describe('the server runs its schedules', () => {
  let shift = 0;
  const clock: Clock = { now: () => Date.now() + shift };
  /** Moves the clock forward so that the next whole minute is `ms` away. */
  const minuteIn = (ms: number) => {
    const now = clock.now();
    const boundary = Math.ceil((now + ms + 1) / MINUTE) * MINUTE;
    shift += boundary - ms - now;
  };
  let f: ServerFixture;
  let server: RunningServer;
  const logger = new MemoryLogger();

  const api = async <T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${f.tokens.admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const activities = async (env: string) => (await api<Act[]>('GET', `/activities?environment=${env}&limit=200`)).body;
  const waitFor = async <T>(what: string, pred: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await pred();
      if (v !== undefined) return v;
      if (Date.now() > until) assert.fail(`timed out waiting for ${what}; server log:\n${logger.lines.map((l) => l.message).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const finished = (a: Act | undefined) => (a && (a.state === 'succeeded' || a.state === 'failed' || a.state === 'cancelled') ? a : undefined);

  before(async () => {
    f = await serverFixture({ clock, automatic: true, hold: 'staging' });
    await f.ops.setSchedule('staging', { id: 'every-minute', schedule: EVERY_MINUTE });
    minuteIn(3000);
    server = await startServer({ project: f.ops.project, repo: f.repo, clock, logger, listen: '127.0.0.1:0', stateFile: join(f.dir, 'state.db') });
  });
  after(async () => {
    await server?.stop();
    await f?.dispose();
  });

  it('takes the due snapshot as a scheduled activity, lists it, and expires after it (queued behind a manual snapshot)', async () => {
    await f.hold!.started();
    const running = (await activities('staging')).find((a) => a.kind === 'scheduled');
    assert.ok(running, 'no scheduled activity while its snapshot is held');
    assert.equal(running.state, 'in_progress');
    assert.equal(running.user, null);
    assert.equal(running.params.schedule, 'every-minute');
    // A manual snapshot queued while the scheduled one runs: the expire that follows the scheduled
    // run must wait for it rather than be refused as busy.
    const manual = await api<{ activityId: string }>('POST', '/environments/staging/snapshots', { live: true, wait: true });
    assert.equal(manual.status, 202);
    assert.equal((await activities('staging')).find((a) => a.id === manual.body.activityId)?.state, 'pending');
    await f.hold!.release();
    const expire = await waitFor('the expire after the scheduled run', async () => finished((await activities('staging')).find((a) => a.kind === 'expire')));
    const acts = await activities('staging');
    const scheduled = acts.find((a) => a.id === running.id)!;
    assert.equal(scheduled.state, 'succeeded');
    assert.equal(expire.state, 'succeeded', JSON.stringify(expire));
    assert.equal(expire.user, null);
    assert.ok(expire.startedAt! >= scheduled.finishedAt!, 'the expire ran after the scheduled snapshot');
    const snapshotId = scheduled.result!.snapshotId!;
    const listed = (await api<{ id: string; trigger: string; automated: boolean }[]>('GET', '/environments/staging/snapshots')).body.find((s) => s.id === snapshotId);
    assert.ok(listed, 'the scheduled snapshot is listed');
    assert.equal(listed.trigger, 'automatic');
    const schedules = (await api<{ schedules: { id: string; lastRun: unknown }[] }>('GET', '/environments/staging/schedules')).body;
    assert.deepEqual(schedules.schedules.map((s) => s.id), ['every-minute']);
    await waitFor('the manual snapshot', async () => finished((await activities('staging')).find((a) => a.id === manual.body.activityId)));
  });

  it('changing the schedules through the API restarts the loop with the new runs only', async () => {
    const staging = async () => (await activities('staging')).filter((a) => a.kind === 'scheduled').length;
    const before = await staging();
    assert.equal((await api('DELETE', '/environments/staging/schedules/every-minute')).status, 200);
    minuteIn(3000);
    const set = await api('PUT', '/environments/production/schedules/fresh', { schedule: EVERY_MINUTE, live: true });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const run = await waitFor('the new schedule to run', async () => finished((await activities('production')).find((a) => a.kind === 'scheduled')));
    assert.equal(run.state, 'succeeded', JSON.stringify(run));
    assert.equal(run.params.schedule, 'fresh');
    // A minute boundary has passed since the removed schedule's last run: were it still in the
    // loop, it would have been made up at the restart.
    assert.equal(await staging(), before, 'the removed schedule did not run again');
  });
});
