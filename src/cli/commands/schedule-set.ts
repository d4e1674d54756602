/**
 * `envsnap -e ENV schedule:set`: adds a run to the environment's `schedules:` list in envsnap.yaml,
 * or replaces the one with the same id (default `default`). The file is edited through
 * ConfigDocument (comments kept) and validated as a whole before it is written; bad input is one
 * error line and nothing is written. Refused (FORBIDDEN) when the environment's policy takes no
 * automatic snapshots.
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { CONFIG_FILE_NAME } from '../../config/file-name.ts';
import { NAME_PATTERN, NAME_RULE } from '../../config/schema.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { backupTypeLabel, ENVIRONMENT_BACKUP_TYPES, type EnvironmentBackupType } from '../../policy/backup-types.ts';
import { describeSchedule, nextRunAt, scheduleProblem } from '../../policy/schedule.ts';
import { setSchedule, type ScheduleChange } from '../../scheduler/edit-schedules.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';
import { formatLocal } from './schedule-list.ts';

interface Options {
  daily?: boolean;
  weekly?: string;
  monthly?: string;
  at?: string;
  cron?: string;
  timezone: string;
  live?: boolean;
  type?: EnvironmentBackupType;
  excludeMedia?: boolean;
  id?: string;
}

/** Which flag sets each key of a schedule, for error messages. */
const FLAG_OF: Record<string, string> = { frequency: '--daily, --weekly or --monthly', at: '--at', weekday: '--weekly', day: '--monthly', cron: '--cron', timezone: '--timezone' };

export function register(program: Command): void {
  program
    .command('schedule:set')
    .description(`add or replace (by --id) an automatic snapshot schedule of an environment in ${CONFIG_FILE_NAME}`)
    .option('--daily', 'every day at --at')
    .option('--weekly <day>', 'every week on this day (monday … sunday) at --at')
    .option('--monthly <day>', 'every month on this day (1–31; 29–31 run on the last day of shorter months) at --at')
    .option('--at <HH:MM>', 'local start time, 24-hour')
    .option('--cron <expr>', 'a five-field cron expression instead of --daily/--weekly/--monthly and --at')
    .requiredOption('--timezone <zone>', 'IANA time zone the times are in, e.g. Europe/Amsterdam or UTC')
    .option('--live', 'no maintenance mode while snapshotting (default: maintenance mode on)')
    .addOption(new Option('--type <type>', 'what the snapshot holds (default: system)').choices(ENVIRONMENT_BACKUP_TYPES))
    .option('--exclude-media', 'with --type system (the default): leave pub/media out (Magento\'s system backup without media)')
    .option('--id <name>', 'name of the schedule, unique in the environment (default: default)')
    .addHelpText(
      'after',
      `
Use the global -e ENV to choose the environment (default: the only one). The schedule is written under
environments.ENV.schedules; a schedule with the same id is replaced. When an environment has a
schedules: list, it replaces policy.automatic.schedule; automatic.enabled must be true for it to run.
Run \`envsnap scheduler\` to take the snapshots.`,
    )
    .action(async (opts: Options, cmd: Command) => {
      const s = new Session(cmd);
      const globals = cmd.optsWithGlobals() as { config?: string; env?: string };
      const change = scheduleChange(opts);
      const file = resolve(globals.config ?? CONFIG_FILE_NAME);
      const r = await setSchedule(file, globals.env, change);
      const next = nextRunAt(r.schedule, s.ctx.clock.now());
      const live = opts.live === true;
      const type = backupTypeLabel(opts.type ?? 'system', opts.excludeMedia);
      const envName = r.environment;
      if (s.out.json) {
        return printJson({ file, environment: envName, id: r.id, replaced: r.replaced, schedule: describeSchedule(r.schedule), timezone: r.schedule.timezone, live, type, nextRun: new Date(next).toISOString() });
      }
      if (s.out.quiet) return;
      printLine(`${r.replaced ? 'replaced' : 'added'} schedule ${r.id} of ${envName} in ${file}: ${describeSchedule(r.schedule)}, ${live ? 'live' : 'maintenance mode'}, ${type}; next run ${formatLocal(next, r.schedule.timezone)}`);
      if (r.replacedPolicySchedule) printLine(`note: the schedules list replaces policy.automatic.schedule (${describeSchedule(r.replacedPolicySchedule.schedule)}) for ${envName}`);
    });
}

/** The change the flags ask for, checked: one line naming the flag when something is wrong. */
function scheduleChange(opts: Options): ScheduleChange {
  const kinds = [opts.daily && '--daily', opts.weekly !== undefined && '--weekly', opts.monthly !== undefined && '--monthly', opts.cron !== undefined && '--cron'].filter(Boolean);
  if (kinds.length === 0) throw new EnvsnapError('INVALID_ARGUMENT', 'no schedule given: pass --daily, --weekly DAY or --monthly N with --at HH:MM, or --cron "EXPR"');
  if (kinds.length > 1) throw new EnvsnapError('INVALID_ARGUMENT', `${kinds.join(' and ')} are given together: pass one of them`);
  if (opts.id !== undefined && !NAME_PATTERN.test(opts.id)) throw new EnvsnapError('INVALID_ARGUMENT', `--id: invalid schedule id ${JSON.stringify(opts.id)}: use ${NAME_RULE}`);
  const schedule: Record<string, unknown> =
    opts.cron !== undefined
      ? { cron: opts.cron }
      : {
          frequency: opts.daily ? 'daily' : opts.weekly !== undefined ? 'weekly' : 'monthly',
          at: opts.at,
          ...(opts.weekly !== undefined ? { weekday: opts.weekly } : {}),
          ...(opts.monthly !== undefined ? { day: /^\d+$/.test(opts.monthly) ? Number(opts.monthly) : opts.monthly } : {}),
        };
  if (opts.cron !== undefined && opts.at !== undefined) throw new EnvsnapError('INVALID_ARGUMENT', '--at is not used with --cron: remove it (the cron expression holds the time)');
  schedule.timezone = opts.timezone;
  const problem = scheduleProblem(schedule);
  if (problem) {
    const flag = FLAG_OF[String(problem.path[0])] ?? 'schedule';
    throw new EnvsnapError('INVALID_ARGUMENT', `${flag}: ${problem.message.replace(/\bat: "/g, '--at "').replace(/\bcron: "/g, '--cron "').replace(/\btimezone: /g, '--timezone ')}`);
  }
  return {
    ...(opts.id !== undefined ? { id: opts.id } : {}),
    schedule,
    live: opts.live === true,
    ...(opts.type !== undefined ? { type: opts.type } : {}),
    ...(opts.excludeMedia ? { excludeMedia: true } : {}),
  };
}
