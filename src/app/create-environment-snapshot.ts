/**
 * createEnvironmentSnapshot: every source of one environment → one snapshot.
 *
 * Order of a run, chosen to keep downtime to the part that needs it:
 *   1. open every source (connect, check credentials) — a wrong password never costs downtime
 *   2. maintenance mode on (consistent mode only)
 *   3. pin every source (the databases' consistent point) and capture the mounts
 *   4. maintenance mode off — always, also on failure
 *   5. capture the pinned sources (rows stream from the consistent snapshot) and Redis
 *   6. root tree, packs and index, then the manifest: the manifest write is the commit, so a run
 *      that fails anywhere leaves no snapshot behind, only data the next run reuses.
 * The root tree holds one directory per source: `files/` (the mounts, relative to the environment's
 * root), `mysql/<id>/`, `redis/<id>/`, `sqlite/<id>/`. A snapshot without mounts (backup type db)
 * has no `files/` directory and no files record; maintenance mode then covers only the pinning.
 *
 * An import (`snapshot:import`) runs the same steps with other sources: the mounts come from a
 * file-tree source (an archive's members, `mountsFrom`) written through the same entry tree as the
 * databases, the database from a scratch copy of the dump; the snapshot's time and every source's
 * point are the archive's, and the manifest records the files it came from.
 */
import { hostname, userInfo } from 'node:os';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { Archiver, selectionFromPaths, type ArchiveResult } from '../snapshot/archiver.ts';
import { EntryTreeBuilder } from '../snapshot/entry-tree.ts';
import { listSnapshots, saveSnapshot, type EnvironmentInfo, type Snapshot, type SnapshotManifest, type SourceRecord } from '../snapshot/manifest.ts';
import { decodeTree } from '../snapshot/tree.ts';
import { BlobType } from '../repo/blob.ts';
import { compileExcludes } from '../sources/files/exclude.ts';
import type { CaptureOptions, EntryMeta, FileTreeWriter, PinResult, Source } from '../sources/source.ts';
import type { EnvironmentBackupType } from '../policy/backup-types.ts';
import type { AppContext } from './context.ts';
import type { SourceSpec } from './environment-sources.ts';
import { PROGRAM_VERSION } from './version.ts';

/** Runs a function with the shop in maintenance mode and reports how long it was on. */
export interface MaintenanceRunner {
  readonly description: string;
  run<T>(fn: () => Promise<T>): Promise<{ result: T; onMs: number; offFailed?: boolean }>;
}

export interface EnvironmentSnapshotInput {
  project: string;
  env: { name: string; type: string; plan: string; root: string; mounts: string[]; exclude: string[] };
  sources: SourceSpec[];
  /** Sources left out on purpose, for the manifest ("redis cache (--skip-cache)"). */
  skipped?: string[];
  /** undefined: live (no maintenance mode). */
  maintenance?: MaintenanceRunner;
  trigger?: 'manual' | 'automatic';
  tags?: string[];
  /** Recorded in the manifest (default system); `env.mounts` and `sources` must already be its scope (policy/backup-types.ts). */
  backupType?: EnvironmentBackupType;
  /** Recorded for a system snapshot taken without pub/media. */
  excludeMedia?: boolean;
  /**
   * The mounts come from this file-tree source (an archive's members) instead of a walk of env.root;
   * `env.mounts` names the mounts it holds. No parent snapshot is looked up for it.
   */
  mountsFrom?: Source<FileTreeWriter>;
  /** An import: the time the data reflects (the archive's, ms since the epoch) and the names of the files it came from. */
  imported?: { time: number; files: string[] };
}

export const FILES_DIR = 'files';

export async function createEnvironmentSnapshot(ctx: AppContext, repo: Repository, input: EnvironmentSnapshotInput): Promise<Snapshot> {
  const clock = ctx.clock;
  const started = clock.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const opts: CaptureOptions = { logger: ctx.logger, progress: ctx.progress };
  const { env } = input;
  const live = input.maintenance === undefined;
  const withMounts = env.mounts.length > 0;
  if (!withMounts && input.sources.length === 0) {
    throw new EnvsnapError('INVALID_ARGUMENT', `environment ${env.name} has nothing to snapshot${input.backupType ? ` with --type ${input.backupType}` : ''} (no mounts and no databases): add them to envsnap.yaml, or choose another --type`);
  }

  return withLock(repo, { exclusive: false, operation: 'snapshot', logger: ctx.logger }, async (lock) => {
    await repo.loadIndex();
    const adopted = await repo.adoptUnindexedPacks(lock);
    if (adopted > 0) ctx.logger.info(`reusing ${adopted} pack(s) left by an interrupted run`);
    const parentFiles = withMounts && !input.mountsFrom ? await findParentFilesTree(repo, input.project, env.name, env.mounts) : undefined;

    const opened: { spec: SourceSpec; source: Source }[] = [];
    const saver = repo.newSaver({ lock });
    // Fixed metadata (time 0) for source files, so an unchanged source gives the very same trees: the time is in the manifest.
    const builder = new EntryTreeBuilder(repo, saver, { mtimeNs: '0' });
    try {
      // 1. open
      for (const spec of input.sources) {
        const source = await spec.create();
        opened.push({ spec, source });
      }
      // Settle every open before failing, so close() never races a connection still being made.
      await allSettledOrThrow(opened.map(({ source }) => source.open(opts)));

      // 2–4. pin and mounts, under maintenance unless live
      const pinAndMounts = async () => {
        const pins = await allSettledOrThrow(
          opened.map(async ({ source }) => {
            const pin: PinResult = await source.pin();
            return { pin, at: clock.now() };
          }),
        );
        const filesFrom = clock.now();
        if (!withMounts) return { pins, files: undefined, filesFrom, filesTo: filesFrom };
        if (input.mountsFrom) {
          const files = await captureFileTree(input.mountsFrom, builder, { mtimeNs: `${BigInt(input.imported?.time ?? started) * 1_000_000n}`, opts });
          return { pins, files, filesFrom, filesTo: clock.now() };
        }
        const archiver = new Archiver(repo, saver, {
          root: env.root,
          selection: selectionFromPaths(env.mounts),
          exclude: compileExcludes(env.exclude),
          parentTree: parentFiles,
          logger: ctx.logger,
          progress: ctx.progress,
        });
        const files = await archiver.run();
        return { pins, files, filesFrom, filesTo: clock.now() };
      };
      let maintenanceMs: number | undefined;
      let offFailed = false;
      let stage;
      if (input.maintenance) {
        const r = await input.maintenance.run(pinAndMounts);
        maintenanceMs = r.onMs;
        offFailed = r.offFailed === true;
        stage = r.result;
      } else {
        stage = await pinAndMounts();
      }
      // 5. capture
      const records: SourceRecord[] = [];
      if (stage.files) {
        records.push({
          kind: 'files',
          id: 'mounts',
          name: 'mounts',
          path: FILES_DIR,
          bytes: stage.files.summary.bytes,
          consistent: !live || input.imported !== undefined,
          pointFrom: iso(input.imported?.time ?? stage.filesFrom),
          pointTo: iso(input.imported?.time ?? stage.filesTo),
          details: { ...stage.files.summary, mounts: env.mounts },
          durationMs: stage.filesTo - stage.filesFrom,
        });
        if (stage.files.tree !== undefined) builder.addSubtree(FILES_DIR, stage.files.tree);
      }
      const captured = await allSettledOrThrow(
        opened.map(async ({ spec, source }, i) => {
          const from = clock.now();
          const path = `${spec.kind}/${spec.id}`;
          try {
            const r = await source.capture(builder.writer(path), opts);
            return { spec, path, r, from, to: clock.now(), pin: stage.pins[i] };
          } catch (err) {
            throw asSourceFailure(err, spec.name);
          }
        }),
      );
      for (const c of captured) {
        const pinned = c.pin.pin.consistent;
        records.push({
          kind: c.spec.kind,
          id: c.spec.id,
          name: c.spec.name,
          ...(c.spec.role ? { role: c.spec.role } : {}),
          path: c.path,
          bytes: c.r.bytes,
          consistent: pinned,
          pointFrom: iso(input.imported?.time ?? (pinned ? c.pin.at : c.from)),
          pointTo: iso(input.imported?.time ?? (pinned ? c.pin.at : c.to)),
          point: c.pin.pin.details,
          details: c.r.details,
          durationMs: c.to - c.from,
        });
      }
      const tree = await builder.finish();
      await saver.finish();

      // 6. commit
      const froms = records.map((r) => Date.parse(r.pointFrom));
      const tos = records.map((r) => Date.parse(r.pointTo));
      const environment: EnvironmentInfo = {
        project: input.project,
        name: env.name,
        type: env.type,
        plan: env.plan,
        mode: live && !input.imported ? 'live' : 'consistent',
        trigger: input.trigger ?? 'manual',
        ...(maintenanceMs !== undefined ? { maintenanceMs } : {}),
        skewMs: Math.max(...tos) - Math.min(...froms),
        sources: records,
        skipped: input.skipped ?? [],
        backupType: input.backupType ?? 'system',
        ...(input.excludeMedia ? { excludeMedia: true } : {}),
        ...(input.imported ? { imported: { files: input.imported.files, at: iso(started) } } : {}),
      };
      const files = stage.files ?? { summary: { files: 0, dirs: 0, bytes: 0, newFiles: 0, changedFiles: 0, unchangedFiles: 0 }, partial: false, warningCount: 0, warnings: [] };
      const totalBytes = records.reduce((n, r) => n + r.bytes, 0);
      const manifest: SnapshotManifest = {
        version: 1,
        time: iso(input.imported?.time ?? started),
        hostname: hostname(),
        username: userInfo().username,
        root: env.root,
        paths: env.mounts,
        tree,
        tags: input.tags ?? [],
        env: env.name,
        excludes: env.exclude,
        partial: files.partial,
        warningCount: files.warningCount,
        warnings: files.warnings,
        summary: {
          ...files.summary,
          bytes: totalBytes,
          addedBytes: saver.stats.newBytes,
          storedBytes: saver.stats.storedBytes,
          durationMs: clock.now() - started,
        },
        programVersion: PROGRAM_VERSION,
        environment,
      };
      const id = await saveSnapshot(repo, manifest, lock);
      ctx.progress.done();
      if (offFailed) {
        throw new EnvsnapError(
          'SOURCE_FAILED',
          `snapshot ${id.slice(0, 8)} was saved, but maintenance mode of ${env.name} could not be switched off (${input.maintenance!.description}): switch it off by hand now`,
        );
      }
      return { ...manifest, id };
    } catch (err) {
      await saver.abort();
      throw err;
    } finally {
      await Promise.all(opened.map(({ source }) => source.close().catch(() => {})));
    }
  });
}

/**
 * The mounts from a file-tree source, written through `builder` under files/ (directories that are
 * only parents get mode 0755 and time `mtimeNs`).
 */
async function captureFileTree(source: Source<FileTreeWriter>, builder: EntryTreeBuilder, o: { mtimeNs: string; opts: CaptureOptions }): Promise<Omit<ArchiveResult, 'tree'> & { tree: undefined }> {
  const dirMeta: EntryMeta = { mode: 0o755, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: o.mtimeNs };
  const writer = builder.fileTreeWriter(FILES_DIR, { dirMeta });
  try {
    await source.open(o.opts);
    await source.pin();
    await source.capture(writer, o.opts);
  } finally {
    await source.close();
  }
  const n = writer.summary();
  return { tree: undefined, summary: { ...n, newFiles: n.files, changedFiles: 0, unchangedFiles: 0 }, warnings: [], warningCount: 0, partial: false };
}

/** Like Promise.all, but waits for every promise before rejecting with the first failure. */
async function allSettledOrThrow<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Errors from a driver that are not ours yet get the source's name and a code. */
function asSourceFailure(err: unknown, name: string): unknown {
  if (isEnvsnapError(err)) return err;
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new EnvsnapError('SOURCE_FAILED', `${name} failed during the snapshot: ${msg}; no snapshot was saved`, { cause: err });
}

/**
 * The files tree of an earlier snapshot of the same environment on this host, for incremental
 * reading: the latest one that captured the same mounts, else the latest one whose mounts overlap
 * these (a db-media snapshot for a system one). The archiver looks a parent up only by path, to skip
 * re-reading an unchanged file, so a parent with other mounts costs reading, never files; snapshots
 * without mounts (db) have no files tree to offer.
 */
async function findParentFilesTree(repo: Repository, project: string, env: string, mounts: readonly string[]): Promise<string | undefined> {
  const mountsOf = (s: Snapshot) => {
    const files = s.environment?.sources.find((r) => r.kind === 'files');
    return files ? ((files.details?.mounts as string[] | undefined) ?? s.paths) : [];
  };
  // An imported snapshot's files never were on this disk: their inodes and ctimes are made up.
  const candidates = (await listSnapshots(repo)).filter((s) => s.environment?.project === project && s.env === env && s.hostname === hostname() && !s.environment.imported && mountsOf(s).length > 0);
  const key = (m: readonly string[]) => [...m].sort().join('\n');
  const near = (a: string, b: string) => a === '.' || b === '.' || a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  const last =
    candidates.filter((s) => key(mountsOf(s)) === key(mounts)).at(-1) ?? candidates.filter((s) => mountsOf(s).some((m) => mounts.some((n) => near(m, n)))).at(-1);
  if (!last) return undefined;
  try {
    const root = decodeTree(await repo.loadBlob(BlobType.tree, Buffer.from(last.tree, 'hex')), last.tree);
    return root.nodes.find((n) => n.name === FILES_DIR && n.type === 'dir')?.subtree;
  } catch {
    return undefined; // a damaged parent only costs re-reading
  }
}
