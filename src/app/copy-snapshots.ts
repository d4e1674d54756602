/**
 * copySnapshots: snapshots of one repository into another (a directory, an S3 bucket — whatever
 * openRepository opens), re-encrypted for the destination's keys and sending only the blobs the
 * destination lacks (snapshot/copier.ts does the blobs and trees). Both repositories are held under
 * a shared lock, as a snapshot holds its one.
 *
 * Identity and resume:
 *  - A copy keeps its snapshot's id: the same id names the same snapshot in every repository, and
 *    `copiedFrom` in the manifest records the source repository and when. A snapshot whose id the
 *    destination already lists is skipped, so copy is idempotent; snapshot ids are 32 random bytes, so
 *    an id never stands for two different snapshots.
 *  - Per snapshot the write order is that of a snapshot: blobs into packs, the index, then the
 *    manifest — the commit. A copy that is interrupted leaves packs but no snapshot; the next run
 *    adopts those packs (as snapshot:create does) and stores only what is still missing.
 *
 * copyToConfiguredRepository is the `copy_to:` setting of an environment: after each automatic
 * snapshot, every snapshot of the environment that the second repository lacks is copied there; a
 * failure is a warning and leaves the snapshot alone, and the next run copies what is missing.
 */
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import { shortId } from '../core/ids.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { EnvironmentConfig, ProjectConfig } from '../config/project-config.ts';
import { withLock, type LockCheck } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { BlobIdMap, TreeCopier, type TreePair } from '../snapshot/copier.ts';
import { listSnapshotIds, listSnapshots, loadSnapshot, resolveSnapshot, saveSnapshot, type Snapshot, type SnapshotManifest } from '../snapshot/manifest.ts';
import type { AppContext, RepoRef } from './context.ts';
import { openRepository } from './open-repository.ts';
import { repoRef } from './repo-ref.ts';

export interface CopySelection {
  /** Only snapshots of this environment (and of this project, when given). */
  env?: string;
  project?: string;
  /** Ids, unique prefixes or "latest" (the latest of `env` when given); default every snapshot. */
  snapshots?: string[];
}

export interface CopiedSnapshot {
  id: string;
  time: string;
  env?: string;
  status: 'copied' | 'skipped';
  /** Blobs newly stored in the destination: how many, their plaintext bytes, and their stored (uploaded) bytes. */
  newBlobs: number;
  addedBytes: number;
  uploadedBytes: number;
  /** Data blobs read from the source; the others were matched with what the destination already had. */
  readBlobs: number;
  /** The root tree in the destination (copied snapshots). */
  tree?: string;
}

export interface CopyResult {
  snapshots: CopiedSnapshot[];
  /** Packs an interrupted earlier run left in the destination, now indexed and reused. */
  adoptedPacks: number;
}

export async function copySnapshots(ctx: AppContext, src: Repository, dst: Repository, selection: CopySelection = {}): Promise<CopyResult> {
  if (src.config.id === dst.config.id) {
    throw new EnvsnapError('INVALID_ARGUMENT', `${dst.store.location} is the source repository itself (repository ${shortId(src.config.id)}): give another --to`);
  }
  const lock = { exclusive: false, operation: 'copy', logger: ctx.logger };
  return withLock(src, lock, () =>
    withLock(dst, lock, async (dstLock) => {
      const all = await listSnapshots(src);
      const chosen = await selectSnapshots(src, all, selection);
      await src.loadIndex();
      await dst.loadIndex();
      const adoptedPacks = await dst.adoptUnindexedPacks(dstLock);
      if (adoptedPacks > 0) ctx.logger.info(`reusing ${adoptedPacks} pack(s) left in ${dst.store.location} by an interrupted run`);
      const present = new Set(await listSnapshotIds(dst));
      const ids = new BlobIdMap();
      const snapshots: CopiedSnapshot[] = [];
      for (const snap of chosen) {
        if (present.has(snap.id)) {
          snapshots.push({ id: snap.id, time: snap.time, env: snap.env, status: 'skipped', newBlobs: 0, addedBytes: 0, uploadedBytes: 0, readBlobs: 0 });
          continue;
        }
        ctx.logger.info(`copying snapshot ${shortId(snap.id)} of ${snap.time}${snap.env ? ` (${snap.env})` : ''}`);
        const ref = await referencePair(dst, all, snap, present);
        snapshots.push(await copyOne(ctx, src, dst, snap, ref, ids, dstLock));
        present.add(snap.id);
      }
      return { snapshots, adoptedPacks };
    }),
  );
}

async function copyOne(ctx: AppContext, src: Repository, dst: Repository, snap: Snapshot, ref: TreePair | undefined, ids: BlobIdMap, dstLock: LockCheck): Promise<CopiedSnapshot> {
  const saver = dst.newSaver({ lock: dstLock });
  const copier = new TreeCopier(src, dst, saver, { progress: ctx.progress, ids });
  let tree: string;
  try {
    tree = await copier.copyTree(snap.tree, ref);
    // Every blob durable and indexed before the manifest names them.
    await saver.finish();
  } catch (err) {
    await saver.abort();
    throw err;
  }
  const { id, ...fields } = snap;
  const manifest: SnapshotManifest = { ...fields, tree, copiedFrom: { repository: src.config.id, time: new Date(ctx.clock.now()).toISOString() } };
  await saveSnapshot(dst, manifest, dstLock, id);
  ctx.progress.done();
  return {
    id,
    time: snap.time,
    env: snap.env,
    status: 'copied',
    newBlobs: saver.stats.newBlobs,
    addedBytes: saver.stats.newBytes,
    uploadedBytes: saver.stats.storedBytes,
    readBlobs: copier.stats.readBlobs,
    tree,
  };
}

/** The snapshots to copy, oldest first. */
async function selectSnapshots(src: Repository, all: Snapshot[], sel: CopySelection): Promise<Snapshot[]> {
  const wanted = (s: Snapshot) => (sel.env === undefined || s.env === sel.env) && (sel.project === undefined || s.environment?.project === sel.project);
  if (!sel.snapshots || sel.snapshots.length === 0) return all.filter(wanted);
  const out = new Map<string, Snapshot>();
  for (const ref of sel.snapshots) {
    const s = await resolveSnapshot(src, ref, wanted);
    if (!wanted(s)) {
      throw new EnvsnapError('INVALID_ARGUMENT', `snapshot ${shortId(s.id)} is ${s.env ? `of environment ${s.env}` : 'a file snapshot'}, not of ${sel.env}: leave out -e, or name a snapshot of ${sel.env}`);
    }
    out.set(s.id, s);
  }
  return [...out.values()].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

/**
 * A snapshot already in both repositories to match unchanged data against (see copier.ts): the
 * snapshot's parent when it was copied, else the latest copied one of the same environment and root
 * taken before it (or after it, when none was).
 */
async function referencePair(dst: Repository, sourceSnapshots: Snapshot[], snap: Snapshot, present: Set<string>): Promise<TreePair | undefined> {
  const both = sourceSnapshots.filter((s) => s.id !== snap.id && present.has(s.id));
  const alike = both.filter((s) => s.env === snap.env && s.root === snap.root);
  const ref =
    both.find((s) => s.id === snap.parent) ?? alike.filter((s) => s.time <= snap.time).at(-1) ?? alike.at(0) ?? both.filter((s) => s.time <= snap.time).at(-1);
  if (!ref) return undefined;
  try {
    return { src: ref.tree, dst: (await loadSnapshot(dst, ref.id)).tree };
  } catch (err) {
    if (isEnvsnapError(err, 'NOT_FOUND') || isEnvsnapError(err, 'CORRUPT')) return undefined; // deleted meanwhile, or damaged: copy without
    throw err;
  }
}

/**
 * Opens the repository to copy to, turning "no repository" and "wrong password" into messages about
 * the destination: `passwordHint` says where its password comes from.
 */
export async function openDestination(ctx: AppContext, ref: RepoRef, passwordHint: string): Promise<Repository> {
  try {
    return await openRepository(ctx, ref);
  } catch (err) {
    if (isEnvsnapError(err, 'NO_REPOSITORY')) {
      throw new EnvsnapError(
        'NO_REPOSITORY',
        `no repository to copy to at ${ref.location}: create it first with "envsnap init --repo ${ref.location}" (with its own password in ENVSNAP_PASSWORD), then copy again`,
        { cause: err },
      );
    }
    if (isEnvsnapError(err, 'WRONG_PASSWORD')) {
      throw new EnvsnapError('WRONG_PASSWORD', `wrong password for the destination repository ${ref.location}: ${passwordHint}`, { cause: err });
    }
    throw err;
  }
}

/**
 * The `copy_to:` setting: copies every snapshot of `env` that its copy repository lacks (the new one
 * and any an earlier failure left behind). Never throws: a failure is logged as a warning, and the
 * snapshot in `repo` stays as it is. Returns what was done, or undefined when nothing could be.
 */
export async function copyToConfiguredRepository(ctx: AppContext, repo: Repository, project: ProjectConfig, env: EnvironmentConfig): Promise<CopyResult | undefined> {
  const target = env.copyTo;
  if (!target) return undefined;
  try {
    const password = resolveSecret(target.password, `the password of copy_to of environment ${env.name}`);
    const dst = await openDestination(ctx, repoRef(target.repository, password, project), `check password_env / password_file under copy_to of environment ${env.name} in envsnap.yaml`);
    let result: CopyResult;
    try {
      result = await copySnapshots(ctx, repo, dst, { env: env.name, project: project.project });
    } finally {
      await dst.close();
    }
    const copied = result.snapshots.filter((s) => s.status === 'copied');
    if (copied.length > 0) ctx.logger.info(`copied ${copied.length} snapshot(s) of ${env.name} to ${target.repository} (copy_to): ${copied.map((s) => shortId(s.id)).join(', ')}`);
    return result;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    ctx.logger.warn(
      `could not copy the snapshots of ${env.name} to ${target.repository} (copy_to): ${message}; the snapshot is kept here, and the next automatic snapshot copies what is missing (or run "envsnap -e ${env.name} copy")`,
    );
    return undefined;
  }
}
