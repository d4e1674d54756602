/** `envsnap snapshot:pin <id...>` / `snapshot:unpin <id...>`: keep snapshots whatever the retention policy says. */
import type { Command } from 'commander';
import { setPinned } from '../../app/manage-snapshots.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  for (const pinned of [true, false]) {
    const verb = pinned ? 'pin' : 'unpin';
    program
      .command(`snapshot:${verb}`)
      .argument('<ids...>', 'snapshot ids or unique prefixes')
      .description(pinned ? 'keep snapshots whatever the retention policy says (expire and the manual cap skip them)' : 'let the retention policy expire snapshots again')
      .action(async (refs: string[], _opts: unknown, cmd: Command) => {
        const s = new Session(cmd);
        const snaps = await s.withRepo((repo) => setPinned(s.ctx, repo, refs, pinned));
        if (s.out.json) return printJson({ [pinned ? 'pinned' : 'unpinned']: snaps.map((x) => x.id) });
        for (const x of snaps) printLine(`${verb}ned snapshot ${x.id.slice(0, 8)} (${x.time})`);
      });
  }
}
