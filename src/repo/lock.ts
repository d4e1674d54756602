/**
 * Repository locks. Shared locks (snapshot, restore, check, delete) coexist; an exclusive lock
 * (prune) excludes every other lock. A lock is a sealed object `locks/<id>` naming host, pid and time,
 * refreshed every few minutes while held. A lock is stale when its process is known dead (same host,
 * no such pid) or it has not been refreshed for STALE_AFTER_MS; stale locks are reported and ignored,
 * and `envsnap unlock` removes them.
 *
 * Acquiring writes the lock first and then looks for conflicts, so two racing processes both see each
 * other and both back off rather than both proceeding.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { Names, idOf } from '../storage/blob-store.ts';
import type { Repository } from './repository.ts';

export const REFRESH_MS = 5 * 60 * 1000;
export const STALE_AFTER_MS = 30 * 60 * 1000;

export interface LockInfo {
  exclusive: boolean;
  hostname: string;
  pid: number;
  username: string;
  time: number;
  operation: string;
}

export interface HeldLock {
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
    const reason = staleReason(info, now);
    out.push({ ...info, id, stale: reason !== undefined, staleReason: reason });
  }
  return out;
}

function staleReason(info: LockInfo, now: number): string | undefined {
  if (info.hostname === hostname() && !processAlive(info.pid)) return `process ${info.pid} on this host is gone`;
  if (now - info.time > STALE_AFTER_MS) return `not refreshed for ${Math.round((now - info.time) / 60000)} minutes`;
  return undefined;
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

export async function acquireLock(repo: Repository, opts: { exclusive: boolean; operation: string; logger: Logger }): Promise<HeldLock> {
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
  let timer: NodeJS.Timeout | undefined;
  // Registered before the lock object is written, so an interrupt at any point releases it.
  const lock: HeldLock = {
    id,
    async release() {
      if (timer) clearInterval(timer);
      held.delete(lock);
      await repo.store.delete(name);
    },
  };
  held.add(lock);
  let conflicts: LockView[];
  try {
    await repo.putSealedJson(name, 'lock', id, info());
    const all = (await listLocks(repo)).filter((l) => l.id !== id);
    for (const l of all) {
      if (l.stale) opts.logger.warn(`ignoring stale ${describeLock(l)}: ${l.staleReason}; "envsnap unlock" removes it`);
    }
    conflicts = all.filter((l) => !l.stale && (opts.exclusive || l.exclusive));
  } catch (err) {
    await lock.release();
    throw err;
  }
  if (conflicts.length > 0) {
    await lock.release();
    const c = conflicts[0];
    throw new EnvsnapError(
      'LOCKED',
      `repository is locked: ${describeLock(c)}; wait for it to finish, or run "envsnap unlock" if that process is gone`,
    );
  }
  timer = setInterval(() => {
    repo.putSealedJson(name, 'lock', id, info()).catch((err: unknown) => opts.logger.warn(`could not refresh lock: ${String(err)}`));
  }, REFRESH_MS);
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
export async function withLock<T>(repo: Repository, opts: { exclusive: boolean; operation: string; logger: Logger }, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(repo, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
