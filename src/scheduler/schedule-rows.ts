/**
 * The scheduled runs of environments as `schedule:list --json` and the server's API show them: each
 * with its schedule in words, time zone, mode, type, next run (when automatic snapshots are on) and
 * the last run from the run history, times as ISO strings. The row's type is the wire type
 * (server/api-types.ts, types only, as app/snapshot-row.ts does).
 */
import type { EnvironmentConfig } from '../config/project-config.ts';
import { describeSchedule, nextRunAt } from '../policy/schedule.ts';
import type { RunHistory, RunRecord } from './run-history.ts';
import type { ScheduleRow } from '../server/api-types.ts';
import { listedRuns, scheduledRuns, type ScheduledRun } from './schedules.ts';

export type { ScheduleRow };

const TIME_KEYS = ['seenAt', 'lastScheduled', 'lastStart', 'lastEnd', 'skippedAt'] as const;

export function scheduleRows(envs: readonly EnvironmentConfig[], history: RunHistory, now: number): ScheduleRow[] {
  return envs.flatMap((env) => {
    const enabled = env.policy.automatic.enabled;
    const runs: ScheduledRun[] = enabled ? scheduledRuns(env) : listedRuns(env);
    return runs.map((r) => {
      const last = history.get(env.name, r.id);
      return {
        environment: env.name,
        id: r.id,
        source: r.source,
        schedule: describeSchedule(r.schedule).replace(/ in \S+$/, ''),
        timezone: r.schedule.timezone,
        live: r.live,
        type: r.backupType,
        ...(r.excludeMedia ? { excludeMedia: true as const } : {}),
        enabled,
        ...(enabled ? { nextRun: new Date(nextRunAt(r.schedule, now)).toISOString() } : {}),
        ...(last ? { last: jsonRecord(last) } : {}),
      };
    });
  });
}

function jsonRecord(r: RunRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r };
  for (const k of TIME_KEYS) if (r[k] !== undefined) out[k] = new Date(r[k]).toISOString();
  return out;
}
