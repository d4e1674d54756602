/** `envsnap repo:settings`: show or change the safety margins stored in the repository. */
import type { Command } from 'commander';
import { changeRepositorySettings, repositorySettings } from '../../app/repo-settings.ts';
import { DEFAULT_MARGINS, MARGIN_SETTINGS, formatSpan } from '../../repo/safety-margins.ts';
import { Session } from '../session.ts';
import { printJson, printTable } from '../render.ts';

const HELP = `
Settings (every host sharing the repository applies the same ones; default in brackets):
${MARGIN_SETTINGS.map((s) => `  ${s.name.padEnd(28)}${s.meaning} [${formatSpan(DEFAULT_MARGINS[s.field])}]`).join('\n')}

Durations are a whole number with s, m, h or d (30s, 10m, 2h, 1d). They must satisfy:
  lock.stale-age >= 2 x lock.refresh-interval + lock.clock-skew
  prune.unreferenced-min-age > lock.stale-age + lock.clock-skew
A change takes the exclusive lock (no snapshot or prune may run meanwhile).

Example: envsnap repo:settings --set prune.unreferenced-min-age=6h --set lock.clock-skew=5m`;

export function register(program: Command): void {
  program
    .command('repo:settings')
    .description('show the safety margins stored in the repository (lock times, prune age); --set changes them')
    .option('--set <name=duration>', 'change a setting (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addHelpText('after', HELP)
    .action(async (opts: { set: string[] }, cmd: Command) => {
      const s = new Session(cmd);
      const rows = await s.withRepo(async (repo) => (opts.set.length > 0 ? changeRepositorySettings(s.ctx, repo, opts.set) : repositorySettings(repo)));
      if (s.out.json) return printJson(rows);
      printTable(['Setting', 'Value', 'Origin'], rows.map((r) => [r.name, r.value, r.isDefault ? 'default' : 'repository']));
    });
}
