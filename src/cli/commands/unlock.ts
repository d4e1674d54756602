/** `envsnap unlock`: remove stale locks (dead processes, not refreshed for lock.stale-age: see repo:settings). */
import type { Command } from 'commander';
import { unlock } from '../../app/maintain.ts';
import { describeLock } from '../../repo/lock.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('unlock')
    .description('remove stale locks left by processes that died; --remove-all removes every lock')
    .option('--remove-all', 'remove all locks, even of running processes (only when you know none is running)')
    .action(async (opts: { removeAll?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const removed = await s.withRepo((repo) => unlock(repo, opts.removeAll === true));
      if (s.out.json) return printJson({ removed });
      if (removed.length === 0) printLine('no stale locks');
      for (const l of removed) printLine(`removed ${describeLock(l)}${l.staleReason ? ` — ${l.staleReason}` : ''}`);
    });
}
