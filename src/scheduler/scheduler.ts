/**
 * The scheduler: a timer loop over the scheduled runs (schedules.ts) that takes each environment's
 * automatic snapshots when policy/schedule.ts says they are due, and records what happened in the
 * run history (run-history.ts).
 *
 * Rules:
 *  - Each run's next time is nextRunAt(schedule, now). Occurrences that passed while the loop slept
 *    longer than planned (a suspended machine) collapse into one run.
 *  - At start-up a run missed since the last recorded scheduled time (missedRun) runs once, however
 *    many occurrences were missed. A schedule never run before counts from when it was first seen.
 *  - Runs never overlap for one environment: a run that comes due while another run of the same
 *    environment is going is skipped (not queued) and recorded as skipped; the next occurrence runs
 *    as usual. (Queueing would pile up behind a snapshot that takes longer than the interval.)
 *  - A failed run is retried after 1, 5 and 15 minutes; after that, or when the next scheduled
 *    occurrence comes first, it gives up until that occurrence. Failures go to the Logger as warnings.
 *  - After each successful run, expire runs for that environment; an expire failure is a warning,
 *    the snapshot stays a success.
 *  - stop() ends the loop and waits for running snapshots to finish.
 * Time comes only from the injected Clock; waiting from the injected sleep, so tests drive the loop
 * with start() and tick() and a FakeClock, without timers.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { backupTypeLabel } from '../policy/backup-types.ts';
import { describeSchedule, missedRun, nextRunAt } from '../policy/schedule.ts';
import type { RunHistory } from './run-history.ts';
import type { ScheduledRun } from './schedules.ts';

export const MINUTE = 60_000;
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1 * MINUTE, 5 * MINUTE, 15 * MINUTE];
/** The loop looks at the clock at least this often, so a clock jump (suspend, NTP) is noticed. */
const MAX_SLEEP_MS = 60_000;

export interface SchedulerDeps {
  clock: Clock;
  logger: Logger;
  history: RunHistory;
  runs: readonly ScheduledRun[];
  /** Takes the snapshot of one scheduled run. Rejects when it failed. */
  runSnapshot(run: ScheduledRun): Promise<{ snapshotId: string }>;
  /** Applies the retention policy of `env` (called after each successful run). */
  expire(env: string): Promise<void>;
  /** Resolves after `ms`, or early when `signal` aborts; default a timer. */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
  retryDelaysMs?: readonly number[];
}

interface Pending {
  /** The scheduled time this attempt belongs to. */
  scheduledFor: number;
  attempt: number;
  /** When it may start. */
  at: number;
}

interface RunState {
  run: ScheduledRun;
  /** The next scheduled occurrence (ms). */
  next: number;
  /** A missed run or a retry waiting for its time. */
  pending?: Pending;
}

const iso = (ms: number) => new Date(ms).toISOString();
const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #delays: readonly number[];
  #states: RunState[] = [];
  #started = false;
  #stopping = false;
  /** Environments with a run going. */
  readonly #busy = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  #wake?: AbortController;
  #loop?: Promise<void>;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#delays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  /** Computes each run's next time and which missed runs to make up; marks runs a killed process left "running" as failed. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { clock, history, logger } = this.#deps;
    const now = clock.now();
    for (const run of this.#deps.runs) {
      const rec = history.get(run.env, run.id);
      if (rec?.result === 'running') await history.update(run.env, run.id, { result: 'failed', error: 'interrupted: the scheduler stopped during the run' });
      const base = rec?.lastScheduled ?? rec?.seenAt;
      if (base === undefined) await history.update(run.env, run.id, { seenAt: now });
      const state: RunState = { run, next: nextRunAt(run.schedule, now) };
      const missed = missedRun(run.schedule, base, now);
      if (missed !== undefined) {
        logger.info(`${run.env} ${run.id}: the run due ${iso(missed)} was missed: running it now`);
        state.pending = { scheduledFor: missed, attempt: 1, at: now };
      }
      this.#states.push(state);
      logger.debug(`${run.env} ${run.id}: ${describeSchedule(run.schedule)}, next run ${iso(state.next)}`);
    }
  }

  /** Starts every run that is due now (without waiting for it to finish); records skipped ones. */
  async tick(): Promise<void> {
    await this.start();
    if (this.#stopping) return;
    const { clock, history, logger } = this.#deps;
    const now = clock.now();
    for (const state of this.#states) {
      const { run } = state;
      if (now >= state.next) {
        if (state.pending && state.pending.attempt > 1) logger.warn(`${run.env} ${run.id}: giving up retrying the run due ${iso(state.pending.scheduledFor)}: the next one is due`);
        state.pending = { scheduledFor: state.next, attempt: 1, at: now };
        state.next = nextRunAt(run.schedule, now);
      }
      const p = state.pending;
      if (!p || now < p.at) continue;
      if (this.#busy.has(run.env)) {
        // A retry waits for the environment; a new occurrence is skipped.
        if (p.attempt > 1) continue;
        state.pending = undefined;
        const reason = `skipped: another snapshot of ${run.env} was still running`;
        logger.warn(`${run.env} ${run.id}: the run due ${iso(p.scheduledFor)} was ${reason}`);
        await history.update(run.env, run.id, { lastScheduled: Math.max(p.scheduledFor, history.get(run.env, run.id)?.lastScheduled ?? 0), skippedAt: p.scheduledFor, skipReason: reason });
        continue;
      }
      state.pending = undefined;
      this.#busy.add(run.env);
      await history.update(run.env, run.id, { lastScheduled: p.scheduledFor, lastStart: now, result: 'running', attempts: p.attempt, error: undefined });
      const going = this.#execute(state, p).finally(() => {
        this.#busy.delete(run.env);
        this.#inFlight.delete(going);
        this.#wake?.abort();
      });
      this.#inFlight.add(going);
    }
  }

  async #execute(state: RunState, p: Pending): Promise<void> {
    const { clock, history, logger } = this.#deps;
    const { run } = state;
    const label = `${run.env} ${run.id}`;
    logger.info(`${label}: scheduled snapshot due ${iso(p.scheduledFor)} started${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''} (${run.live ? 'live' : 'maintenance mode'}, ${backupTypeLabel(run.backupType, run.excludeMedia)})`);
    let snapshotId: string;
    try {
      ({ snapshotId } = await this.#deps.runSnapshot(run));
    } catch (err) {
      const end = clock.now();
      const message = oneLine(err);
      await history.update(run.env, run.id, { lastEnd: end, result: 'failed', error: message });
      const delay = this.#delays[p.attempt - 1];
      const retryAt = delay === undefined ? undefined : end + delay;
      if (retryAt !== undefined && retryAt < state.next && !this.#stopping) {
        state.pending = { scheduledFor: p.scheduledFor, attempt: p.attempt + 1, at: retryAt };
        logger.warn(`${label}: scheduled snapshot failed (attempt ${p.attempt}): ${message}; retrying at ${iso(retryAt)}`);
      } else {
        logger.warn(`${label}: scheduled snapshot failed (attempt ${p.attempt}): ${message}; giving up until the next scheduled run at ${iso(state.next)}`);
      }
      return;
    }
    await history.update(run.env, run.id, { lastEnd: clock.now(), result: 'ok', snapshotId, error: undefined });
    logger.info(`${label}: scheduled snapshot ${snapshotId.slice(0, 8)} finished`);
    try {
      await this.#deps.expire(run.env);
    } catch (err) {
      logger.warn(`${label}: expire after the scheduled snapshot failed: ${oneLine(err)}; the next run tries again (or run envsnap expire -e ${run.env})`);
    }
  }

  /** When the loop has something to do next (ms): the earliest next occurrence or pending run. */
  nextWakeAt(): number {
    let at = Infinity;
    for (const s of this.#states) at = Math.min(at, s.next, s.pending?.at ?? Infinity);
    return at;
  }

  /** Resolves when no run is going. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Runs the loop until stop(). */
  run(): Promise<void> {
    this.#loop ??= this.#runLoop();
    return this.#loop;
  }

  async #runLoop(): Promise<void> {
    await this.start();
    const sleep = this.#deps.sleep ?? ((ms: number, signal: AbortSignal) => sleepFor(ms, undefined, { signal }).catch(() => {}));
    while (!this.#stopping) {
      await this.tick();
      if (this.#stopping) break;
      const now = this.#deps.clock.now();
      const ms = Math.max(0, Math.min(this.nextWakeAt() - now, MAX_SLEEP_MS));
      this.#wake = new AbortController();
      await sleep(ms, this.#wake.signal);
      this.#wake = undefined;
    }
  }

  /** Ends the loop; resolves once running snapshots (and their expire) have finished. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.abort();
    await this.#loop;
    await this.idle();
  }
}
