/**
 * restoreEnvironmentSnapshot: an environment snapshot (or a part of it) → an environment, its own or
 * another one (`--target staging`). Steps, in order: databases, then Redis, then the mounts, each
 * only when selected (`only`). Before anything is written the caller is shown what each step would
 * replace and must confirm; a database is loaded into a new schema by its sink and swapped in only
 * when complete (a Redis database into an empty db, swapped in with SWAPDB), so a failure leaves the
 * old data in place.
 *
 * Restoring into a different environment leaves that environment's own `app/etc/env.php` alone
 * (it holds the target's credentials and hosts, not the source's), and the maintenance flag file is
 * never restored.
 */
import { EnvsnapError } from '../core/errors.ts';
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { TreeEntryReader } from '../snapshot/entry-tree.ts';
import type { Snapshot, SourceRecord } from '../snapshot/manifest.ts';
import { Restorer, type RestoreSummary } from '../snapshot/restorer.ts';
import { resolveSubtree } from '../snapshot/tree-reader.ts';
import type { CaptureOptions, Sink } from '../sources/source.ts';
import type { AppContext } from './context.ts';
import type { MaintenanceRunner } from './create-environment-snapshot.ts';
import type { SourceSpec } from './environment-sources.ts';
import { RESTORE_PARTS, type RestorePart } from './restore-parts.ts';
import { describeFilesTarget, normalizeIncludes } from './restore-files-target.ts';


export interface EnvironmentRestoreInput {
  snapshot: Snapshot;
  target: { name: string; root: string };
  targetSources: SourceSpec[];
  /** Parts to restore; default all. */
  only?: RestorePart[];
  /** Mount paths to restore (relative to the root); default all of them. */
  include?: string[];
  /** Files never restored (relative to the root): the maintenance flag. */
  protect?: string[];
  maintenance?: MaintenanceRunner;
}

export interface RestoreStepResult {
  part: RestorePart;
  name: string;
  durationMs: number;
  files?: RestoreSummary;
}

/**
 * Asked once, before anything is written, with one line per non-empty target that would be
 * replaced; resolves false to cancel (nothing is written then).
 */
export type ConfirmReplace = (replaced: string[]) => Promise<boolean>;

function partOf(r: SourceRecord): RestorePart {
  return r.kind === 'files' ? 'mounts' : r.kind === 'redis' ? 'redis' : 'database';
}

export async function restoreEnvironmentSnapshot(ctx: AppContext, repo: Repository, input: EnvironmentRestoreInput, confirm: ConfirmReplace): Promise<RestoreStepResult[]> {
  const env = input.snapshot.environment;
  if (!env) throw new EnvsnapError('INVALID_ARGUMENT', `snapshot ${input.snapshot.id.slice(0, 8)} is a file snapshot, not an environment snapshot: restore it with "envsnap snapshot:restore ${input.snapshot.id.slice(0, 8)} --target DIR"`);
  const only = new Set(input.only && input.only.length > 0 ? input.only : RESTORE_PARTS);
  // A db snapshot (or any without files/) has no mounts: asking for them is a mistake, not a no-op.
  if ((only.has('mounts') && input.only?.length) || input.include?.length) {
    if (!env.sources.some((r) => r.kind === 'files')) {
      const short = input.snapshot.id.slice(0, 8);
      throw new EnvsnapError(
        'INVALID_ARGUMENT',
        `snapshot ${short} has no mounts (${env.backupType ? `backup type ${env.backupType}: ` : ''}it holds ${env.sources.map((r) => r.name).join(', ')}): restore its databases with --only database, or pick a system or db-media snapshot for the files (see "envsnap snapshot:list")`,
      );
    }
  }
  const records = env.sources.filter((r) => only.has(partOf(r)));
  if (records.length === 0) throw new EnvsnapError('INVALID_ARGUMENT', `snapshot ${input.snapshot.id.slice(0, 8)} holds nothing of ${[...only].join(', ')}: see "envsnap snapshot:info ${input.snapshot.id.slice(0, 8)}"`);
  const crossEnv = input.target.name !== input.snapshot.env;
  const opts: CaptureOptions = { logger: ctx.logger, progress: ctx.progress };

  // Every database and Redis source needs its counterpart in the target environment.
  const steps = records.map((record) => {
    if (record.kind === 'files') return { record, spec: undefined };
    const spec = input.targetSources.find((s) => s.kind === record.kind && s.id === record.id);
    if (!spec) {
      throw new EnvsnapError(
        'CONFIG',
        `environment ${input.target.name} has no ${record.kind} source "${record.id}" to restore ${record.name} into: add it to envsnap.yaml, or leave it out with --only`,
      );
    }
    return { record, spec };
  });
  // Databases first (the shop's state), then Redis (sessions/caches that refer to it), then files.
  const order: RestorePart[] = ['database', 'redis', 'mounts'];
  steps.sort((a, b) => order.indexOf(partOf(a.record)) - order.indexOf(partOf(b.record)));

  return withLock(repo, { exclusive: false, operation: 'restore', logger: ctx.logger }, async () => {
    await repo.loadIndex();
    const subtrees = new Map<string, string>();
    for (const { record } of steps) subtrees.set(record.path, await resolveSubtree(repo, input.snapshot.tree, record.path));

    const sinks: ((typeof steps)[number] & { sink?: Sink })[] = [];
    try {
      for (const s of steps) sinks.push({ ...s, sink: await s.spec?.createSink() });
      const opening = await Promise.allSettled(sinks.map((s) => s.sink?.open(opts)));
      const failed = opening.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const include = normalizeIncludes(input.include);
      const replaced: string[] = [];
      for (const s of sinks) {
        const d = s.sink ? await s.sink.describeTarget() : await describeFilesTarget(input.target.root, include ?? env.sources.find((r) => r.kind === 'files')?.details?.mounts as string[] | undefined);
        if (d) replaced.push(d);
      }
      if (replaced.length > 0 && !(await confirm(replaced))) {
        throw new EnvsnapError('TARGET_NOT_EMPTY', `restore cancelled: nothing was changed`);
      }
      const run = async (): Promise<RestoreStepResult[]> => {
        const results: RestoreStepResult[] = [];
        for (const s of sinks) {
          const from = ctx.clock.now();
          const part = partOf(s.record);
          const tree = subtrees.get(s.record.path)!;
          if (s.sink) {
            ctx.logger.info(`restoring ${s.record.name} into ${s.sink.name}`);
            await s.sink.restore(await TreeEntryReader.open(repo, tree), { ...opts, details: s.record.details ?? {} });
            results.push({ part, name: s.record.name, durationMs: ctx.clock.now() - from });
          } else {
            const skip = new Set(input.protect ?? []);
            if (crossEnv) skip.add('app/etc/env.php');
            ctx.logger.info(`restoring the mounts into ${input.target.root}${skip.size ? ` (keeping the target's ${[...skip].join(', ')})` : ''}`);
            const restorer = new Restorer(repo, {
              target: input.target.root,
              include,
              exclude: [...skip],
              overwrite: 'always',
              logger: ctx.logger,
              progress: ctx.progress,
            });
            const files = await restorer.run(tree);
            results.push({ part, name: 'mounts', durationMs: ctx.clock.now() - from, files });
          }
        }
        return results;
      };
      if (input.maintenance) {
        const r = await input.maintenance.run(run);
        if (r.offFailed) {
          throw new EnvsnapError('SOURCE_FAILED', `the restore finished, but maintenance mode of ${input.target.name} could not be switched off (${input.maintenance.description}): switch it off by hand now`);
        }
        return r.result;
      }
      return await run();
    } finally {
      await Promise.all(sinks.map((s) => s.sink?.close().catch(() => {})));
    }
  });
}
