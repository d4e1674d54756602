/**
 * Activities: every create, restore, delete, expire and scheduled run the server performs, as a row
 * with an id, environment, user, state (pending → in_progress → succeeded | failed | cancelled),
 * progress, timestamps and a log. Mutating activities are serialized per environment: a second one
 * is refused with "an activity is already in progress on ENV", or queued (pending) when asked to wait.
 *
 * Cancellation is cooperative: a cancelled activity's progress throws INTERRUPTED the next time the
 * use case reports, so its own `finally` blocks (maintenance mode off, lock release, scratch
 * database dropped) run as for a Ctrl-C in the CLI.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../core/clock.ts';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import type { Logger, Progress, ProgressState } from '../core/logger.ts';
import type { ActivityKind, ActivityLogLine, ActivityProgress, ActivityRecord, ActivityState } from './api-types.ts';

/** The server's name for the record (operations.ts); the API answers it with `canCancel` added for the caller (app.ts). */
export type Activity = ActivityRecord;

/** What a job gets: a logger and progress that feed the activity, and the signal of a cancel. */
export interface ActivityIo {
  logger: Logger;
  progress: Progress;
  signal: AbortSignal;
}

export type ActivityJob = (io: ActivityIo) => Promise<Record<string, unknown>>;

interface Row {
  id: string;
  kind: ActivityKind;
  environment: string;
  user_name: string | null;
  state: ActivityState;
  params: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

const FINAL: readonly ActivityState[] = ['succeeded', 'failed', 'cancelled'];
/** Progress is written to the database at most this often (it is kept in memory in between). */
const PROGRESS_WRITE_MS = 1000;
const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

interface Running {
  controller: AbortController;
  done: Promise<Activity>;
  progress?: ActivityProgress;
}

export class Activities {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  /** Per environment, the tail of the chain of its mutating activities. */
  readonly #tails = new Map<string, Promise<unknown>>();
  /** Per environment, how many mutating activities are pending or running. */
  readonly #load = new Map<string, number>();
  readonly #running = new Map<string, Running>();
  readonly #listeners = new Set<(a: Activity) => void>();

  constructor(db: DatabaseSync, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Marks activities a previous server process left pending or running as failed. */
  recoverInterrupted(): number {
    return Number(
      this.#db
        .prepare("UPDATE activities SET state = 'failed', error = 'interrupted: the server stopped during the activity', finished_at = ? WHERE state IN ('pending', 'in_progress')")
        .run(this.#clock.now()).changes,
    );
  }

  /**
   * Records and starts an activity. Mutating ones (everything but expire's dry run) run one at a
   * time per environment: with `wait` a new one queues behind the running one, else it is refused
   * with BUSY. Resolves once recorded (pending), not when done: see `settled`.
   */
  start(input: { kind: ActivityKind; environment: string; user?: string; params?: Record<string, unknown>; wait?: boolean; job: ActivityJob }): Activity {
    const env = input.environment;
    const busy = (this.#load.get(env) ?? 0) > 0;
    if (busy && !input.wait) {
      const current = this.list({ environment: env, states: ['in_progress', 'pending'], limit: 1 })[0];
      throw new EnvsnapError('BUSY', `an activity is already in progress on ${env}${current ? ` (${current.id}, ${current.kind})` : ''}: wait for it to finish, or queue this one with --wait`);
    }
    const id = randomBytes(8).toString('hex');
    const now = this.#clock.now();
    this.#db
      .prepare("INSERT INTO activities (id, kind, environment, user_name, state, params, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)")
      .run(id, input.kind, env, input.user ?? null, JSON.stringify(input.params ?? {}), now);
    this.#load.set(env, (this.#load.get(env) ?? 0) + 1);
    const controller = new AbortController();
    const previous = this.#tails.get(env) ?? Promise.resolve();
    const running: Running = { controller, done: undefined as unknown as Promise<Activity> };
    running.done = previous.then(() => this.#run(id, input.job, running)).finally(() => {
      const n = (this.#load.get(env) ?? 1) - 1;
      if (n === 0) this.#load.delete(env);
      else this.#load.set(env, n);
      this.#running.delete(id);
    });
    this.#tails.set(env, running.done.catch(() => {}));
    this.#running.set(id, running);
    return this.get(id)!;
  }

  /** Resolves with the activity once it is succeeded, failed or cancelled. */
  async settled(id: string): Promise<Activity> {
    const r = this.#running.get(id);
    if (r) return r.done;
    const a = this.get(id);
    if (!a) throw new EnvsnapError('NOT_FOUND', `no activity ${id}`);
    return a;
  }

  /** Cancels a pending or running activity; false when it had already finished. */
  cancel(id: string, by?: string): boolean {
    const a = this.get(id);
    if (!a) throw new EnvsnapError('NOT_FOUND', `no activity ${id}: see activity:list`);
    const r = this.#running.get(id);
    if (FINAL.includes(a.state) || !r) return false;
    this.#log(id, 'info', `cancel requested${by ? ` by ${by}` : ''}`);
    r.controller.abort();
    // One still waiting in the queue ends now: nothing of it ran, nothing needs undoing.
    if (a.state === 'pending') this.#finish(id, 'cancelled', null, 'cancelled before it started');
    return true;
  }

  get(id: string): Activity | undefined {
    const row = this.#db.prepare('SELECT * FROM activities WHERE id = ?').get(id) as Row | undefined;
    return row ? this.#withLiveProgress(row) : undefined;
  }

  /** The row as an activity, with the in-memory progress of a running one (written to the table only every second). */
  #withLiveProgress(row: Row): Activity {
    const a = toActivity(row);
    const live = this.#running.get(row.id)?.progress;
    return live ? { ...a, progress: live } : a;
  }

  /** Newest first. */
  list(opts: { environment?: string; environments?: readonly string[]; states?: readonly ActivityState[]; limit?: number } = {}): Activity[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.environment !== undefined) {
      where.push('environment = ?');
      args.push(opts.environment);
    }
    if (opts.environments !== undefined) {
      where.push(`environment IN (${opts.environments.map(() => '?').join(',') || "''"})`);
      args.push(...opts.environments);
    }
    if (opts.states !== undefined) {
      where.push(`state IN (${opts.states.map(() => '?').join(',')})`);
      args.push(...opts.states);
    }
    const sql = `SELECT * FROM activities ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...args, opts.limit ?? 50) as unknown as Row[];
    return rows.map((r) => this.#withLiveProgress(r));
  }

  log(id: string, afterSeq = 0): ActivityLogLine[] {
    return this.#db.prepare('SELECT seq, at, level, message FROM activity_log WHERE activity_id = ? AND seq > ? ORDER BY seq').all(id, afterSeq) as unknown as ActivityLogLine[];
  }

  /** Called with each activity whose state or progress changed (the console's live view). */
  onChange(listener: (a: Activity) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #run(id: string, job: ActivityJob, running: Running): Promise<Activity> {
    const { signal } = running.controller;
    // Cancelled while pending: already finished by cancel().
    if (signal.aborted) return this.get(id)!;
    this.#db.prepare("UPDATE activities SET state = 'in_progress', started_at = ? WHERE id = ?").run(this.#clock.now(), id);
    this.#emit(id);
    const interrupted = () => new EnvsnapError('INTERRUPTED', 'the activity was cancelled');
    const check = () => {
      if (signal.aborted) throw interrupted();
    };
    let lastWrite = 0;
    const io: ActivityIo = {
      signal,
      logger: {
        // The logger never throws: clean-up code (maintenance mode off) logs from finally blocks.
        info: (m) => this.#log(id, 'info', m),
        warn: (m) => this.#log(id, 'warn', m),
        debug: () => {},
      },
      progress: {
        update: (s: ProgressState) => {
          check();
          running.progress = toProgress(s);
          const now = this.#clock.now();
          if (now - lastWrite >= PROGRESS_WRITE_MS) {
            lastWrite = now;
            this.#db.prepare('UPDATE activities SET progress = ? WHERE id = ?').run(JSON.stringify(running.progress), id);
          }
          this.#emit(id);
        },
        done: () => {},
      },
    };
    try {
      const result = await job(io);
      if (running.progress) this.#db.prepare('UPDATE activities SET progress = ? WHERE id = ?').run(JSON.stringify(running.progress), id);
      return this.#finish(id, 'succeeded', result, null);
    } catch (err) {
      if (signal.aborted || isEnvsnapError(err, 'INTERRUPTED')) return this.#finish(id, 'cancelled', null, 'cancelled: nothing of it was kept');
      return this.#finish(id, 'failed', null, oneLine(err));
    }
  }

  #finish(id: string, state: ActivityState, result: Record<string, unknown> | null, error: string | null): Activity {
    this.#log(id, state === 'succeeded' ? 'info' : 'warn', state === 'succeeded' ? 'succeeded' : `${state}: ${error}`);
    this.#db
      .prepare('UPDATE activities SET state = ?, result = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(state, result === null ? null : JSON.stringify(result), error, this.#clock.now(), id);
    this.#running.delete(id);
    this.#emit(id);
    return this.get(id)!;
  }

  #log(id: string, level: ActivityLogLine['level'], message: string): void {
    this.#db
      .prepare('INSERT INTO activity_log (activity_id, seq, at, level, message) VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM activity_log WHERE activity_id = ?), ?, ?, ?)')
      .run(id, id, this.#clock.now(), level, message);
  }

  #emit(id: string): void {
    if (this.#listeners.size === 0) return;
    const a = this.get(id);
    if (a) for (const l of this.#listeners) l(a);
  }
}

function toProgress(s: ProgressState): ActivityProgress {
  const p: ActivityProgress = { phase: s.phase, files: s.files, bytes: s.bytes };
  if (s.totalFiles !== undefined) p.totalFiles = s.totalFiles;
  if (s.totalBytes !== undefined) {
    p.totalBytes = s.totalBytes;
    p.percent = s.totalBytes > 0 ? Math.min(100, Math.round((s.bytes / s.totalBytes) * 1000) / 10) : 100;
  }
  return p;
}

function toActivity(r: Row): Activity {
  return {
    id: r.id,
    kind: r.kind,
    environment: r.environment,
    user: r.user_name,
    state: r.state,
    params: JSON.parse(r.params) as Record<string, unknown>,
    progress: r.progress ? (JSON.parse(r.progress) as ActivityProgress) : null,
    result: r.result ? (JSON.parse(r.result) as Record<string, unknown>) : null,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
