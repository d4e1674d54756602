/**
 * Snapshot manifests: the record that makes a snapshot exist. Written last, after every pack and
 * index it references, as one sealed object `snapshots/<id>`; a crash before that write leaves no
 * snapshot, only reusable data.
 */
import { randomBytes } from 'node:crypto';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import { resolveIdPrefix } from '../core/ids.ts';
import { mapLimit } from '../core/async.ts';
import { Names, idOf } from '../storage/blob-store.ts';
import type { Repository } from '../repo/repository.ts';
import type { LockCheck } from '../repo/lock.ts';

export interface SnapshotSummary {
  files: number;
  dirs: number;
  /** Total size of the files in the snapshot. */
  bytes: number;
  newFiles: number;
  changedFiles: number;
  unchangedFiles: number;
  /** Plaintext bytes this snapshot added to the repository (after dedup) and what they took stored. */
  addedBytes: number;
  storedBytes: number;
  durationMs: number;
}

/** One source of an environment snapshot: where its files sit in the tree and what it captured. */
export interface SourceRecord {
  kind: 'files' | 'mysql' | 'redis' | 'sqlite';
  /** The source's id in the environment ("default", "checkout", "cache"); "mounts" for the files. */
  id: string;
  /** Display name used in messages ("database default"). */
  name: string;
  /** Redis role (cache, page_cache, sessions, other). */
  role?: string;
  /** Directory of the source's files in the snapshot tree ("mysql/default", "files"). */
  path: string;
  /** Logical bytes captured. */
  bytes: number;
  /** Whether the capture reflects one point in time (a database transaction, files under maintenance). */
  consistent: boolean;
  /** The span the capture reflects: one instant for a pinned database, the read window otherwise. */
  pointFrom: string;
  pointTo: string;
  /** Consistent point details (binlog position, GTID) and capture details; never secrets. */
  point?: Record<string, unknown>;
  details?: Record<string, unknown>;
  durationMs: number;
}

/** Environment snapshots only: what the snapshot covers and how it was taken. */
export interface EnvironmentInfo {
  project: string;
  name: string;
  type: string;
  plan: string;
  /** consistent: taken under maintenance mode; live: without downtime. */
  mode: 'consistent' | 'live';
  /** manual (snapshot:create) or automatic (a schedule). */
  trigger: 'manual' | 'automatic';
  /** How long maintenance mode was on (consistent mode). */
  maintenanceMs?: number;
  /** Largest distance between the sources' points in time. */
  skewMs: number;
  sources: SourceRecord[];
  /** Sources left out on purpose (e.g. Redis caches with --skip-cache). */
  skipped: string[];
  /**
   * Magento's backup type (src/policy/backup-types.ts): system = databases, Redis and mounts;
   * db-media = databases and pub/media; db = databases only. Absent in snapshots of older versions.
   */
  backupType?: 'system' | 'db-media' | 'db';
  /** system only: pub/media was left out (--exclude-media). Present only when true. */
  excludeMedia?: boolean;
  /**
   * Present on snapshots made by `snapshot:import` from backup archives: the names of the files
   * (without folders) and when the import ran; the snapshot's time is the archives'. Absent on
   * captured snapshots and in snapshots of older versions.
   */
  imported?: { files: string[]; at: string };
}

export interface SnapshotManifest {
  version: 1;
  time: string;
  hostname: string;
  username: string;
  /** Absolute directory the paths are relative to; "in place" restores go here. */
  root: string;
  paths: string[];
  tree: string;
  parent?: string;
  tags: string[];
  env?: string;
  excludes: string[];
  partial: boolean;
  warningCount: number;
  /** The first warnings (paths that could not be read), for `snapshot:info`. */
  warnings: string[];
  summary: SnapshotSummary;
  programVersion: string;
  /** Present on environment snapshots: the tree then holds one directory per source (see FORMAT.md). */
  environment?: EnvironmentInfo;
  /**
   * Present on snapshots that `envsnap copy` wrote: the id of the repository the snapshot was copied
   * from and when. The copy keeps the snapshot's id (and every other field but `tree`), so the same
   * id names the same snapshot in every repository it was copied to. Absent on snapshots taken here.
   */
  copiedFrom?: CopiedFrom;
}

export interface CopiedFrom {
  /** The source repository's id (its config's `id`). */
  repository: string;
  /** ISO-8601 time at which the copy was committed. */
  time: string;
}

export interface Snapshot extends SnapshotManifest {
  id: string;
}

/**
 * Writes a manifest (the commit of a snapshot) under a new random id, or under `id` (a copy keeps its
 * snapshot's id) — after verifying the writer's `lock`, so a writer whose lock was lost commits nothing.
 */
export async function saveSnapshot(repo: Repository, manifest: SnapshotManifest, lock: LockCheck, id: string = randomBytes(32).toString('hex')): Promise<string> {
  await lock.verify();
  await repo.putSealedJson(Names.snapshot(id), 'snapshot', id, manifest);
  return id;
}

/**
 * Manifests are written once and never changed (a new snapshot gets a new id), so each Repository
 * keeps the ones it has read: a long-running server lists snapshots by reading only the new ones.
 */
const loaded = new WeakMap<Repository, Map<string, Snapshot>>();

export async function loadSnapshot(repo: Repository, id: string): Promise<Snapshot> {
  let cache = loaded.get(repo);
  const hit = cache?.get(id);
  if (hit) return hit;
  try {
    const m = await repo.getSealedJson<SnapshotManifest>(Names.snapshot(id), 'snapshot', id);
    const snap = { ...m, id };
    if (!cache) loaded.set(repo, (cache = new Map()));
    cache.set(id, snap);
    return snap;
  } catch (err) {
    if (isEnvsnapError(err, 'NOT_FOUND')) throw new EnvsnapError('NOT_FOUND', `no snapshot ${id.slice(0, 8)}: see "envsnap snapshot:list"`);
    throw err;
  }
}

export async function listSnapshotIds(repo: Repository): Promise<string[]> {
  const out: string[] = [];
  for await (const b of repo.store.list('snapshots/')) out.push(idOf(b.name));
  return out;
}

/** Every snapshot, oldest first. */
export async function listSnapshots(repo: Repository): Promise<Snapshot[]> {
  const ids = await listSnapshotIds(repo);
  const all = await mapLimit(ids, 16, async (id) => {
    try {
      return await loadSnapshot(repo, id);
    } catch (err) {
      if (isEnvsnapError(err, 'NOT_FOUND')) return undefined; // deleted meanwhile
      throw err;
    }
  });
  return all.filter((s): s is Snapshot => s !== undefined).sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

/** Resolves "latest", a full id or a unique prefix. */
export async function resolveSnapshot(repo: Repository, ref: string, filter?: (s: Snapshot) => boolean): Promise<Snapshot> {
  if (ref === 'latest') {
    const all = (await listSnapshots(repo)).filter(filter ?? (() => true));
    const last = all.at(-1);
    if (!last) throw new EnvsnapError('NOT_FOUND', 'the repository has no snapshots yet: create one with "envsnap snapshot:create"');
    return last;
  }
  const id = resolveIdPrefix(ref, await listSnapshotIds(repo), 'snapshot');
  return loadSnapshot(repo, id);
}

export async function deleteSnapshot(repo: Repository, id: string): Promise<void> {
  await repo.store.delete(Names.snapshot(id));
  loaded.get(repo)?.delete(id);
}
