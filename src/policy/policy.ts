/**
 * The effective policy of one environment: whether manual snapshots are allowed, whether automatic
 * ones are taken and when, and how long both are kept — each value with its origin (the preset of
 * the plan and environment type, or the envsnap.yaml layer that overrode it), for `policy:show`.
 * Keys are named as in envsnap.yaml (`manual.keep_within`), so what policy:show prints is what a
 * user writes to change it.
 */
import type { EnvironmentBackupType } from './backup-types.ts';
import type { Duration } from './duration.ts';
import type { RetentionTier } from './retention.ts';
import type { Schedule } from './schedule.ts';

export const PLANS = ['starter', 'pro'] as const;
export type Plan = (typeof PLANS)[number];

export const ENVIRONMENT_TYPES = ['integration', 'staging', 'production'] as const;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];

/** Every value of a policy, in the order policy:show lists them. */
export const POLICY_KEYS = [
  'manual.allowed',
  'manual.keep_within',
  'manual.max_count',
  'automatic.enabled',
  'automatic.schedule',
  'automatic.backup_type',
  'automatic.live',
  'automatic.keep_last',
  'automatic.tiers',
  'keep_tags',
] as const;
export type PolicyKey = (typeof POLICY_KEYS)[number];

/** Where an effective value came from, least to most specific. */
export type Origin = `preset (${Plan}/${EnvironmentType})` | 'project' | `type ${EnvironmentType}` | `environment ${string}`;

export interface EffectivePolicy {
  readonly manual: {
    readonly allowed: boolean;
    /** Why manual snapshots are refused, one line (set when `allowed` is false). */
    readonly refusal?: string;
    readonly keepWithin: Duration;
    /** Cap on unpinned manual snapshots (a new one replaces the oldest); undefined: no cap. */
    readonly maxCount?: number;
  };
  readonly automatic: {
    readonly enabled: boolean;
    readonly schedule: Schedule;
    /** What each automatic snapshot holds: system, db-media or db (backup-types.ts). */
    readonly backupType: EnvironmentBackupType;
    /** true: no maintenance mode while snapshotting (the shop stays up). */
    readonly live: boolean;
    readonly keepLast: number;
    /** Youngest first; each starts where the previous ends (retention.ts). */
    readonly tiers: readonly RetentionTier[];
  };
  readonly keepTags: readonly string[];
}

export interface ResolvedPolicy extends EffectivePolicy {
  readonly plan: Plan;
  readonly type: EnvironmentType;
  readonly env: string;
  readonly origins: Readonly<Record<PolicyKey, Origin>>;
}
