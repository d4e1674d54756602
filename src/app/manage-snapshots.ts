/**
 * Listing, inspecting, deleting and pinning snapshots. Delete removes the manifest and then the
 * snapshot's pin; prune reclaims the data (and any pin a delete interrupted between the two left
 * behind). A pin keeps a snapshot whatever the retention policy says (snapshot/pins.ts).
 */
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { deleteSnapshot, listSnapshots, resolveSnapshot, type Snapshot } from '../snapshot/manifest.ts';
import { diffSnapshots, type DiffResult } from '../snapshot/diff.ts';
import { listPins, loadPin, pinSnapshot, unpinSnapshot, type PinRecord } from '../snapshot/pins.ts';
import type { ProjectConfig } from '../config/project-config.ts';
import type { RetentionDecision } from '../policy/retention.ts';
import { decideRetention } from './retention-view.ts';
import type { AppContext } from './context.ts';
import { dataProblems, type NotRestorable } from './restorability.ts';

export async function listAllSnapshots(repo: Repository, filter?: { env?: string; path?: string }): Promise<Snapshot[]> {
  const all = await listSnapshots(repo);
  return all.filter((s) => (!filter?.env || s.env === filter.env) && (!filter?.path || s.paths.includes(filter.path)));
}

export interface ListedSnapshot {
  snapshot: Snapshot;
  pinned: boolean;
  /** What the retention policy decides now; undefined when no policy governs the snapshot (file snapshots, no envsnap.yaml). */
  retention?: RetentionDecision;
  /** Why it cannot be restored (expired, data missing or damaged); undefined when it can (restorability.ts). */
  notRestorable?: NotRestorable;
}

/**
 * The snapshots (oldest first, filtered like listAllSnapshots) with their pins, given a project the
 * retention decision at the clock's now, and whether each can be restored.
 */
export async function listSnapshotsWithRetention(ctx: AppContext, repo: Repository, project: ProjectConfig | undefined, filter?: { env?: string; path?: string }): Promise<ListedSnapshot[]> {
  const all = await listSnapshots(repo);
  const pins = await listPins(repo);
  // Decided over every snapshot, not the filtered ones: retention looks at an environment's whole history.
  const decisions = new Map(project ? decideRetention(project, all, pins, ctx.clock.now()).map((r) => [r.snapshot.id, r.decision]) : []);
  const shown = all.filter((s) => (!filter?.env || s.env === filter.env) && (!filter?.path || s.paths.includes(filter.path)));
  const unexpired = shown.filter((s) => decisions.get(s.id)?.keep !== false);
  const problems = await dataProblems(ctx, repo, unexpired);
  return shown.map((snapshot) => {
    const retention = decisions.get(snapshot.id);
    const notRestorable: NotRestorable | undefined = retention?.keep === false ? { cause: 'expired' } : problems.get(snapshot.id);
    return { snapshot, pinned: pins.has(snapshot.id), retention, ...(notRestorable ? { notRestorable } : {}) };
  });
}

export interface SnapshotInfo {
  snapshot: Snapshot;
  /** The snapshot's pin (when it was pinned); undefined when it is not pinned. */
  pin?: PinRecord;
}

/** The snapshot `ref` names (id, prefix or "latest") and its pin. */
export async function snapshotInfo(repo: Repository, ref: string): Promise<SnapshotInfo> {
  const snapshot = await resolveSnapshot(repo, ref);
  return { snapshot, pin: await loadPin(repo, snapshot.id) };
}

export async function deleteSnapshots(ctx: AppContext, repo: Repository, refs: string[]): Promise<Snapshot[]> {
  return withLock(repo, { exclusive: false, operation: 'delete', logger: ctx.logger }, async () => {
    const snaps: Snapshot[] = [];
    for (const ref of refs) snaps.push(await resolveSnapshot(repo, ref));
    for (const s of snaps) {
      // Manifest first: interrupted in between, the snapshot is gone and the stale pin is harmless (prune removes it).
      await deleteSnapshot(repo, s.id);
      await unpinSnapshot(repo, s.id);
    }
    return snaps;
  });
}

/** What changed from snapshot a to b (ids, prefixes or "latest"). */
export async function diffSnapshotRefs(repo: Repository, refA: string, refB: string): Promise<DiffResult> {
  await repo.loadIndex();
  return diffSnapshots(repo, await resolveSnapshot(repo, refA), await resolveSnapshot(repo, refB));
}

/** Pins (or with `pinned` false, unpins) the snapshots `refs` name; returns them. Idempotent. */
export async function setPinned(ctx: AppContext, repo: Repository, refs: string[], pinned: boolean): Promise<Snapshot[]> {
  return withLock(repo, { exclusive: false, operation: pinned ? 'pin' : 'unpin', logger: ctx.logger }, async () => {
    const snaps: Snapshot[] = [];
    for (const ref of refs) snaps.push(await resolveSnapshot(repo, ref));
    for (const s of snaps) await (pinned ? pinSnapshot(repo, s.id, ctx.clock.now()) : unpinSnapshot(repo, s.id));
    return snaps;
  });
}
