/**
 * Which module registers which command. The CLI loads only the modules of the commands named on the
 * command line (all of them for the overview help or an unknown command): a run of one command does
 * not pay, in start-up time and memory, for the libraries of the other twenty-six.
 */
import type { Command } from 'commander';

type Registrar = () => Promise<{ register: (program: Command) => void }>;

/** In the order `envsnap --help` lists them. */
const COMMANDS: readonly (readonly [names: readonly string[], load: Registrar])[] = [
  [['init'], () => import('./commands/init.ts')],
  [['snapshot:create', 'backup'], () => import('./commands/snapshot-create.ts')],
  [['snapshot:list'], () => import('./commands/snapshot-list.ts')],
  [['snapshot:info'], () => import('./commands/snapshot-info.ts')],
  [['snapshot:restore'], () => import('./commands/snapshot-restore.ts')],
  [['snapshot:delete'], () => import('./commands/snapshot-delete.ts')],
  [['snapshot:pin', 'snapshot:unpin'], () => import('./commands/snapshot-pin.ts')],
  [['snapshot:diff'], () => import('./commands/snapshot-diff.ts')],
  [['snapshot:export'], () => import('./commands/snapshot-export.ts')],
  [['snapshot:import'], () => import('./commands/snapshot-import.ts')],
  [['copy'], () => import('./commands/copy.ts')],
  [['check'], () => import('./commands/check.ts')],
  [['prune'], () => import('./commands/prune.ts')],
  [['expire'], () => import('./commands/expire.ts')],
  [['key:list', 'key:add', 'key:remove', 'key:passwd'], () => import('./commands/keys.ts')],
  [['unlock'], () => import('./commands/unlock.ts')],
  [['repo:settings'], () => import('./commands/repo-settings.ts')],
  [['env:discover'], () => import('./commands/env-discover.ts')],
  [['env:list'], () => import('./commands/env-list.ts')],
  [['policy:show'], () => import('./commands/policy-show.ts')],
  [['schedule:set'], () => import('./commands/schedule-set.ts')],
  [['schedule:list'], () => import('./commands/schedule-list.ts')],
  [['schedule:remove'], () => import('./commands/schedule-remove.ts')],
  [['scheduler'], () => import('./commands/scheduler.ts')],
  [['db:dump'], () => import('./commands/db-dump.ts')],
  [['serve'], () => import('./commands/serve.ts')],
  [['user:add', 'user:list', 'user:remove', 'user:passwd', 'token:create'], () => import('./commands/users.ts')],
  [['activity:list', 'activity:log', 'activity:cancel'], () => import('./commands/activities.ts')],
];

/** The commands that open the repository given by --repo or ENVSNAP_REPO (with its password). */
const OPEN_REPOSITORY: ReadonlySet<string> = new Set([
  'snapshot:create', 'backup', 'snapshot:list', 'snapshot:info', 'snapshot:restore', 'snapshot:delete', 'snapshot:pin', 'snapshot:unpin',
  'snapshot:diff', 'snapshot:export', 'snapshot:import', 'check', 'prune', 'expire', 'key:list', 'key:add', 'key:remove', 'key:passwd', 'unlock', 'repo:settings',
]);

/** The table's entries of the commands named among `args`: any argument equal to a name or alias counts. */
function namedCommands(args: readonly string[]): (typeof COMMANDS)[number][] {
  return COMMANDS.filter(([names]) => names.some((n) => args.includes(n)));
}

/** Whether the one command named among `args` opens the repository. */
export function opensRepository(args: readonly string[]): boolean {
  const named = namedCommands(args);
  return named.length === 1 && named[0][0].some((n) => args.includes(n) && OPEN_REPOSITORY.has(n));
}

/** Every command name and alias there is. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.flatMap(([names]) => names);

/**
 * Registers the commands named among `args` (any argument equal to a command name counts: an extra
 * command registered costs a little time, never a wrong parse) — or all of them when none is named.
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const named = namedCommands(args);
  const modules = await Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));
  for (const m of modules) m.register(program);
}
