/**
 * Changing an environment's `schedules:` list — and its `policy:` (retention) — in envsnap.yaml, for
 * `schedule:set` / `schedule:remove` and the server. The file is edited through ConfigDocument (comments kept) and validated whole before
 * it is written; bad input is one error and nothing is written. Setting a schedule is refused
 * (FORBIDDEN) when the environment's policy takes no automatic snapshots.
 */
import { ConfigDocument } from '../config/config-document.ts';
import { getEnvironment, loadProjectConfig, type ProjectConfig } from '../config/project-config.ts';
import { NAME_PATTERN, NAME_RULE, type ScheduleEntryInput } from '../config/schema.ts';
import { EnvsnapError } from '../core/errors.ts';
import { backupScope, type EnvironmentBackupType } from '../policy/backup-types.ts';
import { parseSchedule, scheduleProblem, type Schedule } from '../policy/schedule.ts';
import { automaticRefusal, scheduledRuns, type ScheduledRun } from './schedules.ts';

export interface ScheduleChange {
  /** Unique in the environment; default `default`. */
  id?: string;
  /** As written in envsnap.yaml: { frequency, at, weekday?, day?, timezone } or { cron, timezone }. */
  schedule: Record<string, unknown>;
  live?: boolean;
  type?: EnvironmentBackupType;
  /** A system snapshot without pub/media. */
  excludeMedia?: boolean;
}

/** The entry as written: the schedule parsed and spelled canonically ("2:30" → "02:30", sun → sunday). */
export function scheduleEntry(change: ScheduleChange): { entry: ScheduleEntryInput; schedule: Schedule } {
  if (change.id !== undefined && !NAME_PATTERN.test(change.id)) throw new EnvsnapError('INVALID_ARGUMENT', `invalid schedule id ${JSON.stringify(change.id)}: use ${NAME_RULE}`);
  const problem = scheduleProblem(change.schedule);
  if (problem) throw new EnvsnapError('INVALID_ARGUMENT', `schedule: ${problem.message}`);
  const parsed = parseSchedule(change.schedule);
  const keys: ScheduleEntryInput =
    parsed.kind === 'cron'
      ? { cron: parsed.cron }
      : { frequency: parsed.kind, ...(parsed.kind === 'weekly' ? { weekday: parsed.weekday } : {}), ...(parsed.kind === 'monthly' ? { day: parsed.day } : {}), at: parsed.at };
  const entry: ScheduleEntryInput = {
    ...(change.id !== undefined ? { id: change.id } : {}),
    ...keys,
    timezone: parsed.timezone,
    ...(change.live ? { live: true } : {}),
    ...(change.type !== undefined ? { backup_type: change.type } : {}),
    ...(change.excludeMedia ? { exclude_media: true } : {}),
  };
  return { entry, schedule: parsed };
}

export interface SetScheduleResult {
  environment: string;
  /** The configuration as written (validated by the save). */
  project: ProjectConfig;
  id: string;
  replaced: boolean;
  schedule: Schedule;
  /** The policy's schedule the new `schedules:` list now replaces, when there was none before. */
  replacedPolicySchedule?: ScheduledRun;
}

/** Adds the schedule to the environment's list in `configFile`, or replaces the one with its id. */
export async function setSchedule(configFile: string, envName: string | undefined, change: ScheduleChange): Promise<SetScheduleResult> {
  const { entry, schedule } = scheduleEntry(change);
  const cfg = await loadProjectConfig({ file: configFile, cwd: process.cwd() });
  const env = getEnvironment(cfg, envName);
  const refusal = automaticRefusal(env);
  if (refusal) throw new EnvsnapError('FORBIDDEN', refusal);
  // A type the environment cannot take (db-media without pub/media) fails now, not at 02:30.
  backupScope(env, change.type ?? 'system', change.excludeMedia);
  const doc = await readDocument(configFile);
  const written = doc.environment(env.name)?.schedules;
  const list = Array.isArray(written) ? [...(written as Record<string, unknown>[])] : [];
  const id = change.id ?? 'default';
  const at = list.findIndex((e) => ((e?.id as string | undefined) ?? 'default') === id);
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  const previous = env.schedules === undefined ? scheduledRuns(env)[0] : undefined;
  doc.setEnvironment(env.name, { schedules: list as ScheduleEntryInput[] });
  const project = await doc.save();
  return { environment: env.name, project, id, replaced: at >= 0, schedule, ...(previous ? { replacedPolicySchedule: previous } : {}) };
}

/** Removes the schedule `id` from the environment's list; returns how many remain. */
export async function removeSchedule(configFile: string, envName: string | undefined, id: string): Promise<{ environment: string; project: ProjectConfig; remaining: number }> {
  const cfg = await loadProjectConfig({ file: configFile, cwd: process.cwd() });
  const env = getEnvironment(cfg, envName);
  const ids = (env.schedules ?? []).map((x) => x.id);
  if (!ids.includes(id)) {
    throw new EnvsnapError('NOT_FOUND', `no schedule ${id} in environment ${env.name}${ids.length ? ` (it has ${ids.join(', ')})` : ' (it has no schedules: list)'}: see envsnap schedule:list -e ${env.name}`);
  }
  const doc = await readDocument(configFile);
  const written = doc.environment(env.name)?.schedules as Record<string, unknown>[];
  const list = written.filter((e) => ((e?.id as string | undefined) ?? 'default') !== id);
  doc.setEnvironment(env.name, { schedules: list as ScheduleEntryInput[] });
  return { environment: env.name, project: await doc.save(), remaining: list.length };
}

/** The policy keys a change may set: as in envsnap.yaml's `policy:` block. */
export const POLICY_SECTIONS = ['manual', 'automatic', 'keep_tags'] as const;

/**
 * Merges `patch` into the environment's `policy:` block (per key inside manual and automatic; a
 * null removes a key, falling back to the type, project or plan value) and writes the file if the
 * whole configuration is still valid — otherwise nothing is written and the error names the key.
 */
export async function setPolicy(configFile: string, envName: string | undefined, patch: Record<string, unknown>): Promise<{ environment: string; project: ProjectConfig }> {
  const cfg = await loadProjectConfig({ file: configFile, cwd: process.cwd() });
  const env = getEnvironment(cfg, envName);
  const doc = await readDocument(configFile);
  const current = (doc.environment(env.name)?.policy ?? {}) as Record<string, unknown>;
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const old = next[key];
    if (value === null) delete next[key];
    else if (isPlainObject(value) && isPlainObject(old)) {
      const merged: Record<string, unknown> = { ...old };
      for (const [k, v] of Object.entries(value)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      if (Object.keys(merged).length) next[key] = merged;
      else delete next[key];
    } else if (isPlainObject(value)) {
      const fresh = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
      if (Object.keys(fresh).length) next[key] = fresh;
    } else next[key] = value;
  }
  doc.setEnvironment(env.name, { policy: Object.keys(next).length ? (next as never) : null });
  return { environment: env.name, project: await doc.save() };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

async function readDocument(file: string): Promise<ConfigDocument> {
  const doc = await ConfigDocument.read(file);
  if (!doc) throw new EnvsnapError('CONFIG', `configuration file ${file} does not exist: check --config`);
  return doc;
}
