/** restoreSnapshot: a snapshot (or part of it) → a directory, under a shared lock. */
import { resolve } from 'node:path';
import { withLock } from '../repo/lock.ts';
import { optimizeForSize } from '../core/v8-tuning.ts';
import type { Repository } from '../repo/repository.ts';
import { resolveSnapshot, type Snapshot } from '../snapshot/manifest.ts';
import { Restorer, type OverwriteMode, type RestoreSummary } from '../snapshot/restorer.ts';
import { normalizePaths } from './create-snapshot.ts';
import type { AppContext } from './context.ts';

export interface RestoreSnapshotInput {
  snapshot: string;
  /** Target directory; default: the snapshot's own root (in place). */
  target?: string;
  include?: string[];
  overwrite?: OverwriteMode;
}

export async function restoreSnapshot(ctx: AppContext, repo: Repository, input: RestoreSnapshotInput): Promise<{ snapshot: Snapshot; target: string; summary: RestoreSummary }> {
  if (repo.store.localPath) optimizeForSize();
  return withLock(repo, { exclusive: false, operation: 'restore', logger: ctx.logger }, async () => {
    await repo.loadIndex();
    const snapshot = await resolveSnapshot(repo, input.snapshot);
    const target = resolve(input.target ?? snapshot.root);
    const include = input.include && input.include.length > 0 ? normalizePaths(snapshot.root, input.include.map((p) => p.replace(/^\/+/, ''))) : undefined;
    const restorer = new Restorer(repo, {
      target,
      include: include && !include.includes('.') ? include : undefined,
      overwrite: input.overwrite ?? 'always',
      logger: ctx.logger,
      progress: ctx.progress,
    });
    const summary = await restorer.run(snapshot.tree);
    return { snapshot, target, summary };
  });
}
