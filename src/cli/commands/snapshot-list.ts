/** `envsnap snapshot:list`: Created, Snapshot ID, Restorable, Size, Paths. */
import type { Command } from 'commander';
import { listAllSnapshots } from '../../app/manage-snapshots.ts';
import { formatBytes } from '../../core/bytes.ts';
import { Session } from '../session.ts';
import { printJson, printTable } from '../render.ts';

export function register(program: Command): void {
  program
    .command('snapshot:list')
    .description('list the snapshots, oldest first')
    .option('--path <path>', 'only snapshots that include this path')
    .action(async (opts: { path?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const snaps = await s.withRepo((repo) => listAllSnapshots(repo, { path: opts.path }));
      if (s.out.json) {
        printJson(
          snaps.map((x) => ({
            id: x.id,
            shortId: x.id.slice(0, 8),
            created: x.time,
            restorable: true,
            partial: x.partial,
            size: x.summary.bytes,
            files: x.summary.files,
            paths: x.paths,
            root: x.root,
            hostname: x.hostname,
            tags: x.tags,
            parent: x.parent,
          })),
        );
        return;
      }
      printTable(
        ['Created', 'Snapshot ID', 'Restorable', 'Size', 'Paths', 'Host', 'Tags'],
        snaps.map((x) => [
          x.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          x.id.slice(0, 8),
          x.partial ? 'yes (partial)' : 'yes',
          formatBytes(x.summary.bytes),
          x.paths.join(' '),
          x.hostname,
          x.tags.join(','),
        ]),
      );
    });
}
