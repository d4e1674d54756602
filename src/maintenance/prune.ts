/**
 * Prune: reclaims the space of blobs no snapshot uses, under an exclusive lock. Plan, then act in an
 * order where stopping between any two steps (kill -9, full disk) leaves every snapshot restorable and
 * check free of errors:
 *
 *   plan     read index files, list packs and snapshots, walk every snapshot tree to collect the used
 *            blob ids (any unreadable snapshot or tree, or used blob not found: stop, nothing changed);
 *            classify packs: fully used → keep; fully unused → delete; partly used with more than
 *            maxUnusedPercent unused bytes → repack; in the store but in no index → delete, unless a
 *            snapshot uses a blob in it (an index file was lost) — then it is treated like any pack —
 *            or it is younger than the prune.unreferenced-min-age margin (by the store's time for it):
 *            then it may be a writer's upload whose index is not written yet, and it stays as it is.
 *   repack   copy the used blobs of repacked packs into new packs, sealed bytes as they are (a blob's
 *            associated data binds its type and id, not its pack), each verified on the way.
 *            Stopped here: the new packs are unindexed leftovers.
 *   index    write ONE index file listing every kept and new pack. Stopped here: old and new index
 *            files overlap, which is harmless.
 *   unindex  delete the old index files. Stopped here: obsolete packs are unindexed leftovers.
 *   delete   delete the obsolete packs, then stale temp files of interrupted writes, then pins whose
 *            snapshot was deleted (pins/, see FORMAT.md).
 *
 * Before each step that changes the index or deletes, prune verifies that its own lock still holds
 * (it may have stalled long enough for another host to judge it stale).
 * Unindexed leftovers are what check reports as warnings; a prune once they are older than the margin removes them.
 * After a prune the Repository's in-memory index (if it was loaded) is stale: reopen the repository.
 * The steps are exported so tests can stop between them as a crash would.
 */
import { mapLimit } from '../core/async.ts';
import type { Clock } from '../core/clock.ts';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import { isHexId, shortId } from '../core/ids.ts';
import type { Logger, Progress } from '../core/logger.ts';
import { Names, idOf, type BlobStore } from '../storage/blob-store.ts';
import { BlobType } from '../repo/blob.ts';
import { writeIndexFile } from '../repo/blob-saver.ts';
import { MasterIndex, type IndexPack } from '../repo/index.ts';
import { withLock } from '../repo/lock.ts';
import { PackWriter } from '../repo/pack-writer.ts';
import { formatSpan } from '../repo/safety-margins.ts';
import type { PackEntry } from '../repo/pack.ts';
import type { Repository } from '../repo/repository.ts';
import { listSnapshotIds, loadSnapshot } from '../snapshot/manifest.ts';
import { listPins, unpinSnapshot } from '../snapshot/pins.ts';
import { reason, walkTrees } from '../snapshot/walk.ts';

export interface PruneOptions {
  /** Report what would be done; change nothing. */
  dryRun?: boolean;
  /** A partly used pack is repacked when more than this percentage of it is unused; default 5. */
  maxUnusedPercent?: number;
  logger: Logger;
  progress?: Progress;
  clock: Clock;
}

export interface PruneStats {
  /** Packs deleted whole because nothing in them is used (including unindexed leftovers). */
  packsDeleted: number;
  /** Partly used packs whose used blobs were copied into new packs, then deleted. */
  packsRepacked: number;
  packsKept: number;
  /** New packs written by repacking. */
  packsWritten: number;
  /** Of packsDeleted, the ones no index listed. */
  unindexedPacksDeleted: number;
  /** Packs no index lists left in place for being younger than prune.unreferenced-min-age (or of unknown age). */
  youngPacksKept: number;
  /** Packs the index named that were already missing from the store; dropped from the index. */
  missingPacksDropped: number;
  /** Pack bytes deleted minus pack bytes written (estimated for a dry run). */
  bytesFreed: number;
  /** Stored bytes copied by repacking. */
  bytesRepacked: number;
  /** Distinct blobs no longer in the repository. */
  blobsRemoved: number;
  /** Old index files replaced by the new one. */
  indexFilesReplaced: number;
  tempFilesRemoved: number;
  /** Pins of snapshots that no longer exist. */
  stalePinsRemoved: number;
  dryRun: boolean;
}

export interface PackPlan {
  packId: string;
  size: number;
}

export interface PrunePlan {
  /** Index files present when planning; all are replaced when `rewriteIndex`. */
  indexFiles: string[];
  /** Packs kept as they are, with every entry they hold (listed whole in the new index). */
  keep: Map<string, PackEntry[]>;
  /** Partly used packs and the used entries to copy out of them (blobs also in a kept pack are not copied). */
  repack: (PackPlan & { copy: PackEntry[] })[];
  /** Packs to delete whole: unused indexed packs and unindexed leftovers. */
  remove: (PackPlan & { indexed: boolean })[];
  /** Packs an index names that are not in the store. */
  missing: string[];
  /** Unindexed packs nothing uses, left in place because they are younger than the margin. */
  young: number;
  /** Whether a new index must replace the old ones (something indexed goes away, or an unindexed pack is kept). */
  rewriteIndex: boolean;
  /** Every blob id (hex) some snapshot uses. */
  used: Set<string>;
  blobsRemoved: number;
  snapshots: number;
  trees: number;
}

/** Temp files younger than this may belong to a write still running elsewhere. */
const DAY_MS = 24 * 60 * 60 * 1000;

export async function pruneRepository(repo: Repository, opts: PruneOptions): Promise<PruneStats> {
  const dryRun = opts.dryRun === true;
  // A dry run changes nothing, so a shared lock is enough; packs a running snapshot is writing then show up as unindexed leftovers.
  return withLock(repo, { exclusive: !dryRun, operation: dryRun ? 'prune --dry-run' : 'prune', logger: opts.logger }, async (lock) => {
    const plan = await planPrune(repo, opts);
    const stats = planStats(plan, dryRun);
    if (dryRun) {
      opts.progress?.done();
      return stats;
    }
    const newPacks = await repackPacks(repo, plan, opts);
    stats.packsWritten = newPacks.length;
    const written = newPacks.reduce((n, p) => n + p.size, 0);
    stats.bytesFreed = removedBytes(plan) - written;
    await lock.verify();
    await writePrunedIndex(repo, plan, newPacks, opts.logger);
    await lock.verify();
    await deleteOldIndexFiles(repo, plan, opts.logger);
    await lock.verify();
    await deleteObsoletePacks(repo, plan, opts.logger);
    stats.tempFilesRemoved = await removeStaleTempFiles(repo.store, opts.clock);
    stats.stalePinsRemoved = await removeStalePins(repo);
    opts.progress?.done();
    opts.logger.info(
      `prune done: ${stats.packsDeleted} pack(s) deleted, ${stats.packsRepacked} repacked into ${stats.packsWritten}, ${stats.packsKept} kept, ${stats.bytesFreed} bytes freed`,
    );
    return stats;
  });
}

function removedBytes(plan: PrunePlan): number {
  return plan.remove.reduce((n, p) => n + p.size, 0) + plan.repack.reduce((n, p) => n + p.size, 0);
}

function planStats(plan: PrunePlan, dryRun: boolean): PruneStats {
  // For a dry run the new packs are estimated as the bytes copied (their trailers are a few bytes per blob).
  const bytesRepacked = plan.repack.reduce((n, p) => n + p.copy.reduce((m, e) => m + e.length, 0), 0);
  return {
    packsDeleted: plan.remove.length,
    packsRepacked: plan.repack.length,
    packsKept: plan.keep.size,
    packsWritten: 0,
    unindexedPacksDeleted: plan.remove.filter((p) => !p.indexed).length,
    youngPacksKept: plan.young,
    missingPacksDropped: plan.rewriteIndex ? plan.missing.length : 0,
    bytesFreed: removedBytes(plan) - bytesRepacked,
    bytesRepacked,
    blobsRemoved: plan.blobsRemoved,
    indexFilesReplaced: plan.rewriteIndex ? plan.indexFiles.length : 0,
    tempFilesRemoved: 0,
    stalePinsRemoved: 0,
    dryRun,
  };
}

interface Candidate {
  packId: string;
  size: number;
  /** Distinct entries (by id). */
  entries: PackEntry[];
  indexed: boolean;
  /** Unindexed and younger than the margin: never deleted or repacked. */
  young: boolean;
}

/** Step (a) and (b): everything prune needs to know, read-only. Throws (changing nothing) when it is not safe to go on. */
export async function planPrune(repo: Repository, opts: { maxUnusedPercent?: number; logger: Logger; progress?: Progress; clock: Clock }): Promise<PrunePlan> {
  const maxUnused = opts.maxUnusedPercent ?? 5;
  if (!(maxUnused >= 0 && maxUnused <= 100)) {
    throw new EnvsnapError('INVALID_ARGUMENT', `max unused ${maxUnused}% is out of range: give a percentage from 0 to 100`);
  }
  const { logger } = opts;

  // -- index files: every one must open, or packs it lists would look like deletable leftovers.
  logger.info('loading index files');
  const indexFiles = await repo.listIndexFiles();
  const fromIndex = new Map<string, Map<string, PackEntry>>();
  const perFile = await mapLimit(indexFiles, 8, async (name) => {
    try {
      return await repo.readIndexFile(name);
    } catch (err) {
      if (!isEnvsnapError(err, 'CORRUPT')) throw err; // storage trouble speaks for itself
      throw new EnvsnapError(
        'CORRUPT',
        `prune stopped before changing anything: index file ${name} cannot be read (${reason(err)}); run "envsnap check"`,
        { cause: err },
      );
    }
  });
  for (const packs of perFile) {
    for (const p of packs) {
      let m = fromIndex.get(p.packId);
      if (!m) fromIndex.set(p.packId, (m = new Map()));
      for (const e of p.entries) if (!m.has(e.id.toString('hex'))) m.set(e.id.toString('hex'), e);
    }
  }

  // -- packs in the store; unindexed ones are read by header in case a lost index file listed them.
  const stored = await repo.listPackInfos();
  const missing = [...fromIndex.keys()].filter((id) => !stored.has(id));
  if (missing.length > 0) logger.warn(`${missing.length} pack(s) named in the index are missing from the repository: ${missing.map(shortId).join(', ')}`);
  const candidates: Candidate[] = [];
  for (const [packId, m] of fromIndex) {
    const size = stored.get(packId)?.size;
    if (size !== undefined) candidates.push({ packId, size, entries: [...m.values()], indexed: true, young: false });
  }
  const remove: (PackPlan & { indexed: boolean })[] = [];
  const minAge = repo.margins.unreferencedMinAgeMs;
  const now = opts.clock.now();
  const unindexed = [...stored.values()].filter((b) => !fromIndex.has(idOf(b.name)));
  const undated = unindexed.filter((b) => b.modified === undefined).length;
  if (undated > 0) logger.warn(`${undated} pack(s) no index lists are kept: ${repo.store.location} does not report when they were written, so they may be uploads still in progress`);
  let young = 0;
  await mapLimit(unindexed, 8, async ({ name, size, modified }) => {
    const packId = idOf(name);
    const isYoung = modified === undefined || now - modified < minAge;
    try {
      candidates.push({ packId, size, entries: dedupe(await repo.readPackHeader(packId, size)), indexed: false, young: isYoung });
    } catch (err) {
      if (!isEnvsnapError(err, 'CORRUPT')) throw err;
      // A damaged header of an unindexed pack: a leftover nothing can use (a snapshot needing it is caught below).
      if (isYoung) young++;
      else remove.push({ packId, size, indexed: false });
    }
  });
  // Indexed packs first, so lookups prefer them; the order also makes the choice of copies deterministic.
  candidates.sort((a, b) => Number(b.indexed) - Number(a.indexed) || a.packId.localeCompare(b.packId));
  const lookup = new MasterIndex();
  for (const c of candidates) lookup.addPack(c.packId, c.entries);

  // -- snapshots: one that cannot be read might use anything, so nothing could be deleted safely.
  logger.info('loading snapshots');
  const roots = new Set<string>();
  const snapshotIds = await listSnapshotIds(repo);
  let snapshots = 0;
  await mapLimit(snapshotIds, 8, async (id) => {
    try {
      const s = await loadSnapshot(repo, id);
      if (typeof s.tree !== 'string' || !isHexId(s.tree)) throw new EnvsnapError('CORRUPT', 'it names no valid tree');
      roots.add(s.tree);
      snapshots++;
    } catch (err) {
      if (isEnvsnapError(err, 'NOT_FOUND')) return; // deleted meanwhile (only possible in a dry run)
      if (!isEnvsnapError(err, 'CORRUPT') && !(err instanceof SyntaxError)) throw err;
      throw new EnvsnapError(
        'CORRUPT',
        `prune stopped before changing anything: snapshot ${shortId(id)} cannot be read (${reason(err)}); delete it with "envsnap snapshot:delete ${shortId(id)}" or run "envsnap check"`,
        { cause: err },
      );
    }
  });

  // -- used blobs
  logger.info(`finding the blobs ${snapshots} snapshot(s) use`);
  const used = new Set<string>();
  const lost: string[] = [];
  const walk = await walkTrees(
    repo,
    roots,
    (treeId, tree, at) => {
      used.add(treeId);
      for (const n of tree.nodes) {
        if (n.type !== 'file' || !Array.isArray(n.content)) continue;
        for (const chunk of n.content) {
          if (used.has(chunk)) continue;
          used.add(chunk);
          const loc = isHexId(chunk) ? lookup.get(Buffer.from(chunk, 'hex')) : undefined;
          if (!loc || loc.type !== BlobType.data) {
            lost.push(`data blob ${shortId(chunk)} of ${at.path ? `${at.path}/` : ''}${n.name}${loc ? ' is indexed as a tree' : ''}`);
          }
        }
      }
      opts.progress?.update({ phase: 'prune: finding used blobs', files: used.size, bytes: 0 });
    },
    { index: lookup },
  );
  if (walk.problems.length > 0) {
    const p = walk.problems[0];
    throw new EnvsnapError(
      'CORRUPT',
      `prune stopped before changing anything: tree ${shortId(p.treeId)} (at ${p.path || '/'} of a snapshot) cannot be loaded (${p.message})` +
        `${walk.problems.length > 1 ? ` (and ${walk.problems.length - 1} more tree problem(s))` : ''}; run "envsnap check" to find the damaged snapshots and delete them`,
    );
  }
  if (lost.length > 0) {
    throw new EnvsnapError(
      'CORRUPT',
      `prune stopped before changing anything: ${lost.length} data blob(s) used by snapshots are in no pack (${lost.slice(0, 3).join('; ')}${lost.length > 3 ? '; …' : ''}); run "envsnap check" to find the damaged snapshots and delete them`,
    );
  }

  // -- classify. Each used blob counts as used in one pack only, so a pack holding nothing but
  // copies of blobs kept elsewhere (left by an interrupted prune) is deleted, not kept.
  const chosen = new Map<string, string>();
  const complete = (c: Candidate) => c.entries.every((e) => used.has(e.id.toString('hex')));
  for (const pass of [true, false]) {
    for (const c of candidates) {
      if (complete(c) !== pass) continue;
      for (const e of c.entries) {
        const hex = e.id.toString('hex');
        if (used.has(hex) && !chosen.has(hex)) chosen.set(hex, c.packId);
      }
    }
  }
  const keep = new Map<string, PackEntry[]>();
  const partly: (PackPlan & { used: PackEntry[] })[] = [];
  for (const c of candidates) {
    const mine = c.entries.filter((e) => chosen.get(e.id.toString('hex')) === c.packId);
    if (c.young && mine.length === 0) {
      young++; // perhaps a writer's upload: left as it is, unindexed
    } else if (mine.length === 0) {
      remove.push({ packId: c.packId, size: c.size, indexed: c.indexed });
    } else if (mine.length === c.entries.length || c.young) {
      keep.set(c.packId, c.entries);
    } else {
      const usedBytes = mine.reduce((n, e) => n + e.length, 0);
      const allBytes = c.entries.reduce((n, e) => n + e.length, 0);
      if (((allBytes - usedBytes) / c.size) * 100 > maxUnused) partly.push({ packId: c.packId, size: c.size, used: mine });
      else keep.set(c.packId, c.entries);
    }
  }
  const keptIds = new Set<string>();
  for (const entries of keep.values()) for (const e of entries) keptIds.add(e.id.toString('hex'));
  const repack = partly.map((p) => ({ packId: p.packId, size: p.size, copy: p.used.filter((e) => !keptIds.has(e.id.toString('hex'))) }));

  // -- what goes away
  const after = new Set(keptIds);
  for (const p of repack) for (const e of p.copy) after.add(e.id.toString('hex'));
  for (const id of used) {
    if (!after.has(id)) throw new Error(`internal error: prune planned to drop the used blob ${shortId(id)}; nothing was changed`);
  }
  const before = new Set<string>();
  for (const m of fromIndex.values()) for (const hex of m.keys()) before.add(hex);
  let blobsRemoved = 0;
  for (const hex of before) if (!after.has(hex)) blobsRemoved++;

  const rewriteIndex = repack.length > 0 || missing.length > 0 || remove.some((p) => p.indexed) || candidates.some((c) => !c.indexed && keep.has(c.packId));
  const plan: PrunePlan = { indexFiles, keep, repack, remove, missing, young, rewriteIndex, used, blobsRemoved, snapshots, trees: walk.trees };
  logger.info(
    `plan: keep ${keep.size} pack(s), repack ${repack.length}, delete ${remove.length}${rewriteIndex ? `, replace ${indexFiles.length} index file(s)` : ''}`,
  );
  if (young > 0) {
    logger.info(`keeping ${young} pack(s) no index lists: younger than prune.unreferenced-min-age (${formatSpan(minAge)}), they may be uploads of a snapshot still running`);
  }
  return plan;
}

function dedupe(entries: PackEntry[]): PackEntry[] {
  const m = new Map<string, PackEntry>();
  for (const e of entries) if (!m.has(e.id.toString('hex'))) m.set(e.id.toString('hex'), e);
  return [...m.values()];
}

/** Step (c): copies the used blobs of repacked packs into new packs; returns the packs written (unindexed until step d). */
export async function repackPacks(
  repo: Repository,
  plan: PrunePlan,
  opts: { logger: Logger; progress?: Progress },
): Promise<(IndexPack & { size: number })[]> {
  const written: (IndexPack & { size: number })[] = [];
  if (plan.repack.length === 0) return written;
  opts.logger.info(`repacking ${plan.repack.length} pack(s)`);
  const writer = new PackWriter(repo.store, repo.master.encrypt, repo.config.packSize, (packId, entries, size) => {
    written.push({ packId, entries, size });
  });
  let copied = 0;
  for (const p of plan.repack) {
    if (p.copy.length === 0) continue;
    const name = Names.pack(p.packId);
    const wanted = p.copy.reduce((n, e) => n + e.length, 0);
    // Mostly used: one read of the whole pack beats a request per blob.
    const whole = wanted * 2 >= p.size ? await repo.store.get(name) : undefined;
    const sealed = await mapLimit(p.copy, 8, async (e) => {
      const bytes = whole ? whole.subarray(e.offset, e.offset + e.length) : await repo.store.getRange(name, e.offset, e.length);
      if (bytes.length !== e.length) throw damaged(p.packId, e, 'the pack is shorter than its index says');
      try {
        // Verified so damage is not copied into a new pack while the old one is deleted; the worker gets a copy.
        await repo.workers().open(e.type, e.id, e.flags, e.rawLength, new Uint8Array(bytes));
      } catch (err) {
        if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
        throw damaged(p.packId, e, reason(err));
      }
      return bytes;
    });
    for (let i = 0; i < p.copy.length; i++) {
      const e = p.copy[i];
      await writer.add(e.type, e.id, e.flags, e.rawLength, sealed[i]);
      copied += e.length;
    }
    opts.progress?.update({ phase: 'prune: repacking', files: written.length, bytes: copied });
  }
  await writer.flush();
  return written;
}

function damaged(packId: string, e: PackEntry, why: string): EnvsnapError {
  return new EnvsnapError(
    'CORRUPT',
    `prune stopped before deleting anything: ${e.type === BlobType.tree ? 'tree' : 'data'} blob ${shortId(e.id.toString('hex'))} in pack ${shortId(packId)} is used by a snapshot but damaged (${why}); run "envsnap check --read-data" and delete the snapshots it names`,
  );
}

/** Step (d): one index file listing every kept pack whole and every new pack. Returns its id, or undefined when nothing needed rewriting or nothing remains. */
export async function writePrunedIndex(
  repo: Repository,
  plan: PrunePlan,
  newPacks: IndexPack[],
  logger: Logger,
): Promise<string | undefined> {
  if (!plan.rewriteIndex) return undefined;
  const packs: IndexPack[] = [...plan.keep].map(([packId, entries]) => ({ packId, entries }));
  for (const p of newPacks) packs.push({ packId: p.packId, entries: p.entries });
  // Last guard before anything is deleted: the new index must hold every used blob.
  const listed = new Set<string>();
  for (const p of packs) for (const e of p.entries) listed.add(e.id.toString('hex'));
  for (const id of plan.used) {
    if (!listed.has(id)) throw new Error(`internal error: the new index would miss the used blob ${shortId(id)}; prune stopped before deleting anything`);
  }
  if (packs.length === 0) return undefined; // nothing remains to index; the old index files only name packs about to go
  const id = await writeIndexFile(repo.store, repo.master.encrypt, packs);
  logger.info(`wrote index ${shortId(id)} for ${packs.length} pack(s)`);
  return id;
}

/** Step (e): the index files present when planning; only after the new one is durable. */
export async function deleteOldIndexFiles(repo: Repository, plan: PrunePlan, logger: Logger): Promise<void> {
  if (!plan.rewriteIndex) return;
  await mapLimit(plan.indexFiles, 8, (name) => repo.store.delete(name));
  logger.info(`deleted ${plan.indexFiles.length} old index file(s)`);
}

/** Step (f): packs no remaining index lists. */
export async function deleteObsoletePacks(repo: Repository, plan: PrunePlan, logger: Logger): Promise<void> {
  const names = [...plan.remove.map((p) => p.packId), ...plan.repack.map((p) => p.packId)].map(Names.pack);
  await mapLimit(names, 8, (name) => repo.store.delete(name));
  logger.info(`deleted ${names.length} pack(s)`);
}

/** Step (g): temp files of writes interrupted more than a day ago, for stores that keep them (LocalStore). */
export async function removeStaleTempFiles(store: BlobStore, clock: Clock): Promise<number> {
  return (await store.removeStaleTemp?.(DAY_MS, clock.now())) ?? 0;
}

/** Step (h): pins whose snapshot was deleted (under the exclusive lock, so no pin of a snapshot being written is lost). */
export async function removeStalePins(repo: Repository): Promise<number> {
  const snapshots = new Set(await listSnapshotIds(repo));
  const stale = [...(await listPins(repo))].filter((id) => !snapshots.has(id));
  await mapLimit(stale, 8, (id) => unpinSnapshot(repo, id));
  return stale.length;
}
