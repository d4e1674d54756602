/** `envsnap snapshot:create [PATH...]` (alias `backup`): snapshot paths relative to the working directory. */
import type { Command } from 'commander';
import { createSnapshot } from '../../app/create-snapshot.ts';
import { readExcludeFile } from '../../sources/files/exclude.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('snapshot:create')
    .alias('backup')
    .argument('[paths...]', 'files or directories to capture, relative to the working directory (default: all of it)')
    .description('create a snapshot of the given paths; paths are stored relative to the working directory')
    .option('--exclude <pattern>', 'glob of paths to leave out (repeatable); with a slash it matches the relative path, without one the base name', collect, [])
    .option('--exclude-file <file>', 'read exclude patterns from a file, one per line (# comments)', collect, [])
    .option('--tag <tag>', 'tag the snapshot (repeatable)', collect, [])
    .option('--parent <id>', 'read unchanged files from this snapshot instead of the latest matching one')
    .option('--force', 'read every file, ignoring the parent snapshot')
    .addHelpText(
      'after',
      '\nA file whose size, mtime, ctime and inode match the parent snapshot is not read again.\nUnreadable paths are reported as warnings and the snapshot is marked partial (exit code 3).',
    )
    .action(async (paths: string[], opts: { exclude: string[]; excludeFile: string[]; tag: string[]; parent?: string; force?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
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
