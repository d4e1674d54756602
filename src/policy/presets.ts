/**
 * Built-in presets reproducing Adobe Commerce Cloud backups, per plan and environment type:
 *  - Starter, every type, and Pro integration: manual snapshots allowed, no automatic ones;
 *  - Pro staging and production: manual snapshots refused, automatic ones every hour (live, system:
 *    databases, Redis and every mount);
 *  - manual snapshots are kept 7 days;
 *  - automatic snapshots are thinned to one per hour for days 1–3, one per day for days 4–7, one per
 *    week for weeks 2–6, one per two weeks for weeks 8–12 and one per month for months 3–5.
 *
 * Adobe's list leaves week 7 and the rest of week 13 out. Tiers here cannot have gaps (a snapshot
 * ageing through a gap would be expired there and the older tiers would stay empty, see
 * retention.ts), so the fortnightly tier covers week 7 up to 3 months: the coarser neighbour takes
 * the gap, which keeps no more snapshots than Adobe's list implies. Every value can be overridden in
 * envsnap.yaml (resolve.ts). The hourly schedule is the same for every preset (in UTC, which has no
 * daylight-saving holes), so enabling automatic snapshots is one line.
 */
import type { Duration, DurationUnit } from './duration.ts';
import type { EffectivePolicy, EnvironmentType, Plan } from './policy.ts';
import type { RetentionTier } from './retention.ts';

const d = (amount: number, unit: DurationUnit): Duration => ({ amount, unit });

export const ADOBE_COMMERCE_TIERS: readonly RetentionTier[] = [
  { every: d(1, 'h'), until: d(3, 'd') },
  { every: d(1, 'd'), until: d(7, 'd') },
  { every: d(1, 'w'), until: d(6, 'w') },
  { every: d(2, 'w'), until: d(3, 'mo') },
  { every: d(1, 'mo'), until: d(5, 'mo') },
];

/** Whether the plan snapshots this type of environment automatically instead of on request. */
export function isAutomaticOnly(plan: Plan, type: EnvironmentType): boolean {
  return plan === 'pro' && type !== 'integration';
}

/** The preset's values for `plan` and `type` (without the refusal text, which resolve.ts words). */
export function presetPolicy(plan: Plan, type: EnvironmentType): EffectivePolicy {
  const automatic = isAutomaticOnly(plan, type);
  return {
    manual: { allowed: !automatic, keepWithin: d(7, 'd') },
    automatic: {
      enabled: automatic,
      schedule: { kind: 'cron', cron: '0 * * * *', timezone: 'UTC' },
      backupType: 'system',
      live: true,
      keepLast: 0,
      tiers: ADOBE_COMMERCE_TIERS,
    },
    keepTags: [],
  };
}
