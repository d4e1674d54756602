/**
 * expire: applies each environment's retention policy to the project's environment snapshots at the
 * clock's now, deletes the manifests of those no rule keeps, then prunes to reclaim their data.
 * File snapshots (no environment) and snapshots of environments not in the configuration are never
 * touched. Deletes happen under a shared lock, like snapshot:delete; prune takes the exclusive lock
 * afterwards itself. Retention is idempotent, so a run stopped halfway is finished by the next one.
 */
import type { ProjectConfig } from '../config/project-config.ts';
import { EnvsnapError } from '../core/errors.ts';
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { deleteSnapshot, listSnapshots } from '../snapshot/manifest.ts';
import { listPins } from '../snapshot/pins.ts';
import type { PruneStats } from '../maintenance/prune.ts';
import type { AppContext } from './context.ts';
import { prune } from './maintain.ts';
import { decideRetention, type RetentionRow } from './retention-view.ts';

export interface ExpireInput {
  project: ProjectConfig;
  /** Only this environment; default every environment of the configuration. */
  env?: string;
  /** Decide and report; delete nothing, prune nothing. */
  dryRun?: boolean;
  /** Delete the manifests but leave the data for a later prune. */
  noPrune?: boolean;
}

export interface ExpireResult {
  /** When the decisions were taken (ms since the epoch). */
  now: number;
  kept: RetentionRow[];
  /** Deleted, or with dryRun, to be deleted. */
  removed: RetentionRow[];
  dryRun: boolean;
  /** Present when prune ran. */
  prune?: PruneStats;
}

export async function expire(ctx: AppContext, repo: Repository, input: ExpireInput): Promise<ExpireResult> {
  const { project } = input;
  if (input.env !== undefined && !project.environments.has(input.env)) {
    throw new EnvsnapError('NOT_FOUND', `no environment ${input.env} in ${project.file} (it has ${[...project.environments.keys()].join(', ')}): pass one of those with --env`);
  }
  const dryRun = input.dryRun === true;
  const now = ctx.clock.now();
  const rows = await withLock(repo, { exclusive: false, operation: dryRun ? 'expire --dry-run' : 'expire', logger: ctx.logger }, async () => {
    const all = await listSnapshots(repo);
    // Decided per environment, so deciding for all environments and filtering gives the same as deciding for one.
    const decided = decideRetention(project, all, await listPins(repo), now).filter((r) => input.env === undefined || r.snapshot.env === input.env);
    if (!dryRun) {
      for (const r of decided) if (!r.decision.keep) await deleteSnapshot(repo, r.snapshot.id);
    }
    return decided;
  });
  const removed = rows.filter((r) => !r.decision.keep);
  const result: ExpireResult = { now, kept: rows.filter((r) => r.decision.keep), removed, dryRun };
  if (!dryRun && !input.noPrune) result.prune = await prune(ctx, repo);
  return result;
}
