/**
 * Repository maintenance use cases: check (under a shared lock, so snapshots may run meanwhile; it
 * changes nothing in the repository, and records on this host which snapshots it found damaged) and prune (which takes the exclusive lock itself). Thin wrappers that pass the
 * context's logger, progress and clock to the engine.
 */
import { removeLocks, withLock, type LockView } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { checkRepository, type CheckResult } from '../snapshot/check.ts';
import { listSnapshotIds } from '../snapshot/manifest.ts';
import { pruneRepository, type PruneStats } from '../maintenance/prune.ts';
import type { AppContext } from './context.ts';
import { recordCheckFindings } from './restorability.ts';

export interface CheckInput {
  /** false: structure only; a percentage: read and verify that share of the packs (100 = all). */
  readData: false | { subsetPercent: number };
}

export interface PruneInput {
  dryRun?: boolean;
  maxUnusedPercent?: number;
}

/** Checks the repository and records on this host which snapshots it found damaged (see restorability.ts). */
export async function check(ctx: AppContext, repo: Repository, opts: CheckInput): Promise<CheckResult> {
  return withLock(repo, { exclusive: false, operation: 'check', logger: ctx.logger }, async () => {
    const result = await checkRepository(repo, { readData: opts.readData, logger: ctx.logger, progress: ctx.progress });
    const readAll = opts.readData !== false && opts.readData.subsetPercent >= 100;
    await recordCheckFindings(ctx, repo, result, readAll, new Set(await listSnapshotIds(repo)));
    return result;
  });
}

export async function prune(ctx: AppContext, repo: Repository, opts: PruneInput = {}): Promise<PruneStats> {
  return pruneRepository(repo, { ...opts, logger: ctx.logger, progress: ctx.progress, clock: ctx.clock });
}

/** Removes stale locks, or every lock with `all`; returns what was removed. */
export async function unlock(repo: Repository, all: boolean): Promise<LockView[]> {
  return removeLocks(repo, all);
}
