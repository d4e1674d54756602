/**
 * The environment use cases as the CLI, the scheduler and the server call them: from the project
 * configuration and a few flags to createEnvironmentSnapshot / restoreEnvironmentSnapshot. Checks
 * the policy (manual snapshots allowed?) and the configuration (mounts exist, secrets resolve)
 * before anything connects, and applies the manual cap (max_count) after a manual snapshot and the
 * environment's copy_to (a second repository) after an automatic one.
 */
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkMountsExist, type EnvironmentConfig, type ProjectConfig } from '../config/project-config.ts';
import { EnvsnapError } from '../core/errors.ts';
import { backupScope, type EnvironmentBackupType } from '../policy/backup-types.ts';
import { checkManualSnapshotAllowed } from '../policy/manual-check.ts';
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { deleteSnapshot, listSnapshots, resolveSnapshot, type Snapshot } from '../snapshot/manifest.ts';
import { listPins } from '../snapshot/pins.ts';
import type { AppContext } from './context.ts';
import { copyToConfiguredRepository } from './copy-snapshots.ts';
import { createEnvironmentSnapshot } from './create-environment-snapshot.ts';
import { environmentSources, maintenanceRunner, protectedPaths } from './environment-sources.ts';
import { restoreEnvironmentSnapshot, type ConfirmReplace, type RestoreStepResult } from './restore-environment-snapshot.ts';
import type { RestorePart } from './restore-parts.ts';
import { decideRetention } from './retention-view.ts';

export interface SnapshotEnvironmentInput {
  project: ProjectConfig;
  env: EnvironmentConfig;
  /** No maintenance mode (no downtime); databases are still captured at one consistent point. */
  live?: boolean;
  /** Leave Redis databases with role cache or page_cache out. */
  skipCache?: boolean;
  tags?: string[];
  trigger?: 'manual' | 'automatic';
  /** Magento's backup type (default system): see policy/backup-types.ts. */
  backupType?: EnvironmentBackupType;
  /** system only: leave pub/media out. */
  excludeMedia?: boolean;
}

export interface EnvironmentSnapshotResult extends Snapshot {
  /** Older manual snapshots deleted because the new one went over manual.max_count (manifests only; prune reclaims the data). */
  replaced: Snapshot[];
}

export async function snapshotEnvironment(ctx: AppContext, repo: Repository, input: SnapshotEnvironmentInput): Promise<EnvironmentSnapshotResult> {
  const { env } = input;
  const manual = (input.trigger ?? 'manual') === 'manual';
  if (manual) checkManualSnapshotAllowed(env.policy);
  const scope = backupScope(env, input.backupType, input.excludeMedia);
  if (scope.type === 'db' && env.databases.length === 0) {
    throw new EnvsnapError('CONFIG', `environment ${env.name} has no databases, so --type db has nothing to capture: add one under database(s) in envsnap.yaml, or use --type system`);
  }
  await checkMountsExist({ ...env, mounts: scope.mounts });
  // Redis is neither a database nor media: only a system snapshot carries it (nor are its secrets needed otherwise).
  const { specs, skipped } = environmentSources(scope.redis ? env : { ...env, redis: [] }, { skipCache: input.skipCache });
  const maintenance = input.live ? undefined : maintenanceRunner(env, ctx);
  if (!input.live && !maintenance) ctx.logger.info(`environment ${env.name} has no maintenance mode configured: taking a live snapshot`);
  const snapshot = await createEnvironmentSnapshot(ctx, repo, {
    project: input.project.project,
    env: { ...env, mounts: scope.mounts, exclude: [...env.exclude, ...scope.exclude, ...protectedPaths(env)] },
    sources: specs,
    skipped,
    maintenance,
    trigger: input.trigger,
    tags: input.tags,
    backupType: scope.type,
    ...(scope.excludeMedia ? { excludeMedia: true } : {}),
  });
  const replaced = manual && env.policy.manual.maxCount !== undefined ? await applyManualCap(ctx, repo, input.project, env) : [];
  // copy_to: an automatic snapshot goes to the second repository too (a failure there is only a warning).
  if (!manual) await copyToConfiguredRepository(ctx, repo, input.project, env);
  return { ...snapshot, replaced };
}

/**
 * Deletes the oldest unpinned manual snapshots of `env` beyond manual.max_count. The retention
 * function decides, with the age limit (keep_within) lifted: age is expire's business, so here only
 * the cap can drop a snapshot, and only manual ones are acted on.
 */
async function applyManualCap(ctx: AppContext, repo: Repository, project: ProjectConfig, env: EnvironmentConfig): Promise<Snapshot[]> {
  return withLock(repo, { exclusive: false, operation: 'delete', logger: ctx.logger }, async () => {
    const mine = (await listSnapshots(repo)).filter((s) => s.environment?.project === project.project && s.env === env.name);
    const rows = decideRetention(project, mine, await listPins(repo), ctx.clock.now(), (rule) => ({ ...rule, manual: { ...rule.manual, keepWithin: { amount: 1000, unit: 'y' } } }));
    const over = rows.filter((r) => !r.decision.keep && r.snapshot.environment?.trigger === 'manual').map((r) => r.snapshot);
    for (const s of over) {
      await deleteSnapshot(repo, s.id);
      ctx.logger.info(`deleted manual snapshot ${s.id.slice(0, 8)} of ${s.time} (${env.name} keeps at most ${env.policy.manual.maxCount} unpinned manual snapshots: manual.max_count, ${env.policy.origins['manual.max_count']})`);
    }
    return over;
  });
}

export interface RestoreEnvironmentInput {
  project: ProjectConfig;
  /** Snapshot id, prefix or "latest" (the latest of `fromEnv` when given). */
  snapshot: string;
  fromEnv?: string;
  /** Target environment name; default the snapshot's own. */
  target?: string;
  only?: RestorePart[];
  include?: string[];
  /** Restore without switching the target's maintenance mode on. */
  noMaintenance?: boolean;
}

export async function restoreEnvironment(
  ctx: AppContext,
  repo: Repository,
  input: RestoreEnvironmentInput,
  confirm: ConfirmReplace,
): Promise<{ snapshot: Snapshot; target: EnvironmentConfig; steps: RestoreStepResult[] }> {
  const snapshot = await findEnvironmentSnapshot(repo, input.snapshot, input.project.project, input.fromEnv);
  const targetName = input.target ?? snapshot.env!;
  const target = input.project.environments.get(targetName);
  if (!target) {
    throw new EnvsnapError('CONFIG', `environment ${targetName} is not in ${input.project.file} (it has ${[...input.project.environments.keys()].join(', ')}): restore into one of them with --target NAME`);
  }
  const only = input.only && input.only.length > 0 ? input.only : input.include && input.include.length > 0 ? (['mounts'] as RestorePart[]) : undefined;
  const { specs } = environmentSources(target, { project: input.project });
  const steps = await restoreEnvironmentSnapshot(
    ctx,
    repo,
    {
      snapshot,
      target: { name: target.name, root: target.root },
      targetSources: specs,
      only,
      include: input.include,
      protect: protectedPaths(target),
      maintenance: input.noMaintenance || !(await shopExists(target, ctx)) ? undefined : maintenanceRunner(target, ctx),
    },
    confirm,
  );
  return { snapshot, target, steps };
}

/** A restore into an environment whose flag folder does not exist yet has no shop to take offline. */
async function shopExists(env: EnvironmentConfig, ctx: AppContext): Promise<boolean> {
  if (env.maintenance.kind !== 'flag') return true;
  try {
    await access(dirname(env.maintenance.flag));
    return true;
  } catch {
    ctx.logger.info(`${dirname(env.maintenance.flag)} does not exist yet: restoring ${env.name} without maintenance mode`);
    return false;
  }
}

/** Resolves a reference to an environment snapshot of the project ("latest" = the latest of env, if given). */
async function findEnvironmentSnapshot(repo: Repository, ref: string, project: string, env: string | undefined): Promise<Snapshot> {
  await repo.loadIndex();
  const ofProject = (s: Snapshot) => s.environment?.project === project && (env === undefined || s.env === env);
  if (ref === 'latest') {
    const last = (await listSnapshots(repo)).filter(ofProject).at(-1);
    if (!last) throw new EnvsnapError('NOT_FOUND', `no snapshot of ${env ? `environment ${env}` : `project ${project}`} yet: create one with "envsnap snapshot:create${env ? ` -e ${env}` : ''}"`);
    return last;
  }
  const snap = await resolveSnapshot(repo, ref);
  if (!snap.environment) throw new EnvsnapError('INVALID_ARGUMENT', `snapshot ${snap.id.slice(0, 8)} is a file snapshot, not an environment snapshot: restore it with --repo and --target DIR, without a project`);
  return snap;
}
