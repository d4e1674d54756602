/**
 * PolicyInput: a policy layer as written under a `policy:` key of envsnap.yaml (project, environment
 * type or environment), every key optional — a layer overrides only what it names. The zod schema is
 * strict (an unknown key is an error, so a misspelt setting is never ignored) and runs the same
 * checks as the resolver (durations, tiers, schedules), so the config loader can report a bad value
 * at its line. Messages of custom issues already end in what to do.
 *
 * ```yaml
 * policy:
 *   manual: { allowed: true, keep_within: 7d, max_count: 5 }
 *   automatic:
 *     enabled: true
 *     schedule: { frequency: daily, at: "02:30", timezone: Europe/Amsterdam }   # or { cron: "0 * * * *", timezone: UTC }
 *     backup_type: system      # system | db-media | db (backup-types.ts)
 *     live: true               # false: maintenance mode while snapshotting
 *     keep_last: 3
 *     tiers: [{ every: 1h, until: 3d }, { every: 1d, until: 7d }]
 *   keep_tags: [release]
 * ```
 */
import { z } from 'zod';
import { ENVIRONMENT_BACKUP_TYPES } from './backup-types.ts';
import { durationProblem } from './duration.ts';
import type { Problem } from './problem.ts';
import { scheduleProblem } from './schedule.ts';
import { tiersProblem } from './tiers.ts';

/** Turns a validator's problem into a zod issue at the problem's path. */
function refineWith<T>(check: (value: T) => Problem | undefined) {
  return (value: T, ctx: z.RefinementCtx) => {
    const p = check(value);
    if (p) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  };
}

const durationText = z.string().superRefine(refineWith(durationProblem));

export const ScheduleInputSchema = z
  .strictObject({
    frequency: z.string().optional(),
    at: z.string().optional(),
    weekday: z.string().optional(),
    day: z.number().optional(),
    cron: z.string().optional(),
    timezone: z.string().optional(),
  })
  .superRefine(refineWith(scheduleProblem));

export const TierInputSchema = z.strictObject({ every: durationText, until: durationText });

export const ManualInputSchema = z.strictObject({
  allowed: z.boolean().optional(),
  keep_within: durationText.optional(),
  /** null: no cap (undoes a cap set by a less specific layer). */
  max_count: z
    .int()
    .superRefine(
      refineWith((n: number) =>
        n === 0
          ? { path: [], message: '0 would expire every manual snapshot as soon as it is taken: use 1 or more, or set manual.allowed: false to refuse manual snapshots' }
          : n < 0
            ? { path: [], message: `${n} is negative: use 1 or more, or null for no cap` }
            : undefined,
      ),
    )
    .nullable()
    .optional(),
});

export const AutomaticInputSchema = z.strictObject({
  enabled: z.boolean().optional(),
  schedule: ScheduleInputSchema.optional(),
  backup_type: z.enum(ENVIRONMENT_BACKUP_TYPES).optional(),
  live: z.boolean().optional(),
  keep_last: z
    .int()
    .superRefine(refineWith((n: number) => (n < 0 ? { path: [], message: `${n} is negative: use 0 (keep none by count) or more` } : undefined)))
    .optional(),
  tiers: z.array(TierInputSchema).superRefine(refineWith(tiersProblem)).optional(),
});

export const PolicyInputSchema = z.strictObject({
  manual: ManualInputSchema.optional(),
  automatic: AutomaticInputSchema.optional(),
  keep_tags: z.array(z.string().min(1)).optional(),
});

export type PolicyInput = z.infer<typeof PolicyInputSchema>;
