/**
 * `envsnap schedule:list [-e ENV]`: the scheduled runs of the project's environments (schedules:
 * lists, or policy.automatic.schedule where an environment has none), each with its next run and
 * the last run recorded by the scheduler (in the state database .envsnap/state/server.db beside envsnap.yaml).
 */
import type { Command } from 'commander';
import type { EnvironmentConfig } from '../../config/project-config.ts';
import { CONFIG_FILE_NAME, getEnvironment } from '../../config/project-config.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { describeSchedule, nextRunAt } from '../../policy/schedule.ts';
import type { RunRecord } from '../../scheduler/run-history.ts';
import { projectRunHistory } from '../../state/run-history-store.ts';
import { scheduledRuns, type ScheduledRun } from '../../scheduler/schedules.ts';
import { Session } from '../session.ts';
import { printJson, printLine, printTable } from '../render.ts';

interface Row {
  environment: string;
  id: string;
  source: ScheduledRun['source'];
  schedule: string;
  timezone: string;
  live: boolean;
  type: string;
  /** false: listed in schedules: but automatic snapshots are off for the environment. */
  enabled: boolean;
  nextRun?: string;
  last?: RunRecord;
}

export function register(program: Command): void {
  program
    .command('schedule:list')
    .description('list the automatic snapshot schedules with their next run and the last result')
    .addHelpText('after', '\nWith the global -e ENV, only that environment.')
    .action(async (_opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const project = await s.project();
      if (!project) throw new EnvsnapError('CONFIG', `no ${CONFIG_FILE_NAME} in ${process.cwd()}: create one, run "envsnap env:discover --root DIR", or pass --config FILE`);
      const envs: EnvironmentConfig[] = s.globals.env !== undefined ? [getEnvironment(project, s.globals.env)] : [...project.environments.values()];
      const state = await projectRunHistory(project.file);
      const history = state.history;
      state.close();
      const now = s.ctx.clock.now();
      const rows: Row[] = envs.flatMap((env) => {
        const enabled = env.policy.automatic.enabled;
        const runs: ScheduledRun[] = enabled ? scheduledRuns(env) : (env.schedules ?? []).map((x) => ({ env: env.name, id: x.id, schedule: x.schedule, live: x.live, backupType: x.backupType, source: 'schedules' as const }));
        return runs.map((r) => ({
          environment: env.name,
          id: r.id,
          source: r.source,
          schedule: describeSchedule(r.schedule).replace(/ in \S+$/, ''),
          timezone: r.schedule.timezone,
          live: r.live,
          type: r.backupType,
          enabled,
          ...(enabled ? { nextRun: new Date(nextRunAt(r.schedule, now)).toISOString() } : {}),
          ...(history.get(env.name, r.id) ? { last: history.get(env.name, r.id) } : {}),
        }));
      });
      if (s.out.json) {
        return printJson(rows.map((r) => ({ ...r, last: r.last && jsonRecord(r.last) })));
      }
      if (rows.length === 0) {
        printLine(`no scheduled snapshots${s.globals.env ? ` for ${s.globals.env}` : ''}: add one with envsnap -e ENV schedule:set --daily --at 02:30 --timezone ZONE (on plans and environment types that take automatic snapshots)`);
        return;
      }
      printTable(
        ['Environment', 'ID', 'Schedule', 'Time zone', 'Mode', 'Type', 'Next run', 'Last run', 'Result'],
        rows.map((r) => [
          r.environment,
          r.id,
          r.schedule,
          r.timezone,
          r.live ? 'live' : 'maintenance',
          r.type,
          r.nextRun ? formatLocal(Date.parse(r.nextRun), r.timezone) : 'off (automatic.enabled: false)',
          r.last?.lastStart !== undefined ? formatLocal(r.last.lastStart, r.timezone) : '-',
          r.last ? resultText(r.last) : '-',
        ]),
      );
    });
}

function resultText(r: RunRecord): string {
  if (r.result === undefined) return '-';
  const attempts = r.attempts && r.attempts > 1 ? ` (attempt ${r.attempts})` : '';
  if (r.result === 'ok') return `ok ${r.snapshotId?.slice(0, 8) ?? ''}${attempts}`;
  if (r.result === 'failed') return `failed${attempts}: ${r.error ?? ''}`;
  return r.result;
}

function jsonRecord(r: RunRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r };
  for (const k of ['seenAt', 'lastScheduled', 'lastStart', 'lastEnd', 'skippedAt'] as const) if (r[k] !== undefined) out[k] = new Date(r[k]).toISOString();
  return out;
}

/** "2026-06-02 02:30 CEST": an instant as local time in `timeZone`. */
export function formatLocal(t: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}
