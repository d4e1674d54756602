import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { MemoryLogger } from '../core/logger.ts';
import { parseSchedule } from '../policy/schedule.ts';
import { RunHistory } from './run-history.ts';
import { MINUTE, Scheduler } from './scheduler.ts';
import type { ScheduledRun } from './schedules.ts';

const HOUR = 60 * MINUTE;
const run = (env: string, id: string, schedule: Record<string, unknown>): ScheduledRun => ({ env, id, schedule: parseSchedule(schedule), live: false, backupType: 'system', source: 'schedules' });
const AMS_DAILY = run('production', 'nightly', { frequency: 'daily', at: '02:30', timezone: 'Europe/Amsterdam' });

/** A runSnapshot fake: records calls; each call's outcome is decided by the test (resolve, reject), or immediately by `auto`. */
function fakeRunner(clock: FakeClock, auto?: (n: number) => 'ok' | Error) {
  const calls: { env: string; id: string; at: number; settle: (r: 'ok' | Error) => void }[] = [];
  let n = 0;
  const runSnapshot = (r: ScheduledRun) =>
    new Promise<{ snapshotId: string }>((resolve, reject) => {
      const i = ++n;
      const settle = (x: 'ok' | Error) => (x === 'ok' ? resolve({ snapshotId: `snap${String(i).padStart(8, '0')}` }) : reject(x));
      calls.push({ env: r.env, id: r.id, at: clock.now(), settle });
      if (auto) settle(auto(i));
    });
  return { calls, runSnapshot };
}

function setup(runs: ScheduledRun[], opts: { start: number; history?: RunHistory; auto?: (n: number) => 'ok' | Error }) {
  const clock = new FakeClock(opts.start);
  const logger = new MemoryLogger();
  const history = opts.history ?? RunHistory.memory();
  const runner = fakeRunner(clock, opts.auto ?? (() => 'ok'));
  const expired: { env: string; at: number }[] = [];
  const scheduler = new Scheduler({ clock, logger, history, runs, runSnapshot: runner.runSnapshot, expire: async (env) => void expired.push({ env, at: clock.now() }) });
  /** Jumps to the next wake-up time, ticks and waits for the runs it started. */
  const step = async () => {
    clock.set(scheduler.nextWakeAt());
    await scheduler.tick();
    await scheduler.idle();
  };
  return { clock, logger, history, runner, expired, scheduler, step };
}

describe('Scheduler', () => {
  it('runs a daily 02:30 Europe/Amsterdam schedule at the right instants across the spring DST change', async () => {
    const t = setup([AMS_DAILY], { start: Date.UTC(2026, 2, 27, 12) });
    await t.scheduler.start();
    for (let i = 0; i < 4; i++) await t.step();
    assert.deepEqual(
      t.runner.calls.map((c) => new Date(c.at).toISOString()),
      [
        '2026-03-28T01:30:00.000Z', // 02:30 CET
        '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST, when the clocks jump
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
        '2026-03-31T00:30:00.000Z',
      ],
    );
  });

  it('runs once in the repeated hour of the autumn DST change', async () => {
    const t = setup([AMS_DAILY], { start: Date.UTC(2026, 9, 24, 12) });
    await t.scheduler.start();
    for (let i = 0; i < 3; i++) await t.step();
    assert.deepEqual(
      t.runner.calls.map((c) => new Date(c.at).toISOString()),
      ['2026-10-25T00:30:00.000Z' /* 02:30 CEST, first pass only */, '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z'],
    );
  });

  it('records history and expires the environment after each successful run', async () => {
    const t = setup([AMS_DAILY], { start: Date.UTC(2026, 5, 1, 12) });
    await t.scheduler.start();
    await t.step();
    const due = Date.UTC(2026, 5, 2, 0, 30);
    assert.deepEqual(t.expired, [{ env: 'production', at: due }]);
    const rec = t.history.get('production', 'nightly')!;
    assert.equal(rec.lastScheduled, due);
    assert.equal(rec.lastStart, due);
    assert.equal(rec.lastEnd, due);
    assert.equal(rec.result, 'ok');
    assert.equal(rec.snapshotId, 'snap00000001');
    assert.equal(rec.attempts, 1);
    assert.equal(rec.error, undefined);
  });

  it('makes up a missed run once at start-up, not once per missed occurrence', async () => {
    const history = RunHistory.memory();
    // Last run a week ago; the scheduler was down since.
    await history.update('production', 'nightly', { lastScheduled: Date.UTC(2026, 5, 1, 0, 30), result: 'ok' });
    const now = Date.UTC(2026, 5, 8, 12);
    const t = setup([AMS_DAILY], { start: now, history });
    await t.scheduler.tick();
    await t.scheduler.idle();
    assert.equal(t.runner.calls.length, 1);
    assert.equal(t.runner.calls[0].at, now);
    assert.equal(t.history.get('production', 'nightly')!.lastScheduled, Date.UTC(2026, 5, 8, 0, 30), 'recorded as the latest missed occurrence');
    // Nothing more until the next occurrence.
    await t.scheduler.tick();
    assert.equal(t.runner.calls.length, 1);
    assert.equal(t.scheduler.nextWakeAt(), Date.UTC(2026, 5, 9, 0, 30));
  });

  it('does not make up a run before the schedule was ever seen, but does after', async () => {
    const history = RunHistory.memory();
    const t1 = setup([AMS_DAILY], { start: Date.UTC(2026, 5, 8, 12), history });
    await t1.scheduler.tick();
    assert.equal(t1.runner.calls.length, 0);
    assert.equal(history.get('production', 'nightly')!.seenAt, Date.UTC(2026, 5, 8, 12));
    // Restarted two days later without having run: the missed run is made up once.
    const t2 = setup([AMS_DAILY], { start: Date.UTC(2026, 5, 10, 12), history });
    await t2.scheduler.tick();
    await t2.scheduler.idle();
    assert.equal(t2.runner.calls.length, 1);
  });

  it('never overlaps runs of one environment: a run due meanwhile is skipped and recorded', async () => {
    const hourly = run('production', 'hourly', { cron: '0 * * * *', timezone: 'UTC' });
    const other = run('staging', 'hourly', { cron: '0 * * * *', timezone: 'UTC' });
    const t = setup([hourly, other], { start: Date.UTC(2026, 5, 1, 0, 30) });
    // Runs that settle only when told.
    const manual = fakeRunner(t.clock);
    const s = new Scheduler({ clock: t.clock, logger: t.logger, history: t.history, runs: [hourly, other], runSnapshot: manual.runSnapshot, expire: async () => {} });
    await s.start();
    t.clock.set(Date.UTC(2026, 5, 1, 1));
    await s.tick();
    assert.deepEqual(manual.calls.map((c) => c.env), ['production', 'staging']);
    // production's 01:00 run is still going at 02:00; staging's finished.
    manual.calls[1].settle('ok');
    // Let staging's finished run record itself (the history writes in order, asynchronously).
    await new Promise((r) => setImmediate(r));
    t.clock.set(Date.UTC(2026, 5, 1, 2));
    await s.tick();
    assert.deepEqual(manual.calls.map((c) => c.env), ['production', 'staging', 'staging']);
    const rec = t.history.get('production', 'hourly')!;
    assert.equal(rec.result, 'running');
    assert.equal(rec.skippedAt, Date.UTC(2026, 5, 1, 2));
    assert.match(rec.skipReason!, /another snapshot of production was still running/);
    assert.ok(t.logger.warnings().some((w) => /skipped/.test(w)));
    manual.calls[0].settle('ok');
    manual.calls[2].settle('ok');
    await s.idle();
    assert.equal(t.history.get('production', 'hourly')!.result, 'ok');
    // The next occurrence runs as usual.
    t.clock.set(Date.UTC(2026, 5, 1, 3));
    await s.tick();
    assert.equal(manual.calls.filter((c) => c.env === 'production').length, 2);
    for (const c of manual.calls.slice(3)) c.settle('ok');
    await s.stop();
  });

  it('retries a failed run after 1, 5 and 15 minutes, then succeeds; warns through the logger', async () => {
    const t = setup([AMS_DAILY], { start: Date.UTC(2026, 5, 1, 12), auto: (n) => (n <= 3 ? new Error(`mysql went away (${n})\nstack`) : 'ok') });
    await t.scheduler.start();
    for (let i = 0; i < 4; i++) await t.step();
    const due = Date.UTC(2026, 5, 2, 0, 30);
    assert.deepEqual(
      t.runner.calls.map((c) => (c.at - due) / MINUTE),
      [0, 1, 6, 21],
    );
    const rec = t.history.get('production', 'nightly')!;
    assert.deepEqual([rec.result, rec.attempts, rec.lastScheduled, rec.error], ['ok', 4, due, undefined]);
    assert.equal(t.expired.length, 1);
    const warnings = t.logger.warnings();
    assert.equal(warnings.length, 3);
    assert.match(warnings[0], /failed \(attempt 1\): mysql went away \(1\); retrying at 2026-06-02T00:31:00.000Z$/);
  });

  it('gives up after the last retry until the next scheduled time', async () => {
    const t = setup([AMS_DAILY], { start: Date.UTC(2026, 5, 1, 12), auto: (n) => (n <= 4 ? new Error('disk full') : 'ok') });
    await t.scheduler.start();
    for (let i = 0; i < 5; i++) await t.step();
    const due = Date.UTC(2026, 5, 2, 0, 30);
    assert.deepEqual(
      t.runner.calls.map((c) => (c.at - due) / MINUTE),
      [0, 1, 6, 21, 24 * 60],
    );
    assert.match(t.logger.warnings()[3], /failed \(attempt 4\): disk full; giving up until the next scheduled run at 2026-06-03T00:30:00.000Z/);
    const next = t.history.get('production', 'nightly')!;
    assert.deepEqual([next.result, next.attempts, next.lastScheduled], ['ok', 1, Date.UTC(2026, 5, 3, 0, 30)]);
  });

  it('an expire failure is a warning; the run stays a success', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 12));
    const logger = new MemoryLogger();
    const history = RunHistory.memory();
    const runner = fakeRunner(clock, () => 'ok');
    const s = new Scheduler({ clock, logger, history, runs: [AMS_DAILY], runSnapshot: runner.runSnapshot, expire: async () => { throw new Error('repository is locked'); } });
    await s.start();
    clock.set(s.nextWakeAt());
    await s.tick();
    await s.idle();
    assert.equal(history.get('production', 'nightly')!.result, 'ok');
    assert.match(logger.warnings()[0], /expire after the scheduled snapshot failed: repository is locked/);
  });

  it('marks a run left "running" by a killed scheduler as failed at start-up', async () => {
    const history = RunHistory.memory();
    await history.update('production', 'nightly', { lastScheduled: Date.UTC(2026, 5, 1, 0, 30), result: 'running' });
    const t = setup([AMS_DAILY], { start: Date.UTC(2026, 5, 1, 1), history });
    await t.scheduler.start();
    assert.deepEqual([history.get('production', 'nightly')!.result, history.get('production', 'nightly')!.error], ['failed', 'interrupted: the scheduler stopped during the run']);
  });

  it('run() sleeps until the next run, and stop() ends the loop after waiting for the running snapshot', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 0, 29));
    const history = RunHistory.memory();
    const runner = fakeRunner(clock);
    const sleeps: number[] = [];
    let afterSleep: (() => void) | undefined;
    const slept = new Promise<void>((r) => (afterSleep = r));
    const s = new Scheduler({
      clock,
      logger: new MemoryLogger(),
      history,
      runs: [AMS_DAILY],
      runSnapshot: runner.runSnapshot,
      expire: async () => {},
      // A fake sleep: advances the clock by what was asked (or less when woken).
      sleep: async (ms, signal) => {
        sleeps.push(ms);
        if (sleeps.length === 1) {
          clock.advance(ms);
          return;
        }
        afterSleep!();
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      },
    });
    const loop = s.run();
    await slept;
    assert.equal(sleeps[0], MINUTE, 'slept until 00:30 UTC (02:30 CEST)');
    assert.equal(runner.calls.length, 1);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'stop() waits for the running snapshot');
    runner.calls[0].settle('ok');
    await stopping;
    await loop;
    assert.equal(history.get('production', 'nightly')!.result, 'ok');
    assert.equal(runner.calls.length, 1);
  });
});
