/** `envsnap snapshot:diff <a> <b>`: what changed between two snapshots. */
import type { Command } from 'commander';
import { diffSnapshotRefs } from '../../app/manage-snapshots.ts';
import { formatBytes } from '../../core/bytes.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('snapshot:diff')
    .argument('<a>', 'the older snapshot (id, prefix or "latest")')
    .argument('<b>', 'the newer snapshot')
    .description('list paths added (+), removed (-), modified (M), changed type (T) or metadata only (U) from a to b')
    .action(async (refA: string, refB: string, _opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const r = await s.withRepo((repo) => diffSnapshotRefs(repo, refA, refB));
      if (s.out.json) return printJson(r);
      for (const c of r.changes) printLine(`${c.change}  ${c.path}`);
      const t = r.totals;
      printLine(
        `\n${t.addedFiles} files added (${formatBytes(t.addedBytes)}), ${t.removedFiles} removed (${formatBytes(t.removedBytes)}), ${t.modifiedFiles} modified; ${t.addedDirs} dirs added, ${t.removedDirs} removed`,
      );
    });
}
