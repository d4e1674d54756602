/**
 * createSnapshot: paths under a root → one snapshot. Order is the safety: data and tree packs, then
 * their index, then the manifest; the manifest write is the commit. Under a shared lock.
 */
import { hostname, userInfo } from 'node:os';
import { lstat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { EnvsnapError, errnoCode } from '../core/errors.ts';
import { withLock } from '../repo/lock.ts';
import { optimizeForSize } from '../core/v8-tuning.ts';
import type { Repository } from '../repo/repository.ts';
import { Archiver, selectionFromPaths } from '../snapshot/archiver.ts';
import { listSnapshots, resolveSnapshot, saveSnapshot, type Snapshot, type SnapshotManifest } from '../snapshot/manifest.ts';
import { compileExcludes } from '../sources/files/exclude.ts';
import type { AppContext } from './context.ts';
import { PROGRAM_VERSION } from './version.ts';

export interface CreateSnapshotInput {
  /** Directory the paths are relative to (and stored relative to). */
  root: string;
  /** Paths to capture, relative to root or absolute inside it; default: the whole root. */
  paths?: string[];
  excludes?: string[];
  tags?: string[];
  env?: string;
  /** Parent snapshot for incremental reading; default: the latest with the same root, paths and env. */
  parent?: string | false;
}

export interface CreateSnapshotResult {
  snapshot: Snapshot;
  adoptedPacks: number;
}

export function normalizePaths(root: string, paths: readonly string[] | undefined): string[] {
  if (!paths || paths.length === 0) return ['.'];
  const out = new Set<string>();
  for (const p of paths) {
    const abs = isAbsolute(p) ? p : resolve(root, p);
    const rel = relative(root, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new EnvsnapError('INVALID_ARGUMENT', `path ${p} is outside the snapshot root ${root}: run from a directory that contains it`);
    }
    out.add(rel === '' ? '.' : rel.split(sep).join('/'));
  }
  return out.has('.') ? ['.'] : [...out].sort();
}

export async function createSnapshot(ctx: AppContext, repo: Repository, input: CreateSnapshotInput): Promise<CreateSnapshotResult> {
  const started = ctx.clock.now();
  const root = resolve(input.root);
  const paths = normalizePaths(root, input.paths);
  for (const p of paths) {
    try {
      await lstat(resolve(root, p));
    } catch (err) {
      throw new EnvsnapError(
        errnoCode(err) === 'ENOENT' ? 'NOT_FOUND' : 'IO',
        `source path ${p} ${errnoCode(err) === 'ENOENT' ? 'does not exist' : `cannot be read (${errnoCode(err)})`}: check the path and run again`,
      );
    }
  }
  const excludes = input.excludes ?? [];
  if (repo.store.localPath) repo.onWorkersStart = optimizeForSize;
  return withLock(repo, { exclusive: false, operation: 'snapshot', logger: ctx.logger }, async (lock) => {
    await repo.loadIndex();
    const adoptedPacks = await repo.adoptUnindexedPacks(lock);
    if (adoptedPacks > 0) ctx.logger.info(`reusing ${adoptedPacks} pack(s) left by an interrupted run`);
    const parent = input.parent === false ? undefined : await findParent(repo, root, paths, input.env, input.parent);
    const saver = repo.newSaver({ lock });
    const archiver = new Archiver(repo, saver, {
      root,
      selection: selectionFromPaths(paths),
      exclude: compileExcludes(excludes),
      parentTree: parent?.tree,
      logger: ctx.logger,
      progress: ctx.progress,
    });
    let result;
    try {
      result = await archiver.run();
      await saver.finish();
    } catch (err) {
      await saver.abort();
      throw err;
    }
    const manifest: SnapshotManifest = {
      version: 1,
      time: new Date(started).toISOString(),
      hostname: hostname(),
      username: userInfo().username,
      root,
      paths,
      tree: result.tree,
      ...(parent ? { parent: parent.id } : {}),
      tags: input.tags ?? [],
      ...(input.env ? { env: input.env } : {}),
      excludes,
      partial: result.partial,
      warningCount: result.warningCount,
      warnings: result.warnings,
      summary: {
        ...result.summary,
        addedBytes: saver.stats.newBytes,
        storedBytes: saver.stats.storedBytes,
        durationMs: ctx.clock.now() - started,
      },
      programVersion: PROGRAM_VERSION,
    };
    const id = await saveSnapshot(repo, manifest, lock);
    ctx.progress.done();
    return { snapshot: { ...manifest, id }, adoptedPacks };
  });
}

async function findParent(repo: Repository, root: string, paths: string[], env: string | undefined, explicit: string | undefined): Promise<Snapshot | undefined> {
  if (explicit) return resolveSnapshot(repo, explicit);
  const all = await listSnapshots(repo);
  const key = paths.join('\n');
  return all.filter((s) => s.root === root && s.paths.join('\n') === key && s.env === env && s.hostname === hostname()).at(-1);
}
