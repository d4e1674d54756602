/**
 * What the server does for its routes and its scheduler, as calls to the same app functions the CLI
 * uses: listing environments and snapshots from the repository (the source of truth), and starting
 * create / restore / delete / expire as activities. No business rules live here: policy refusals,
 * locks and maintenance mode come from the app layer.
 *
 * Reads share one open repository (its decrypted manifests are cached, manifests never change);
 * each activity opens its own, so a long snapshot never holds up a listing. The listed rows are kept
 * for LIST_TTL_MS and dropped as soon as an activity of this server finishes or a pin changes, so
 * fifty clients polling cost one listing of the repository a second; a snapshot written by another
 * process (the CLI, a scheduler elsewhere) shows up within that second.
 */
import type { Writable } from 'node:stream';
import type { EnvironmentConfig, ProjectConfig } from '../config/project-config.ts';
import type { Clock } from '../core/clock.ts';
import { EnvsnapError } from '../core/errors.ts';
import { noProgress, type Logger } from '../core/logger.ts';
import type { AppContext, RepoRef } from '../app/context.ts';
import { restoreEnvironment, snapshotEnvironment } from '../app/environment-snapshots.ts';
import { expire } from '../app/expire.ts';
import { exportTar } from '../app/export-snapshot.ts';
import { deleteSnapshots, listSnapshotsWithRetention, setPinned } from '../app/manage-snapshots.ts';
import { openRepository, withRepository } from '../app/open-repository.ts';
import type { RestorePart } from '../app/restore-parts.ts';
import { snapshotRow, type SnapshotRow } from '../app/snapshot-row.ts';
import type { EnvironmentBackupType } from '../policy/backup-types.ts';
import { checkManualSnapshotAllowed } from '../policy/manual-check.ts';
import { nextRunAt } from '../policy/schedule.ts';
import type { Repository } from '../repo/repository.ts';
import { resolveSnapshot, type Snapshot } from '../snapshot/manifest.ts';
import { describePolicy } from '../policy/describe.ts';
import { removeSchedule, setPolicy, setSchedule, type ScheduleChange } from '../scheduler/edit-schedules.ts';
import type { RunHistory } from '../scheduler/run-history.ts';
import { scheduleRows } from '../scheduler/schedule-rows.ts';
import { automaticRefusal, scheduledRuns, type ScheduledRun } from '../scheduler/schedules.ts';
import type { Activities, Activity, ActivityIo } from './activities.ts';
import type { EnvironmentSchedules, EnvironmentView } from './api-types.ts';

export interface OperationsDeps {
  project: ProjectConfig;
  /** The scheduler's run history (the last run of each schedule). */
  history: RunHistory;
  repo: RepoRef;
  clock: Clock;
  activities: Activities;
  /** The server's own log (activity lines go to the activity). */
  logger: Logger;
}

export interface CreateOptions {
  live?: boolean;
  type?: EnvironmentBackupType;
  excludeMedia?: boolean;
  skipCache?: boolean;
  wait?: boolean;
}

export interface RestoreOptions {
  target?: string;
  only?: RestorePart[];
  include?: string[];
  noMaintenance?: boolean;
  wait?: boolean;
}

export const LIST_TTL_MS = 1000;

export class Operations {
  readonly #d: OperationsDeps;
  #reader?: Promise<Repository>;
  #rows?: { at: number; rows: Promise<SnapshotRow[]> };
  readonly #projectListeners = new Set<(p: ProjectConfig) => void>();

  constructor(deps: OperationsDeps) {
    this.#d = deps;
    deps.activities.onChange((a) => {
      if (a.state === 'succeeded' || a.state === 'failed' || a.state === 'cancelled') this.#rows = undefined;
    });
  }

  get project(): ProjectConfig {
    return this.#d.project;
  }

  /** Called with the new configuration after the server changed envsnap.yaml (the scheduler restarts on it). */
  onProjectChanged(listener: (p: ProjectConfig) => void): void {
    this.#projectListeners.add(listener);
  }

  /** The environment's scheduled runs with their next and last run, and its policy with each value's origin. */
  schedules(env: string): EnvironmentSchedules {
    const cfg = this.environment(env);
    const refusal = automaticRefusal(cfg);
    return {
      environment: env,
      automatic: refusal ? { enabled: false, reason: refusal } : { enabled: true },
      schedules: scheduleRows([cfg], this.#d.history, this.#d.clock.now()),
      policy: describePolicy(cfg.policy).map((l) => ({ key: l.key, value: l.value, origin: l.origin })),
    };
  }

  /** Adds or replaces a schedule in envsnap.yaml (comments kept), then reloads the configuration. */
  async setSchedule(env: string, change: ScheduleChange): Promise<EnvironmentSchedules> {
    this.environment(env);
    this.#changed((await setSchedule(this.project.file, env, change)).project);
    return this.schedules(env);
  }

  /** Changes the environment's retention policy in envsnap.yaml (see setPolicy), then reloads the configuration. */
  async setPolicy(env: string, patch: Record<string, unknown>): Promise<EnvironmentSchedules> {
    this.environment(env);
    this.#changed((await setPolicy(this.project.file, env, patch)).project);
    return this.schedules(env);
  }

  async removeSchedule(env: string, id: string): Promise<EnvironmentSchedules> {
    this.environment(env);
    this.#changed((await removeSchedule(this.project.file, env, id)).project);
    return this.schedules(env);
  }

  /** Takes the configuration just written (the save validated and parsed it) and tells the listeners. */
  #changed(next: ProjectConfig): void {
    this.#d.project = next;
    this.#rows = undefined;
    for (const l of this.#projectListeners) l(next);
  }


  environment(name: string): EnvironmentConfig {
    const env = this.#d.project.environments.get(name);
    if (!env) throw new EnvsnapError('NOT_FOUND', `no environment named ${name}: see GET /api/v1/environments`);
    return env;
  }

  async environments(names: readonly string[]): Promise<EnvironmentView[]> {
    const all = await this.#listed();
    const now = this.#d.clock.now();
    return names.map((name) => {
      const env = this.environment(name);
      const mine = all.filter((r) => r.environment === name);
      const runs = scheduledRuns(env);
      const next = runs.length ? Math.min(...runs.map((r) => nextRunAt(r.schedule, now))) : undefined;
      return {
        name,
        type: env.type,
        plan: env.plan,
        manualSnapshots: manualAllowed(env),
        lastSnapshot: mine.at(-1) ?? null,
        snapshotCount: mine.length,
        nextScheduledRun: next === undefined ? null : new Date(next).toISOString(),
        activity: this.#d.activities.list({ environment: name, states: ['pending', 'in_progress'], limit: 1 })[0] ?? null,
      };
    });
  }

  /** The environment's snapshots, oldest first, with retention (Restorable, Expires) at now. */
  async snapshots(env: string): Promise<SnapshotRow[]> {
    this.environment(env);
    return (await this.#listed()).filter((r) => r.environment === env);
  }

  async snapshot(env: string, ref: string): Promise<SnapshotRow> {
    const snap = await this.#resolve(env, ref);
    const row = (await this.#listed()).find((r) => r.id === snap.id);
    if (!row) throw notFound(env, ref);
    return row;
  }

  startCreate(env: string, user: string | undefined, o: CreateOptions): Activity {
    const cfg = this.environment(env);
    // Refused before an activity is recorded; the use case checks again.
    checkManualSnapshotAllowed(cfg.policy);
    return this.#d.activities.start({
      kind: 'create',
      environment: env,
      user,
      wait: o.wait,
      params: { live: o.live === true, type: o.type ?? 'system', ...(o.excludeMedia ? { excludeMedia: true } : {}), ...(o.skipCache ? { skipCache: true } : {}) },
      job: (io) =>
        this.#withRepo(io, async (ctx, repo) => {
          const snap = await snapshotEnvironment(ctx, repo, { project: this.project, env: cfg, live: o.live, backupType: o.type, excludeMedia: o.excludeMedia, skipCache: o.skipCache });
          return { snapshotId: snap.id, partial: snap.partial, bytes: snap.summary.bytes, addedBytes: snap.summary.addedBytes, replaced: snap.replaced.map((r) => r.id) };
        }),
    });
  }

  /** A scheduled run: an activity of kind scheduled, queued behind any running one of the environment. */
  async runScheduled(run: ScheduledRun): Promise<{ snapshotId: string }> {
    const cfg = this.environment(run.env);
    const a = this.#d.activities.start({
      kind: 'scheduled',
      environment: run.env,
      wait: true,
      params: { schedule: run.id, live: run.live, type: run.backupType, ...(run.excludeMedia ? { excludeMedia: true } : {}) },
      job: (io) =>
        this.#withRepo(io, async (ctx, repo) => {
          const snap = await snapshotEnvironment(ctx, repo, { project: this.project, env: cfg, live: run.live, trigger: 'automatic', backupType: run.backupType, excludeMedia: run.excludeMedia });
          return { snapshotId: snap.id, partial: snap.partial, bytes: snap.summary.bytes };
        }),
    });
    const done = await this.#succeeded(a);
    return { snapshotId: String(done.result?.snapshotId) };
  }

  /**
   * The expire after a scheduled run: an activity (no user) queued behind whatever else runs on the
   * environment by then, as the scheduled run itself is. Rejects when it did not succeed, so the
   * scheduler reports it.
   */
  async runScheduledExpire(env: string): Promise<void> {
    await this.#succeeded(this.startExpire(env, undefined, false, true));
  }

  /** Waits for `a` to finish; rejects with its error when it did not succeed. */
  async #succeeded(a: Activity): Promise<Activity> {
    const done = await this.#d.activities.settled(a.id);
    if (done.state !== 'succeeded') throw new EnvsnapError('SOURCE_FAILED', `activity ${a.id} ${done.state}: ${done.error ?? ''}`);
    return done;
  }

  async startRestore(env: string, user: string | undefined, ref: string, o: RestoreOptions): Promise<Activity> {
    const snap = await this.#resolve(env, ref);
    const target = o.target ?? env;
    this.environment(target);
    return this.#d.activities.start({
      kind: 'restore',
      environment: target,
      user,
      wait: o.wait,
      params: { snapshotId: snap.id, from: env, ...(o.only ? { only: o.only } : {}), ...(o.include?.length ? { include: o.include } : {}) },
      job: (io) =>
        this.#withRepo(io, async (ctx, repo) => {
          // The caller confirmed (the console's dialog asks for the environment's name).
          const r = await restoreEnvironment(ctx, repo, { project: this.project, snapshot: snap.id, target, only: o.only, include: o.include, noMaintenance: o.noMaintenance }, async () => true);
          return { snapshotId: r.snapshot.id, target: r.target.name, steps: r.steps.map((s) => ({ name: s.name, durationMs: s.durationMs })) };
        }),
    });
  }

  async startDelete(env: string, user: string | undefined, ref: string, wait?: boolean): Promise<Activity> {
    const snap = await this.#resolve(env, ref);
    return this.#d.activities.start({
      kind: 'delete',
      environment: env,
      user,
      wait,
      params: { snapshotId: snap.id },
      job: (io) =>
        this.#withRepo(io, async (ctx, repo) => {
          await deleteSnapshots(ctx, repo, [snap.id]);
          ctx.logger.info(`deleted snapshot ${snap.id.slice(0, 8)} of ${env}; its data is reclaimed by the next expire or prune`);
          return { snapshotId: snap.id };
        }),
    });
  }

  startExpire(env: string, user: string | undefined, dryRun: boolean, wait?: boolean): Activity {
    this.environment(env);
    return this.#d.activities.start({
      kind: 'expire',
      environment: env,
      user,
      wait,
      params: { dryRun },
      job: (io) =>
        this.#withRepo(io, async (ctx, repo) => {
          const r = await expire(ctx, repo, { project: this.project, env, dryRun });
          for (const row of r.removed) ctx.logger.info(`${dryRun ? 'would remove' : 'removed'} ${row.snapshot.id.slice(0, 8)} (${row.snapshot.time})`);
          return { removed: r.removed.map((x) => x.snapshot.id), kept: r.kept.length };
        }),
    });
  }

  async pin(env: string, ref: string, pinned: boolean): Promise<SnapshotRow> {
    const snap = await this.#resolve(env, ref);
    const repo = await this.#repo();
    await setPinned(this.#ctx(), repo, [snap.id], pinned);
    this.#rows = undefined;
    return this.snapshot(env, snap.id);
  }

  /** Streams the tar of a snapshot (gzip'd) to `out`. */
  async exportTar(env: string, ref: string, out: Writable): Promise<void> {
    const snap = await this.#resolve(env, ref);
    await exportTar(this.#ctx(), await this.#repo(), { ref: snap.id, gzip: true, out });
  }

  async close(): Promise<void> {
    const r = this.#reader;
    this.#reader = undefined;
    if (r) await (await r.catch(() => undefined))?.close();
  }

  /** Every snapshot of the project as rows (oldest first), from the short-lived cache; concurrent callers share one listing. */
  #listed(): Promise<SnapshotRow[]> {
    const now = this.#d.clock.now();
    const c = this.#rows;
    if (c && now - c.at < LIST_TTL_MS && now >= c.at) return c.rows;
    const rows = (async () => {
      const listed = await listSnapshotsWithRetention(this.#ctx(), await this.#repo(), this.project);
      return listed.filter((r) => r.snapshot.environment?.project === this.project.project).map(snapshotRow);
    })();
    const entry = { at: now, rows };
    this.#rows = entry;
    rows.catch(() => {
      if (this.#rows === entry) this.#rows = undefined;
    });
    return rows;
  }

  /** The snapshot `ref` of `env`; another environment's snapshot is "not found" here, whoever asks. */
  async #resolve(env: string, ref: string): Promise<Snapshot> {
    this.environment(env);
    let snap: Snapshot;
    try {
      snap = await resolveSnapshot(await this.#repo(), ref, (s) => s.env === env);
    } catch (err) {
      if (err instanceof EnvsnapError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_ARGUMENT')) throw notFound(env, ref);
      throw err;
    }
    if (snap.env !== env || snap.environment?.project !== this.project.project) throw notFound(env, ref);
    return snap;
  }

  #ctx(): AppContext {
    return { clock: this.#d.clock, logger: this.#d.logger, progress: noProgress };
  }

  #repo(): Promise<Repository> {
    this.#reader ??= openRepository(this.#ctx(), this.#d.repo).catch((err: unknown) => {
      this.#reader = undefined;
      throw err;
    });
    return this.#reader;
  }

  #withRepo(io: ActivityIo, fn: (ctx: AppContext, repo: Repository) => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const ctx: AppContext = { clock: this.#d.clock, logger: io.logger, progress: io.progress };
    return withRepository(ctx, this.#d.repo, (repo) => fn(ctx, repo));
  }
}

function manualAllowed(env: EnvironmentConfig): { allowed: boolean; reason?: string } {
  try {
    checkManualSnapshotAllowed(env.policy);
    return { allowed: true };
  } catch (err) {
    return { allowed: false, reason: (err as Error).message };
  }
}

const notFound = (env: string, ref: string) => new EnvsnapError('NOT_FOUND', `no snapshot ${ref} in environment ${env}: see GET /api/v1/environments/${env}/snapshots`);
