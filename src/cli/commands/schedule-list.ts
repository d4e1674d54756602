/**
 * `envsnap schedule:list [-e ENV]`: the scheduled runs of the project's environments (schedules:
 * lists, or policy.automatic.schedule where an environment has none), each with its next run and
 * the last run recorded by the scheduler (in the state database .envsnap/state/server.db beside envsnap.yaml).
 */
import type { Command } from 'commander';
import type { EnvironmentConfig } from '../../config/project-config.ts';
import { CONFIG_FILE_NAME } from '../../config/file-name.ts';
import { getEnvironment } from '../../config/project-config.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { backupTypeLabel, type EnvironmentBackupType } from '../../policy/backup-types.ts';
import type { RunRecord } from '../../scheduler/run-history.ts';
import { scheduleRows } from '../../scheduler/schedule-rows.ts';
import { projectRunHistory } from '../../state/run-history-store.ts';
import { Session } from '../session.ts';
import { printJson, printLine, printTable } from '../render.ts';

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
      const rows = scheduleRows(envs, history, s.ctx.clock.now());
      if (s.out.json) return printJson(rows);
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
          backupTypeLabel(r.type as EnvironmentBackupType, r.excludeMedia),
          r.nextRun ? formatLocal(Date.parse(r.nextRun), r.timezone) : 'off (automatic.enabled: false)',
          typeof r.last?.lastStart === 'string' ? formatLocal(Date.parse(r.last.lastStart), r.timezone) : '-',
          r.last ? resultText(r.last as unknown as RunRecord) : '-',
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

/** "2026-06-02 02:30 CEST": an instant as local time in `timeZone`. */
export function formatLocal(t: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}
