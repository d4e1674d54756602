/**
 * The scheduler inside the server: each scheduled run is an activity (kind scheduled, no user) that
 * queues behind a running activity of the environment, and its snapshot is listed as automated; the
 * expire that follows it queues the same way.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../policy/schedule.ts';
import type { ScheduledRun } from '../scheduler/schedules.ts';
import { serverFixture, type ServerFixture } from '../testing/server-fixture.ts';

describe('scheduled runs in the server', () => {
  let f: ServerFixture;
  before(async () => {
    f = await serverFixture();
  });
  after(() => f.dispose());

  const run: ScheduledRun = { env: 'production', id: 'nightly', schedule: parseSchedule({ frequency: 'daily', at: '02:30', timezone: 'UTC' }), live: true, backupType: 'system', source: 'schedules' };

  it('is an activity of kind scheduled, queued behind a manual one, and its snapshot is automated', async () => {
    const manual = await f.request('POST', '/environments/production/snapshots', { token: f.tokens.admin, body: { live: true } });
    assert.equal(manual.status, 202);
    const { snapshotId } = await f.ops.runScheduled(run);
    const acts = (await f.request('GET', '/activities?environment=production', { token: f.tokens.admin })).body as { id: string; kind: string; user: string | null; state: string; startedAt: number; finishedAt: number }[];
    const [scheduled, first] = acts;
    assert.equal(scheduled!.kind, 'scheduled');
    assert.equal(scheduled!.user, null);
    assert.equal(scheduled!.state, 'succeeded');
    assert.equal(first!.id, manual.body.activityId);
    assert.ok(scheduled!.startedAt >= first!.finishedAt, 'the scheduled run waited for the manual one');
    const snap = (await f.request('GET', `/environments/production/snapshots/${snapshotId}`, { token: f.tokens['viewer-prod'] })).body;
    assert.equal(snap.automated, true);
    assert.equal(snap.trigger, 'automatic');
  });

  it('the expire after a scheduled run queues behind an activity running on the environment instead of failing BUSY', async () => {
    const manual = await f.request('POST', '/environments/staging/snapshots', { token: f.tokens.admin, body: { live: true } });
    assert.equal(manual.status, 202);
    await f.ops.runScheduledExpire('staging');
    const [expire, first] = (await f.request('GET', '/activities?environment=staging', { token: f.tokens.admin })).body as { id: string; kind: string; user: string | null; state: string; startedAt: number; finishedAt: number }[];
    assert.equal(first!.id, manual.body.activityId);
    assert.equal(expire!.kind, 'expire');
    assert.equal(expire!.user, null);
    assert.equal(expire!.state, 'succeeded');
    assert.ok(expire!.startedAt >= first!.finishedAt, 'the expire waited for the manual snapshot');
  });

  it('a failed scheduled run rejects (so the scheduler retries it) and is recorded as failed', async () => {
    await assert.rejects(f.ops.runScheduled({ ...run, env: 'staging', backupType: 'db' }), /activity [0-9a-f]{16} failed: .*no databases/);
    const [a] = (await f.request('GET', '/activities?environment=staging', { token: f.tokens.admin })).body;
    assert.equal(a.kind, 'scheduled');
    assert.equal(a.state, 'failed');
    assert.match(a.error, /no databases/);
  });
});
