/** `envsnap snapshot:restore <id>`: restore all or part of a snapshot. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { restoreSnapshot } from '../../app/restore-snapshot.ts';
import { formatBytes } from '../../core/bytes.ts';
import type { OverwriteMode } from '../../snapshot/restorer.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('snapshot:restore')
    .argument('<id>', 'snapshot id, a unique prefix of it, or "latest"')
    .description('restore a snapshot under --target DIR at the same relative paths, or in place (its original directory) without --target')
    .option('--target <dir>', 'directory to restore into (created when missing)')
    .option('--include <path>', 'restore only this path of the snapshot and what is under it (repeatable)', collect, [])
    .addOption(new Option('--overwrite <mode>', 'what to do with files that exist at the target').choices(['always', 'if-changed', 'never']).default('always'))
    .addHelpText(
      'after',
      '\nEvery chunk is verified against its hash; each file is written under a temporary name and renamed into place.\nA snapshot whose paths would escape the target is refused.',
    )
    .action(async (ref: string, opts: { target?: string; include: string[]; overwrite: OverwriteMode }, cmd: Command) => {
      const s = new Session(cmd);
      const r = await s.withRepo((repo) => restoreSnapshot(s.ctx, repo, { snapshot: ref, target: opts.target, include: opts.include, overwrite: opts.overwrite }));
      if (s.out.json) return printJson({ snapshotId: r.snapshot.id, target: r.target, ...r.summary });
      if (!s.out.quiet) {
        printLine(`restored snapshot ${r.snapshot.id.slice(0, 8)} to ${r.target}: ${r.summary.files} files (${formatBytes(r.summary.bytes)}), ${r.summary.dirs} directories, ${r.summary.symlinks} symlinks${r.summary.skipped ? `, ${r.summary.skipped} skipped` : ''}`);
      }
    });
}
