/** `envsnap snapshot:delete <id...>`: forget snapshots; `prune` reclaims their space. */
import type { Command } from 'commander';
import { deleteSnapshots } from '../../app/manage-snapshots.ts';
import { remoteDelete } from '../remote-snapshots.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('snapshot:delete')
    .argument('<ids...>', 'snapshot ids or unique prefixes')
    .description('delete snapshots (their data stays until "envsnap prune")')
    .option('--wait', 'with --server: queue behind an activity already running on the environment instead of being refused')
    .option('--no-wait', 'with --server: print the activity id and return at once')
    .action(async (refs: string[], opts: { wait?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const server = s.server();
      if (server) return remoteDelete(s, server, refs, opts);
      const deleted = await s.withRepo((repo) => deleteSnapshots(s.ctx, repo, refs));
      if (s.out.json) return printJson({ deleted: deleted.map((d) => d.id) });
      for (const d of deleted) printLine(`deleted snapshot ${d.id.slice(0, 8)} (${d.time})`);
      printLine('run "envsnap prune" to reclaim the space');
    });
}
