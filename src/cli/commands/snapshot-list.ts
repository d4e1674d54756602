/** `envsnap snapshot:list`: Created, Snapshot ID, Restorable, Size, Environment, Contents. */
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
    .addHelpText('after', '\nWith the global --env NAME, only the snapshots of that environment.')
    .action(async (opts: { path?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const snaps = await s.withRepo((repo) => listAllSnapshots(repo, { path: opts.path, env: s.globals.env }));
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
            environment: x.env,
            mode: x.environment?.mode,
            trigger: x.environment?.trigger,
            sources: x.environment?.sources.map((r) => ({ kind: r.kind, id: r.id, bytes: r.bytes })),
          })),
        );
        return;
      }
      printTable(
        ['Created', 'Snapshot ID', 'Restorable', 'Size', 'Environment', 'Contents', 'Host', 'Tags'],
        snaps.map((x) => [
          x.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          x.id.slice(0, 8),
          x.partial ? 'yes (partial)' : 'yes',
          formatBytes(x.summary.bytes),
          x.environment ? `${x.env} (${x.environment.trigger}, ${x.environment.mode})` : (x.env ?? '-'),
          x.environment ? contents(x.environment.sources) : x.paths.join(' '),
          x.hostname,
          x.tags.join(','),
        ]),
      );
    });
}

/** "database, redis, files" for an environment snapshot. */
function contents(sources: { kind: string }[]): string {
  const parts = new Set(sources.map((r) => (r.kind === 'mysql' || r.kind === 'sqlite' ? 'database' : r.kind === 'files' ? 'files' : r.kind)));
  return [...parts].join(', ');
}
