/**
 * Repository locks. Shared locks (snapshot, restore, check, delete) coexist; an exclusive lock
 * (prune) excludes every other lock. A lock is a sealed object `locks/<id>` naming host, pid and time,
 * refreshed every lock.refresh-interval while held. A lock is stale when its process is known dead
 * (same host, no such pid) or it has not been refreshed for lock.stale-age; stale locks are reported
 * and ignored, and `envsnap unlock` removes them. The times are the repository's safety margins
 * (safety-margins.ts).
 *
 * Only plain put, get, list and delete are used — no atomic create-if-absent, which object stores
 * such as S3 do not all offer — so this works on every BlobStore: acquiring writes the lock first and
 * then lists the others, so of two racing processes at least one sees the other. A process that sees
 * a conflict removes its own lock and backs off for a random moment; if the conflicting locks are
 * gone by then (they were racers that backed off too) it tries again, a few times, else it fails
 * with LOCKED. Times in locks come from each writer's own clock: the stale age covers several
 * refresh intervals plus a margin for clocks that disagree between hosts.
 *
 * A process that stalls (a stopped VM, a suspended process) may come back to find its lock judged
 * stale — and a prune may have run meanwhile and deleted data it deduplicated against. So a held
 * lock is *lost* once it goes unrefreshed for longer than stale age − clock skew, or is found
 * removed; writers call `verify` before each index file and before the manifest, and a lost lock
 * fails there with LOCKED instead of committing.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { EnvsnapError, isEnvsnapError, messageOf } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { Names, idOf } from '../storage/blob-store.ts';
import type { Repository } from './repository.ts';
import { formatSpan } from './safety-margins.ts';

/** Tries at acquiring when every conflicting lock turns out to have been a racer that backed off. */
export const LOCK_ATTEMPTS = 3;
/** Back-off after a conflict: random in [0, LOCK_BACKOFF_MS · attempt), so two racers part ways. */
export const LOCK_BACKOFF_MS = 250;

export interface LockInfo {
  exclusive: boolean;
  hostname: string;
  pid: number;
  username: string;
  time: number;
  operation: string;
}

/** What a writer needs of its lock: a check that it still protects the writer's work. */
export interface LockCheck {
  /**
   * Resolves when the lock is still held and no other host can have judged it stale; rejects with
   * LOCKED (and keeps rejecting) once it was found removed or went unrefreshed for too long.
   */
  verify(): Promise<void>;
}

export interface HeldLock extends LockCheck {
  readonly id: string;
  release(): Promise<void>;
}

export interface LockView extends LockInfo {
  id: string;
  stale: boolean;
  staleReason?: string;
}

export async function listLocks(repo: Repository): Promise<LockView[]> {
  const now = repo.clock.now();
  const out: LockView[] = [];
  for await (const b of repo.store.list('locks/')) {
    const id = idOf(b.name);
    let info: LockInfo;
    try {
      info = await repo.getSealedJson<LockInfo>(b.name, 'lock', id);
    } catch (err) {
      if (isEnvsnapError(err, 'NOT_FOUND')) continue; // released meanwhile
      if (!isEnvsnapError(err, 'CORRUPT')) throw err;
      // A damaged lock names no live holder: treat it as stale so it neither blocks nor survives unlock.
      out.push({ id, exclusive: false, hostname: '?', pid: 0, username: '?', time: 0, operation: 'unknown', stale: true, staleReason: 'the lock file is damaged' });
      continue;
    }
    const reason = staleReason(info, now, repo.margins.lockStaleAgeMs);
    out.push({ ...info, id, stale: reason !== undefined, staleReason: reason });
  }
  return out;
}

function staleReason(info: LockInfo, now: number, staleAgeMs: number): string | undefined {
  if (info.hostname === hostname() && !processAlive(info.pid)) return `process ${info.pid} on this host is gone`;
  if (now - info.time > staleAgeMs) return `not refreshed for ${ageText(now - info.time)} (lock.stale-age is ${formatSpan(staleAgeMs)})`;
  return undefined;
}

function ageText(ms: number): string {
  return ms >= 2 * 60_000 ? `${Math.round(ms / 60_000)} minutes` : `${Math.round(ms / 1000)} s`;
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeLock(l: LockInfo): string {
  return `${l.exclusive ? 'exclusive' : 'shared'} lock by ${l.operation} (pid ${l.pid} on ${l.hostname}, user ${l.username}, since ${new Date(l.time).toISOString()})`;
}

/** Locks held by this process, so an interrupted run can release them before exiting. */
const held = new Set<HeldLock>();

export async function releaseHeldLocks(): Promise<void> {
  await Promise.allSettled([...held].map((l) => l.release()));
}

let retryForMs = 0;

/**
 * How long acquiring waits for a conflicting lock to go away before failing with LOCKED (the CLI's
 * --retry-lock; default 0: fail at once). Process-wide, as every use case takes its locks itself.
 */
export function setLockRetry(ms: number): void {
  retryForMs = Math.max(0, ms);
}

/** Retry delays while waiting for a lock: 1 s doubling to 16 s, with jitter so waiting hosts spread out. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 16_000;

export async function acquireLock(repo: Repository, opts: { exclusive: boolean; operation: string; logger: Logger }): Promise<HeldLock> {
  const deadline = repo.clock.now() + retryForMs;
  for (let delay = RETRY_FIRST_MS, told = false; ; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
    try {
      return await acquireOnce(repo, opts);
    } catch (err) {
      if (!isEnvsnapError(err, 'LOCKED') || repo.clock.now() + delay > deadline) throw err;
      if (!told) opts.logger.info(`waiting for the repository lock (up to ${Math.round(retryForMs / 1000)} s): ${err.message.split(': ')[1] ?? err.message}`);
      told = true;
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
    }
  }
}

const REMOVED = 'was removed (by "envsnap unlock", or by a host that judged it stale)';

async function acquireOnce(repo: Repository, opts: { exclusive: boolean; operation: string; logger: Logger }): Promise<HeldLock> {
  const id = randomBytes(32).toString('hex');
  const name = Names.lock(id);
  const info = (): LockInfo => ({
    exclusive: opts.exclusive,
    hostname: hostname(),
    pid: process.pid,
    username: safeUser(),
    time: repo.clock.now(),
    operation: opts.operation,
  });
  const margins = repo.margins;
  let timer: NodeJS.Timeout | undefined;
  /** Our clock's time of the last write of the lock that is known to have landed. */
  let refreshedAt = 0;
  /** Why the lock no longer protects our work, once it does not. */
  let lost: string | undefined;
  let refreshing: Promise<void> = Promise.resolve();
  const stillSafe = (now: number): boolean => {
    if (lost) return false;
    // Another host judges staleness by its own clock, which may be up to the skew ahead of ours.
    if (now - refreshedAt >= margins.lockStaleAgeMs - margins.clockSkewMs) {
      lost = `was not refreshed for ${ageText(now - refreshedAt)} (this process was stalled or the repository unreachable), so another host may have judged it stale`;
    }
    return !lost;
  };
  const refresh = async (): Promise<void> => {
    if (!stillSafe(repo.clock.now())) return;
    if (!(await repo.store.stat(name))) {
      lost = REMOVED;
      return;
    }
    const fresh = info();
    await repo.putSealedJson(name, 'lock', id, fresh);
    refreshedAt = fresh.time;
  };
  // Registered before the lock object is written, so an interrupt at any point releases it.
  const lock: HeldLock = {
    id,
    async verify() {
      await refreshing;
      if (stillSafe(repo.clock.now()) && !(await repo.store.stat(name))) lost = REMOVED;
      if (lost) {
        throw new EnvsnapError(
          'LOCKED',
          `${opts.operation} stopped before committing: its repository lock ${id.slice(0, 8)} ${lost}; a prune may have removed data it relies on, so nothing was committed — run it again`,
        );
      }
    },
    async release() {
      if (timer) clearInterval(timer);
      held.delete(lock);
      // A refresh landing after the delete would leave the lock behind.
      await refreshing.catch(() => {});
      await repo.store.delete(name);
    },
  };
  held.add(lock);
  try {
    for (let attempt = 1; ; attempt++) {
      const first = info();
      await repo.putSealedJson(name, 'lock', id, first);
      refreshedAt = first.time;
      const others = (await listLocks(repo)).filter((l) => l.id !== id);
      if (attempt === 1) {
        for (const l of others) {
          if (l.stale) opts.logger.warn(`ignoring stale ${describeLock(l)}: ${l.staleReason}; "envsnap unlock" removes it`);
        }
      }
      const conflicts = others.filter((l) => !l.stale && (opts.exclusive || l.exclusive));
      if (conflicts.length === 0) break;
      await repo.store.delete(name);
      // A racer that saw our lock backs off too: wait a random moment, then look whether the locks
      // we saw are still there. Gone: they were racers, try again. Still there: they are held.
      await new Promise((r) => setTimeout(r, Math.random() * LOCK_BACKOFF_MS * attempt));
      const present = new Set((await listLocks(repo)).map((l) => l.id));
      const stillHeld = conflicts.find((c) => present.has(c.id));
      if (stillHeld !== undefined || attempt >= LOCK_ATTEMPTS) {
        const c = stillHeld ?? conflicts[0];
        throw new EnvsnapError(
          'LOCKED',
          `repository is locked: ${describeLock(c)}; wait for it to finish, or run "envsnap unlock" if that process is gone`,
        );
      }
    }
  } catch (err) {
    await lock.release().catch(() => {
      // the failure that made us give up is the one to report; a leftover lock goes stale
    });
    throw err;
  }
  timer = setInterval(() => {
    refreshing = refresh().catch((err: unknown) => opts.logger.warn(`could not refresh lock: ${messageOf(err)}`));
  }, margins.lockRefreshMs);
  timer.unref();
  return lock;
}

/** Removes stale locks (or all locks with `all`); returns what was removed. */
export async function removeLocks(repo: Repository, all: boolean): Promise<LockView[]> {
  const removed: LockView[] = [];
  for (const l of await listLocks(repo)) {
    if (all || l.stale) {
      await repo.store.delete(Names.lock(l.id));
      removed.push(l);
    }
  }
  return removed;
}

/** Runs fn under a lock, releasing it however fn ends. */
export async function withLock<T>(
  repo: Repository,
  opts: { exclusive: boolean; operation: string; logger: Logger },
  fn: (lock: LockCheck) => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(repo, opts);
  let result: T;
  try {
    result = await fn(lock);
  } catch (err) {
    // fn's failure is what the user must see, not a release that failed after it (a store gone
    // away fails both); the lock left behind goes stale and is ignored
    await lock.release().catch((releaseErr: unknown) => opts.logger.warn(`could not remove lock ${lock.id.slice(0, 8)}: ${messageOf(releaseErr)}`));
    throw err;
  }
  await lock.release();
  return result;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
