/** Listing, inspecting and deleting snapshots. Delete removes only the manifest; prune reclaims the data. */
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { deleteSnapshot, listSnapshots, resolveSnapshot, type Snapshot } from '../snapshot/manifest.ts';
import { diffSnapshots, type DiffResult } from '../snapshot/diff.ts';
import type { AppContext } from './context.ts';

export async function listAllSnapshots(repo: Repository, filter?: { env?: string; path?: string }): Promise<Snapshot[]> {
  const all = await listSnapshots(repo);
  return all.filter((s) => (!filter?.env || s.env === filter.env) && (!filter?.path || s.paths.includes(filter.path)));
}

export async function snapshotInfo(repo: Repository, ref: string): Promise<Snapshot> {
  return resolveSnapshot(repo, ref);
}

export async function deleteSnapshots(ctx: AppContext, repo: Repository, refs: string[]): Promise<Snapshot[]> {
  return withLock(repo, { exclusive: false, operation: 'delete', logger: ctx.logger }, async () => {
    const snaps: Snapshot[] = [];
    for (const ref of refs) snaps.push(await resolveSnapshot(repo, ref));
    for (const s of snaps) await deleteSnapshot(repo, s.id);
    return snaps;
  });
}

/** What changed from snapshot a to b (ids, prefixes or "latest"). */
export async function diffSnapshotRefs(repo: Repository, refA: string, refB: string): Promise<DiffResult> {
  await repo.loadIndex();
  return diffSnapshots(repo, await resolveSnapshot(repo, refA), await resolveSnapshot(repo, refB));
}
