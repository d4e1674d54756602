/**
 * Scheduled runs: which automatic snapshots each environment takes, and when.
 *
 * How `schedules:` and the policy relate:
 *  - `policy.automatic.enabled` decides whether an environment takes automatic snapshots at all
 *    (the plan's preset: Pro staging and production do). When it is false nothing is scheduled,
 *    whatever `schedules:` says, and `schedule:set` refuses to add one (FORBIDDEN).
 *  - `environments.X.schedules` is the list of runs. When the key is there (even as an empty list),
 *    it replaces `policy.automatic.schedule`; when it is not, the policy's schedule is the one run,
 *    with id `policy` and the policy's `live` and `backup_type`.
 */
import type { EnvironmentConfig, ProjectConfig } from '../config/project-config.ts';
import type { EnvironmentBackupType } from '../policy/backup-types.ts';
import type { Schedule } from '../policy/schedule.ts';

export interface ScheduledRun {
  env: string;
  id: string;
  schedule: Schedule;
  live: boolean;
  backupType: EnvironmentBackupType;
  /** true: a system snapshot without pub/media (only a `schedules:` entry can ask for it). */
  excludeMedia?: boolean;
  /** Where the run comes from: the `schedules:` list or policy.automatic.schedule. */
  source: 'schedules' | 'policy';
}

/** The id of the run that policy.automatic.schedule stands for when there is no `schedules:` key. */
export const POLICY_SCHEDULE_ID = 'policy';

/** The runs of one environment; empty when automatic snapshots are off for it. */
export function scheduledRuns(env: EnvironmentConfig): ScheduledRun[] {
  if (!env.policy.automatic.enabled) return [];
  if (env.schedules !== undefined) return listedRuns(env);
  const a = env.policy.automatic;
  return [{ env: env.name, id: POLICY_SCHEDULE_ID, schedule: a.schedule, live: a.live, backupType: a.backupType, source: 'policy' }];
}

/** The runs of the environment's `schedules:` list, whether or not automatic snapshots are on. */
export function listedRuns(env: EnvironmentConfig): ScheduledRun[] {
  return (env.schedules ?? []).map((s) => ({ env: env.name, id: s.id, schedule: s.schedule, live: s.live, backupType: s.backupType, excludeMedia: s.excludeMedia, source: 'schedules' }));
}

/** Every run of the project, environments in file order. */
export function projectRuns(project: ProjectConfig): ScheduledRun[] {
  return [...project.environments.values()].flatMap(scheduledRuns);
}

/** Why `env` takes no automatic snapshots, with how to change that (one line), or undefined when it does. */
export function automaticRefusal(env: EnvironmentConfig): string | undefined {
  if (env.policy.automatic.enabled) return undefined;
  const origin = env.policy.origins['automatic.enabled'];
  return `environment ${env.name} does not take automatic snapshots (${env.plan} plan, ${env.type} environment; automatic.enabled is false: ${origin}): set policy: { automatic: { enabled: true } } under environments.${env.name} in envsnap.yaml to enable them`;
}
