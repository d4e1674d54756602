/**
 * Repository check: finds damage without changing anything. Structural checks read only index files,
 * snapshot manifests, trees and pack sizes: every index file opens; every pack an index names exists
 * and is long enough; every manifest opens; every tree reachable from a snapshot loads (authenticated
 * and hash-checked), has safe, unique names, and every chunk and subtree it names is indexed with the
 * right type. With readData, whole packs (all, or a random subset) are read, their headers compared
 * with the index, and every blob decrypted and re-hashed.
 *
 * Errors are damage a user must act on; warnings are harmless leftovers — packs no index lists are
 * what an interrupted run leaves (the next snapshot reuses them, prune removes them), and blobs no
 * snapshot uses are only counted. Every message names the object and says what to do.
 */
import { randomInt } from 'node:crypto';
import { mapLimit } from '../core/async.ts';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import { isHexId, shortId } from '../core/ids.ts';
import type { Logger, Progress } from '../core/logger.ts';
import { Names, idOf } from '../storage/blob-store.ts';
import { BlobType } from '../repo/blob.ts';
import { MasterIndex, type IndexPack } from '../repo/index.ts';
import { packTrailerLength, parsePackTail, type PackEntry } from '../repo/pack.ts';
import type { Repository } from '../repo/repository.ts';
import { listSnapshotIds, loadSnapshot, type Snapshot } from './manifest.ts';
import { listPins, loadPin } from './pins.ts';
import { findAbsentData } from './presence.ts';
import { checkSafeName, nodeNameBytes } from './tree.ts';
import { reason, walkTrees, type TreeProblem } from './walk.ts';

export interface CheckOptions {
  /** false: structure only; otherwise read and verify this percentage of the packs (100 = all). */
  readData: false | { subsetPercent: number };
  logger: Logger;
  progress?: Progress;
}

export interface CheckStats {
  snapshots: number;
  trees: number;
  /** Distinct blobs in the index. */
  blobs: number;
  /** Packs in the store. */
  packs: number;
  indexFiles: number;
  unindexedPacks: number;
  /** Indexed blobs no snapshot uses (removed by prune); an over-count when some trees could not be loaded. */
  unusedBlobs: number;
  readPacks: number;
}

/** A snapshot some of whose data check found missing or damaged: it cannot be restored in full. */
export interface DamagedSnapshot {
  id: string;
  /** The first missing or damaged object found, e.g. "data blob 1a2b3c4d is damaged in pack 5e6f7a8b". */
  detail: string;
  /** Found by reading pack data (a damaged blob), not from the structure alone. */
  byReadingData: boolean;
}

export interface CheckResult {
  errors: string[];
  warnings: string[];
  stats: CheckStats;
  /** Every snapshot the errors touch (empty when there are none); snapshots whose manifest cannot be read are only in errors. */
  damagedSnapshots: DamagedSnapshot[];
}

const PRUNE_AFTER_DELETE = 'delete the affected snapshot(s) with "envsnap snapshot:delete", then run "envsnap prune"';


function typeName(t: number): string {
  return t === BlobType.tree ? 'tree' : 'data';
}

export async function checkRepository(repo: Repository, opts: CheckOptions): Promise<CheckResult> {
  if (opts.readData !== false) {
    const p = opts.readData.subsetPercent;
    if (!(p > 0 && p <= 100)) {
      throw new EnvsnapError('INVALID_ARGUMENT', `read-data subset ${p}% is out of range: give a percentage above 0 and at most 100`);
    }
  }
  const { logger } = opts;
  const progress = opts.progress;
  const errors: string[] = [];
  const warnings: string[] = [];
  const stats: CheckStats = { snapshots: 0, trees: 0, blobs: 0, packs: 0, indexFiles: 0, unindexedPacks: 0, unusedBlobs: 0, readPacks: 0 };

  // ---- index files ----
  logger.info('checking index files');
  const indexNames = await repo.listIndexFiles();
  stats.indexFiles = indexNames.length;
  const indexed = new Map<string, PackEntry[]>();
  const perFile = await mapLimit(indexNames, 8, async (name): Promise<IndexPack[]> => {
    try {
      return await repo.readIndexFile(name);
    } catch (err) {
      if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
      errors.push(
        `index file ${shortId(idOf(name))} cannot be read (${reason(err)}): remove ${name} from the repository; the packs it lists are then re-indexed by "envsnap prune" or the next snapshot`,
      );
      return [];
    }
  });
  for (const packs of perFile) {
    for (const p of packs) {
      const list = indexed.get(p.packId);
      if (list) list.push(...p.entries);
      else indexed.set(p.packId, [...p.entries]);
    }
  }

  // ---- packs ----
  logger.info('checking packs');
  const stored = await repo.listPacks();
  stats.packs = stored.size;
  const missingPacks = new Set<string>();
  for (const [packId, entries] of indexed) {
    const size = stored.get(packId);
    if (size === undefined) {
      missingPacks.add(packId);
      errors.push(
        `pack ${shortId(packId)} is listed in the index but missing from the repository: the ${entries.length} blob(s) in it are lost; the errors below name the snapshots that need them — delete those with "envsnap snapshot:delete", then run "envsnap prune"`,
      );
      continue;
    }
    const distinct = dedupeEntries(entries);
    let extent = 0;
    for (const e of distinct) extent = Math.max(extent, e.offset + e.length);
    const need = extent + packTrailerLength(distinct.length);
    if (size < need) {
      errors.push(
        `pack ${shortId(packId)} is ${size} bytes but its index entries need at least ${need}: it is truncated; run "envsnap check --read-data" to see which blobs are damaged, then ${PRUNE_AFTER_DELETE}`,
      );
    }
  }
  const unindexed = [...stored.keys()].filter((id) => !indexed.has(id));
  stats.unindexedPacks = unindexed.length;
  if (unindexed.length > 0) {
    const shown = unindexed.slice(0, 5).map(shortId).join(', ');
    warnings.push(
      `${unindexed.length} pack(s) are not in any index (${shown}${unindexed.length > 5 ? ', …' : ''}): left by an interrupted run; the next snapshot reuses them and "envsnap prune" removes them once older than prune.unreferenced-min-age`,
    );
  }

  // Lookups prefer a copy in a pack that exists; packs known missing come last so their blobs still count as indexed.
  const index = new MasterIndex();
  for (const [packId, entries] of indexed) if (!missingPacks.has(packId)) index.addPack(packId, entries);
  for (const packId of missingPacks) index.addPack(packId, indexed.get(packId)!);
  stats.blobs = index.size;

  // ---- snapshots ----
  logger.info('checking snapshots');
  const snapshotIds = await listSnapshotIds(repo);
  const snapshots: Snapshot[] = [];
  const damagedSnapshots: DamagedSnapshot[] = [];
  await mapLimit(snapshotIds, 8, async (id) => {
    try {
      const s = await loadSnapshot(repo, id);
      if (typeof s.tree !== 'string' || !isHexId(s.tree)) {
        errors.push(`snapshot ${shortId(id)} names no valid tree: it cannot be restored; delete it with "envsnap snapshot:delete ${shortId(id)}"`);
        damagedSnapshots.push({ id, detail: 'its manifest names no valid tree', byReadingData: false });
        return;
      }
      snapshots.push(s);
    } catch (err) {
      if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
      if (isEnvsnapError(err, 'NOT_FOUND')) return; // deleted meanwhile
      errors.push(`snapshot ${shortId(id)} cannot be read (${reason(err)}): delete it with "envsnap snapshot:delete ${shortId(id)}"`);
    }
  });
  stats.snapshots = snapshots.length;

  // ---- pins: harmless when stale (prune removes them), but a pin that does not open protects nothing ----
  const known = new Set(snapshotIds);
  for (const id of await listPins(repo)) {
    if (!known.has(id)) {
      warnings.push(`pin ${shortId(id)} names a snapshot that no longer exists: harmless; "envsnap prune" removes it`);
      continue;
    }
    try {
      await loadPin(repo, id);
    } catch (err) {
      if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
      warnings.push(`pin of snapshot ${shortId(id)} cannot be read (${reason(err)}): the snapshot is not protected; run "envsnap snapshot:unpin ${shortId(id)}" and "envsnap snapshot:pin ${shortId(id)}"`);
    }
  }

  // ---- trees ----
  logger.info(`checking the trees of ${snapshots.length} snapshot(s)`);
  const byRoot = new Map<string, string[]>();
  for (const s of snapshots) {
    const list = byRoot.get(s.tree);
    if (list) list.push(s.id);
    else byRoot.set(s.tree, [s.id]);
  }
  const snapshotsOf = (root: string): string => {
    const ids = (byRoot.get(root) ?? []).map(shortId);
    return `snapshot ${ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`}`;
  };
  const where = (root: string, path: string): string => `${snapshotsOf(root)} at ${path === '' ? '/' : path}`;
  /** Every blob some snapshot uses, as hex id → the root tree it was first reached from. */
  const used = new Map<string, string>();
  let treesDone = 0;
  const walk = await walkTrees(
    repo,
    byRoot.keys(),
    (treeId, tree, at) => {
      used.set(treeId, at.root);
      const seenNames = new Set<string>();
      for (const node of tree.nodes) {
        const nameBytes = nodeNameBytes(node);
        const path = at.path ? `${at.path}/${node.name}` : node.name;
        try {
          checkSafeName(nameBytes, at.path);
        } catch {
          errors.push(`tree ${shortId(treeId)} in ${where(at.root, at.path)} holds the unsafe name ${JSON.stringify(node.name)}: restore refuses it; ${PRUNE_AFTER_DELETE}`);
          continue;
        }
        const key = nameBytes.toString('latin1');
        if (seenNames.has(key)) errors.push(`tree ${shortId(treeId)} in ${where(at.root, at.path)} lists ${JSON.stringify(node.name)} twice: ${PRUNE_AFTER_DELETE}`);
        seenNames.add(key);
        if (node.type === 'dir') {
          if (typeof node.subtree !== 'string') errors.push(`directory ${where(at.root, path)} has no tree: ${PRUNE_AFTER_DELETE}`);
          continue; // the subtree itself is checked by the walk
        }
        if (node.type !== 'file') continue;
        if (!Array.isArray(node.content)) {
          errors.push(`file ${where(at.root, path)} has no content list: ${PRUNE_AFTER_DELETE}`);
          continue;
        }
        for (const chunk of node.content) {
          if (used.has(chunk)) continue;
          used.set(chunk, at.root);
          if (typeof chunk !== 'string' || !isHexId(chunk)) {
            errors.push(`file ${where(at.root, path)} names an invalid chunk id ${JSON.stringify(chunk)}: ${PRUNE_AFTER_DELETE}`);
            continue;
          }
          const loc = index.get(Buffer.from(chunk, 'hex'));
          if (!loc) {
            errors.push(`data blob ${shortId(chunk)} of file ${where(at.root, path)} is not in the index: its data is lost unless a pack reported as not indexed holds it; ${PRUNE_AFTER_DELETE}`);
          } else if (loc.type !== BlobType.data) {
            errors.push(`blob ${shortId(chunk)} of file ${where(at.root, path)} is indexed as a tree, not data: ${PRUNE_AFTER_DELETE}`);
          } else if (missingPacks.has(loc.packId)) {
            errors.push(`data blob ${shortId(chunk)} of file ${where(at.root, path)} is in the missing pack ${shortId(loc.packId)}: ${PRUNE_AFTER_DELETE}`);
          }
        }
      }
      treesDone++;
      progress?.update({ phase: 'check trees', files: treesDone, bytes: 0 });
    },
    { index },
  );
  stats.trees = walk.trees;
  for (const p of walk.problems) {
    used.set(p.treeId, p.root); // used, though unreadable: not "unused"
    errors.push(describeTreeProblem(p, where(p.root, p.path)));
  }
  // What an unreadable tree or snapshot uses is unknown: blobs may look unused that are not.
  const usedKnown = walk.problems.length === 0 && snapshots.length === snapshotIds.length;
  for (const e of index.entries()) if (!used.has(e.id.toString('hex'))) stats.unusedBlobs++;

  // ---- data ----
  /** Blobs reading found damaged: hex id → what is wrong. */
  const damagedBlobs = new Map<string, string>();
  if (opts.readData !== false) {
    const all = [...stored.keys()];
    const count = Math.min(all.length, Math.max(all.length > 0 ? 1 : 0, Math.ceil((all.length * opts.readData.subsetPercent) / 100)));
    const chosen = count === all.length ? all : randomSubset(all, count);
    logger.info(`reading ${chosen.length} of ${all.length} pack(s)`);
    let bytesRead = 0;
    const totalBytes = chosen.reduce((n, id) => n + (stored.get(id) ?? 0), 0);
    await mapLimit(chosen, 2, async (packId) => {
      const problems = await readPack(repo, packId, indexed.get(packId), usedKnown ? used : undefined, snapshotsOf);
      errors.push(...problems.errors);
      warnings.push(...problems.warnings);
      // Only the copy the index points to matters: a restore never reads another.
      for (const [hex, what] of problems.damaged) if (index.get(Buffer.from(hex, 'hex'))?.packId === packId) damagedBlobs.set(hex, what);
      stats.readPacks++;
      bytesRead += stored.get(packId) ?? 0;
      progress?.update({ phase: 'read data', files: stats.readPacks, totalFiles: chosen.length, bytes: bytesRead, totalBytes });
    });
  }

  // ---- which snapshots the damage touches (the trees are walked again only when something is wrong) ----
  if (errors.length > 0) {
    const absent = await findAbsentData(repo, byRoot.keys(), { index, packs: new Set(stored.keys()), damaged: damagedBlobs });
    for (const [root, found] of absent) {
      if (found) for (const id of byRoot.get(root)!) damagedSnapshots.push({ id, detail: found.detail, byReadingData: found.damaged });
    }
  }

  progress?.done();
  logger.info(`check found ${errors.length} error(s) and ${warnings.length} warning(s)`);
  return { errors, warnings, stats, damagedSnapshots };
}

function describeTreeProblem(p: TreeProblem, at: string): string {
  const tree = `tree ${shortId(p.treeId)} (${at})`;
  switch (p.kind) {
    case 'missing':
      return `${tree} is not in the index: the snapshot cannot be restored from there on; ${PRUNE_AFTER_DELETE}`;
    case 'wrong-type':
      return `${tree} is indexed as a data blob, not a tree: ${PRUNE_AFTER_DELETE}`;
    case 'invalid-id':
      return `${tree} has an invalid id: ${PRUNE_AFTER_DELETE}`;
    case 'unreadable':
      return `${tree} cannot be loaded (${p.message}): ${PRUNE_AFTER_DELETE}`;
  }
}

/** Entries with duplicate ids (a pack listed by two index files) counted once. */
function dedupeEntries(entries: readonly PackEntry[]): PackEntry[] {
  const seen = new Map<string, PackEntry>();
  for (const e of entries) seen.set(e.id.toString('hex'), e);
  return [...seen.values()];
}

function randomSubset<T>(items: readonly T[], n: number): T[] {
  const a = [...items];
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
}

/** Reads one whole pack: header against the index, then every blob decrypted and re-hashed. */
async function readPack(
  repo: Repository,
  packId: string,
  indexEntries: PackEntry[] | undefined,
  used: Map<string, string> | undefined,
  snapshotsOf: (root: string) => string,
): Promise<{ errors: string[]; warnings: string[]; damaged: Map<string, string> }> {
  const errors: string[] = [];
  const warnings: string[] = [];
  /** Blobs of this pack that cannot be used: hex id → what is wrong. */
  const damaged = new Map<string, string>();
  const allDamaged = (what: string) => {
    for (const e of indexEntries ?? []) damaged.set(e.id.toString('hex'), what);
    return { errors, warnings, damaged };
  };
  const pack = shortId(packId);
  const unindexedNote = indexEntries ? '' : ' (a pack no index lists: "envsnap prune" removes it)';
  let buf: Buffer;
  try {
    buf = await repo.store.get(Names.pack(packId));
  } catch (err) {
    if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
    // Listed a moment ago; gone or unreadable now.
    errors.push(`pack ${pack} cannot be read (${reason(err)}): check the storage, then run "envsnap check" again`);
    return allDamaged(`in pack ${pack}, which cannot be read`);
  }
  let header: { entries: PackEntry[]; headerStart: number };
  try {
    header = parsePackTail(repo.master.encrypt, packId, buf, buf.length);
  } catch (err) {
    if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
    errors.push(
      indexEntries
        ? `pack ${pack}: its header is damaged (${reason(err)}): its blobs cannot be verified; run "envsnap check" to see whether the trees in it load, then ${PRUNE_AFTER_DELETE} for those that do not`
        : `pack ${pack}: its header is damaged (${reason(err)})${unindexedNote}`,
    );
    return allDamaged(`in pack ${pack}, whose header is damaged`);
  }
  const inHeader = new Map<string, PackEntry>();
  for (const e of header.entries) inHeader.set(e.id.toString('hex'), e);
  if (indexEntries) {
    const inIndex = new Set<string>();
    for (const e of indexEntries) {
      const hex = e.id.toString('hex');
      inIndex.add(hex);
      const h = inHeader.get(hex);
      if (!h || h.type !== e.type || h.flags !== e.flags || h.offset !== e.offset || h.length !== e.length || h.rawLength !== e.rawLength) {
        damaged.set(hex, `not where the index says in pack ${pack}`);
      }
      if (!h) {
        errors.push(`pack ${pack}: the index lists ${typeName(e.type)} blob ${shortId(hex)} but the pack does not hold it: ${advice(hex, used, snapshotsOf)}`);
      } else if (h.type !== e.type || h.flags !== e.flags || h.offset !== e.offset || h.length !== e.length || h.rawLength !== e.rawLength) {
        errors.push(`pack ${pack}: the index entry of blob ${shortId(hex)} does not match the pack header: ${advice(hex, used, snapshotsOf)}`);
      }
    }
    const extra = header.entries.filter((e) => !inIndex.has(e.id.toString('hex'))).length;
    if (extra > 0) warnings.push(`pack ${pack} holds ${extra} blob(s) no index lists: harmless; "envsnap prune" rewrites the index`);
  }
  await mapLimit(header.entries, 8, async (e) => {
    const hex = e.id.toString('hex');
    if (e.offset + e.length > header.headerStart) {
      errors.push(`pack ${pack}: ${typeName(e.type)} blob ${shortId(hex)} lies outside the pack's data${unindexedNote}: ${advice(hex, used, snapshotsOf)}`);
      damaged.set(hex, `damaged in pack ${pack}`);
      return;
    }
    try {
      // A copy: the worker takes ownership of what it is given.
      await repo.workers().open(e.type, e.id, e.flags, e.rawLength, new Uint8Array(buf.subarray(e.offset, e.offset + e.length)));
    } catch (err) {
      if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
      errors.push(`pack ${pack}: ${typeName(e.type)} blob ${shortId(hex)} is damaged (${reason(err)})${unindexedNote}: ${advice(hex, used, snapshotsOf)}`);
      damaged.set(hex, `damaged in pack ${pack}`);
    }
  });
  return { errors, warnings, damaged };
}

/** What to do about a damaged blob: nothing is lost when no snapshot uses it. `used` is undefined when that is unknown. */
function advice(hex: string, used: Map<string, string> | undefined, snapshotsOf: (root: string) => string): string {
  if (!used) return `snapshots whose trees could not be loaded (see above) may use it; ${PRUNE_AFTER_DELETE}`;
  const root = used.get(hex);
  if (root === undefined) return 'no snapshot uses it, so no data is lost; "envsnap prune" drops it when it repacks the pack';
  return `it is used by ${snapshotsOf(root)} (and maybe others); ${PRUNE_AFTER_DELETE}`;
}
