/**
 * `envsnap snapshot:create` (alias `backup`): with a project (envsnap.yaml, --config or --env), a
 * snapshot of one environment — databases, Redis and mounts; with PATH arguments (or no project), a
 * snapshot of files relative to the working directory.
 */
import { getPriority, setPriority } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { createSnapshot } from '../../app/create-snapshot.ts';
import type { EnvironmentSnapshotResult } from '../../app/environment-snapshots.ts';
import { ENVIRONMENT_BACKUP_TYPES, backupScope, isBackupType, type EnvironmentBackupType } from '../../policy/backup-types.ts';
import { checkManualSnapshotAllowed } from '../../policy/manual-check.ts';
import { readExcludeFile } from '../../sources/files/exclude.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { remoteCreate } from '../remote-snapshots.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const backupType = (v: string): EnvironmentBackupType => {
  if (!isBackupType(v)) throw new InvalidArgumentError(`choose one of ${ENVIRONMENT_BACKUP_TYPES.join(', ')}`);
  return v;
};

export function register(program: Command): void {
  program
    .command('snapshot:create')
    .alias('backup')
    .argument('[paths...]', 'files or directories to capture, relative to the working directory (default: all of it)')
    .description('snapshot an environment (database, Redis, mounts) of the project, or the given paths relative to the working directory')
    .option('--live', 'environment snapshot without maintenance mode (no downtime), at a lower CPU priority; databases are still captured at one consistent point')
    .option('--skip-cache', 'leave Redis databases with role cache or page_cache out')
    .option('--type <type>', `environment snapshot backup type: ${ENVIRONMENT_BACKUP_TYPES.join(', ')} (default system)`, backupType)
    .option('--exclude-media', 'with --type system: leave pub/media out of the mounts')
    .option('--exclude <pattern>', 'glob of paths to leave out (repeatable); with a slash it matches the relative path, without one the base name', collect, [])
    .option('--exclude-file <file>', 'read exclude patterns from a file, one per line (# comments)', collect, [])
    .option('--tag <tag>', 'tag the snapshot (repeatable)', collect, [])
    .option('--parent <id>', 'read unchanged files from this snapshot instead of the latest matching one')
    .option('--force', 'read every file, ignoring the parent snapshot')
    .option('--wait', 'with --server: queue behind an activity already running on the environment instead of being refused')
    .option('--no-wait', 'with --server: print the activity id and return at once')
    .addHelpText(
      'after',
      `
Environment snapshots (envsnap -e ENV snapshot:create): every database, Redis database and mount of the
environment under one snapshot id. Without --live the shop goes into maintenance mode (Magento's flag
file or the configured commands) only while the databases' consistent point is taken and the mounts are
read, and always leaves it again, also on errors and Ctrl-C.

Backup types (--type, after Magento's System > Tools > Backups), recorded in the snapshot:
  system     databases, Redis and every mount (default); --exclude-media leaves pub/media out
  db-media   databases and pub/media only (pub/media must be a mount, or under one); no Redis,
             which is neither database nor media
  db         databases only (MySQL/MariaDB and SQLite): no Redis, no mounts; maintenance mode is on
             only while the databases' consistent point is taken

A file whose size, mtime, ctime and inode match the parent snapshot is not read again.
Unreadable paths are reported as warnings and the snapshot is marked partial (exit code 3).`,
    )
    .action(async (paths: string[], opts: { exclude: string[]; excludeFile: string[]; tag: string[]; parent?: string; force?: boolean; live?: boolean; skipCache?: boolean; type?: EnvironmentBackupType; excludeMedia?: boolean; wait?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const server = s.server();
      if (server) {
        if (paths.length || opts.exclude.length || opts.excludeFile.length || opts.tag.length || opts.parent || opts.force) {
          throw new EnvsnapError('INVALID_ARGUMENT', 'with --server, snapshot:create takes an environment snapshot (-e ENV, --live, --type, --exclude-media, --skip-cache): paths, excludes, tags and parents are local options');
        }
        return remoteCreate(s, server, { live: opts.live === true, ...(opts.type ? { type: opts.type } : {}), ...(opts.excludeMedia ? { excludeMedia: true } : {}), ...(opts.skipCache ? { skipCache: true } : {}) }, { wait: opts.wait });
      }
      if (paths.length === 0 && s.hasProject()) {
        if (opts.exclude.length || opts.excludeFile.length || opts.parent) {
          throw new EnvsnapError('INVALID_ARGUMENT', '--exclude, --exclude-file and --parent apply to path snapshots; set exclude in envsnap.yaml for an environment');
        }
        const { project, env } = await s.environment();
        // Refused before the password is asked for or the repository opened (the use case checks again).
        checkManualSnapshotAllowed(env.policy);
        backupScope(env, opts.type, opts.excludeMedia);
        // A live snapshot runs beside the shop: give the shop's own processes (database server, PHP)
        // the CPU first. Set before any worker thread starts, so the workers inherit it.
        if (opts.live) lowerPriority();
        const { snapshotEnvironment } = await import('../../app/environment-snapshots.ts');
        const snap = await s.withRepo((repo) => snapshotEnvironment(s.ctx, repo, { project, env, live: opts.live, skipCache: opts.skipCache, tags: opts.tag, backupType: opts.type, excludeMedia: opts.excludeMedia }));
        return printEnvironmentSnapshot(s, snap);
      }
      if (opts.live || opts.skipCache || opts.type || opts.excludeMedia) {
        throw new EnvsnapError('INVALID_ARGUMENT', '--live, --skip-cache, --type and --exclude-media apply to environment snapshots: give --env NAME (with an envsnap.yaml) instead of paths');
      }
      const excludes = [...opts.exclude, ...opts.excludeFile.flatMap(readExcludeFile)];
      const result = await s.withRepo((repo) =>
        createSnapshot(s.ctx, repo, { root: process.cwd(), paths, excludes, tags: opts.tag, parent: opts.force ? false : opts.parent }),
      );
      const snap = result.snapshot;
      if (s.out.json) {
        printJson({ snapshotId: snap.id, shortId: snap.id.slice(0, 8), partial: snap.partial, warnings: snap.warningCount, summary: snap.summary, paths: snap.paths, time: snap.time });
      } else if (!s.out.quiet) {
        const sm = snap.summary;
        printLine(`files: ${sm.newFiles} new, ${sm.changedFiles} changed, ${sm.unchangedFiles} unchanged; dirs: ${sm.dirs}`);
        printLine(`added to the repository: ${formatBytes(sm.addedBytes)} (${formatBytes(sm.storedBytes)} stored) of ${formatBytes(sm.bytes)} in ${(sm.durationMs / 1000).toFixed(1)} s`);
        printLine(`snapshot ${snap.id.slice(0, 8)} saved${snap.partial ? ` (partial: ${snap.warningCount} path(s) could not be read)` : ''}`);
      }
      if (snap.partial) throw new EnvsnapError('PARTIAL', `snapshot ${snap.id.slice(0, 8)} is partial: ${snap.warningCount} path(s) could not be read (see the warnings above)`);
    });
}

function lowerPriority(): void {
  try {
    setPriority(Math.min(19, getPriority() + 10));
  } catch {
    // not permitted here: run at normal priority
  }
}

function printEnvironmentSnapshot(s: Session, snap: EnvironmentSnapshotResult): void {
  const env = snap.environment!;
  if (s.out.json) {
    printJson({ snapshotId: snap.id, shortId: snap.id.slice(0, 8), environment: snap.env, time: snap.time, partial: snap.partial, backupType: env.backupType, ...(env.excludeMedia ? { excludeMedia: true } : {}), mode: env.mode, maintenanceMs: env.maintenanceMs, skewMs: env.skewMs, sources: env.sources, skipped: env.skipped, summary: snap.summary, replaced: snap.replaced.map((r) => r.id) });
  } else if (!s.out.quiet) {
    for (const r of env.sources) printLine(`${r.name}: ${formatBytes(r.bytes)} in ${(r.durationMs / 1000).toFixed(1)} s${r.consistent ? '' : ' (live)'}`);
    for (const k of env.skipped) printLine(`skipped ${k}`);
    const sm = snap.summary;
    printLine(`added to the repository: ${formatBytes(sm.addedBytes)} (${formatBytes(sm.storedBytes)} stored) of ${formatBytes(sm.bytes)} in ${(sm.durationMs / 1000).toFixed(1)} s`);
    if (env.maintenanceMs !== undefined) printLine(`maintenance mode was on for ${(env.maintenanceMs / 1000).toFixed(1)} s`);
    printLine(`snapshot ${snap.id.slice(0, 8)} of ${snap.env} saved${snap.partial ? ` (partial: ${snap.warningCount} path(s) could not be read)` : ''}`);
    for (const r of snap.replaced) printLine(`deleted manual snapshot ${r.id.slice(0, 8)} (${r.time}): over manual.max_count; "envsnap prune" reclaims its space`);
  }
  if (snap.partial) throw new EnvsnapError('PARTIAL', `snapshot ${snap.id.slice(0, 8)} is partial: ${snap.warningCount} path(s) could not be read (see the warnings above)`);
}
