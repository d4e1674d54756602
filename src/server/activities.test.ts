/**
 * Activities on their own (the state database in memory, jobs the test releases): the queue per
 * environment, and cancelling an activity still waiting in it or already running.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { openStateDb } from '../state/state-db.ts';
import { Activities, type ActivityIo } from './activities.ts';

/** A job that runs until the test releases it, reporting progress (where a cancel is noticed) when released. */
function heldJob() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started = false;
  const job = async (io: ActivityIo) => {
    started = true;
    await released;
    io.progress.update({ phase: 'snapshot', files: 1, bytes: 1 });
    return { done: true };
  };
  return { job, release, started: () => started };
}

describe('Activities', () => {
  it('a queued activity cancelled ends at once, never runs, and the one ahead of it goes on', async () => {
    const activities = new Activities(openStateDb(':memory:'), new FakeClock());
    const first = heldJob();
    const second = heldJob();
    const a = activities.start({ kind: 'create', environment: 'staging', user: 'admin', wait: true, job: first.job });
    const b = activities.start({ kind: 'create', environment: 'staging', user: 'admin', wait: true, job: second.job });
    await new Promise((r) => setImmediate(r));
    assert.equal(activities.get(a.id)!.state, 'in_progress');
    assert.equal(activities.get(b.id)!.state, 'pending');

    assert.equal(activities.cancel(b.id, 'admin'), true);
    const cancelled = activities.get(b.id)!;
    assert.equal(cancelled.state, 'cancelled', 'cancelled while the first still runs');
    assert.equal(cancelled.error, 'cancelled before it started');
    assert.equal((await activities.settled(b.id)).state, 'cancelled');
    assert.equal(activities.cancel(b.id), false, 'nothing left to cancel');

    first.release();
    assert.equal((await activities.settled(a.id)).state, 'succeeded');
    await new Promise((r) => setImmediate(r));
    assert.equal(second.started(), false, 'the cancelled job never ran');
    assert.equal(activities.get(b.id)!.state, 'cancelled');
    assert.deepEqual(
      activities.log(b.id).map((l) => l.message),
      ['cancel requested by admin', 'cancelled: cancelled before it started'],
    );
  });

  it('a running activity cancelled ends cancelled when it next reports progress', async () => {
    const activities = new Activities(openStateDb(':memory:'), new FakeClock());
    const held = heldJob();
    const a = activities.start({ kind: 'create', environment: 'staging', job: held.job });
    await new Promise((r) => setImmediate(r));
    assert.equal(activities.cancel(a.id), true);
    assert.equal(activities.get(a.id)!.state, 'in_progress', 'a running job is only asked to stop');
    held.release();
    const done = await activities.settled(a.id);
    assert.equal(done.state, 'cancelled');
    assert.equal(done.error, 'cancelled: nothing of it was kept');
  });
});
