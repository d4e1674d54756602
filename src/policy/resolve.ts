/**
 * Policy resolution: the preset of a plan and environment type, then the layers of envsnap.yaml from
 * least to most specific — project, environment type, environment — each overriding only the values
 * it names (most specific wins, per value). Every effective value remembers which of these set it.
 * Lists (tiers, keep_tags) and the schedule are single values: a layer replaces them whole, since
 * merging half a schedule or half a tier list would make one nobody wrote.
 */
import type { z } from 'zod';
import { EnvsnapError } from '../core/errors.ts';
import { toDuration, type Duration } from './duration.ts';
import { PolicyInputSchema, type PolicyInput } from './input.ts';
import type { EnvironmentBackupType } from './backup-types.ts';
import { ENVIRONMENT_TYPES, PLANS, POLICY_KEYS, type EffectivePolicy, type EnvironmentType, type Origin, type Plan, type PolicyKey, type ResolvedPolicy } from './policy.ts';
import { presetPolicy } from './presets.ts';
import { joinKey } from './problem.ts';
import type { RetentionTier } from './retention.ts';
import { describeSchedule, parseSchedule, type Schedule } from './schedule.ts';
import { toTiers } from './tiers.ts';

export interface PolicyLayers {
  readonly project?: PolicyInput;
  readonly types?: Partial<Record<EnvironmentType, PolicyInput>>;
  readonly environment?: PolicyInput;
}

/** The policy of environment `env` of type `type` on `plan`, with the origin of every value. */
export function resolvePolicy(plan: Plan, type: EnvironmentType, env: string, layers: PolicyLayers = {}): ResolvedPolicy {
  if (!PLANS.includes(plan)) throw new EnvsnapError('INVALID_ARGUMENT', `unknown plan "${plan}": use one of ${PLANS.join(', ')}`);
  if (!ENVIRONMENT_TYPES.includes(type)) throw new EnvsnapError('INVALID_ARGUMENT', `unknown environment type "${type}": use one of ${ENVIRONMENT_TYPES.join(', ')}`);

  const preset = presetPolicy(plan, type);
  const presetOrigin: Origin = `preset (${plan}/${type})`;
  const values: Record<PolicyKey, unknown> = {
    'manual.allowed': preset.manual.allowed,
    'manual.keep_within': preset.manual.keepWithin,
    'manual.max_count': preset.manual.maxCount,
    'automatic.enabled': preset.automatic.enabled,
    'automatic.schedule': preset.automatic.schedule,
    'automatic.backup_type': preset.automatic.backupType,
    'automatic.live': preset.automatic.live,
    'automatic.keep_last': preset.automatic.keepLast,
    'automatic.tiers': preset.automatic.tiers,
    keep_tags: preset.keepTags,
  };
  const origins = Object.fromEntries(POLICY_KEYS.map((k) => [k, presetOrigin])) as Record<PolicyKey, Origin>;

  const ordered: [Origin, PolicyInput | undefined][] = [
    ['project', layers.project],
    [`type ${type}`, layers.types?.[type]],
    [`environment ${env}`, layers.environment],
  ];
  for (const [origin, input] of ordered) {
    if (input === undefined) continue;
    const layer = parseLayer(input, origin);
    for (const key of POLICY_KEYS) {
      if (layer[key] === undefined) continue;
      values[key] = layer[key] === null ? undefined : layer[key];
      origins[key] = origin;
    }
  }

  const policy: EffectivePolicy = {
    manual: {
      allowed: values['manual.allowed'] as boolean,
      keepWithin: values['manual.keep_within'] as Duration,
      maxCount: values['manual.max_count'] as number | undefined,
    },
    automatic: {
      enabled: values['automatic.enabled'] as boolean,
      schedule: values['automatic.schedule'] as Schedule,
      backupType: values['automatic.backup_type'] as EnvironmentBackupType,
      live: values['automatic.live'] as boolean,
      keepLast: values['automatic.keep_last'] as number,
      tiers: values['automatic.tiers'] as readonly RetentionTier[],
    },
    keepTags: values.keep_tags as readonly string[],
  };

  if (policy.automatic.enabled && policy.automatic.tiers.length === 0 && policy.automatic.keepLast === 0) {
    throw new EnvsnapError(
      'CONFIG',
      `policy.automatic of environment ${env}: automatic snapshots are enabled (${origins['automatic.enabled']}) but nothing keeps them: automatic.tiers is empty (${origins['automatic.tiers']}) and automatic.keep_last is 0 (${origins['automatic.keep_last']}): give tiers or a keep_last of 1 or more, or set automatic.enabled: false`,
    );
  }

  const resolved = { ...policy, plan, type, env, origins };
  if (policy.manual.allowed) return resolved;
  return { ...resolved, manual: { ...policy.manual, refusal: refusal(resolved) } };
}

/**
 * One layer's values by key, validated; null marks a value the layer explicitly unsets
 * (max_count: null, "no cap"). Errors name the key and the layer.
 */
function parseLayer(input: PolicyInput, origin: Origin): Partial<Record<PolicyKey, unknown>> {
  const parsed = PolicyInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined;
    throw new EnvsnapError('CONFIG', `${joinKey('policy', path as (string | number)[])} (${origin}): ${missing ? 'missing: add it' : issueMessage(issue)}`);
  }
  const p = parsed.data;
  const schedule = p.automatic?.schedule;
  return {
    'manual.allowed': p.manual?.allowed,
    'manual.keep_within': p.manual?.keep_within === undefined ? undefined : toDuration(p.manual.keep_within),
    'manual.max_count': p.manual?.max_count,
    'automatic.enabled': p.automatic?.enabled,
    'automatic.schedule': schedule === undefined ? undefined : parseSchedule(schedule, 'policy.automatic.schedule'),
    'automatic.backup_type': p.automatic?.backup_type,
    'automatic.live': p.automatic?.live,
    'automatic.keep_last': p.automatic?.keep_last,
    'automatic.tiers': p.automatic?.tiers === undefined ? undefined : toTiers(p.automatic.tiers),
    keep_tags: p.keep_tags,
  };
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** A schema issue in the project's `what is wrong: what to do` form (custom issues already are). */
function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'unknown key: remove it or fix its spelling';
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected === 'boolean' ? 'true or false' : issue.expected === 'array' ? 'a list' : `a${issue.expected === 'object' ? 'n' : ''} ${issue.expected}`}: fix the value`;
    case 'invalid_value':
      return `not one of ${issue.values.map(String).join(', ')}: use one of them`;
    case 'too_small':
      return 'must not be empty: give a value or remove it';
    default:
      return issue.message;
  }
}

/** "the project policy", "the policy of staging environments", "the policy of environment prod". */
function originWords(origin: Origin): string {
  if (origin === 'project') return 'the project policy';
  if (origin.startsWith('type ')) return `the policy of ${origin.slice(5)} environments`;
  if (origin.startsWith('environment ')) return `the policy of environment ${origin.slice(12)}`;
  return `the ${origin}`;
}

/** Why manual snapshots are refused and what to do instead, one line. */
function refusal(p: ResolvedPolicy): string {
  const origin = p.origins['manual.allowed'];
  const allow = `allow manual snapshots with manual.allowed: true in the policy of ${p.env} in envsnap.yaml`;
  if (!origin.startsWith('preset')) {
    return `manual snapshots are turned off for ${p.env} (manual.allowed: false in ${originWords(origin)}): set manual.allowed: true there to allow them`;
  }
  const plan = `${p.plan[0].toUpperCase()}${p.plan.slice(1)}`;
  if (!p.automatic.enabled) {
    return `manual snapshots are not available for ${p.env} (${plan} plan: ${p.type} environments are snapshotted automatically instead, but automatic.enabled is false in ${originWords(p.origins['automatic.enabled'])}): turn automatic snapshots back on, or ${allow}`;
  }
  return `manual snapshots are not available for ${p.env} (${plan} plan: ${p.type} environments are snapshotted automatically instead, ${describeSchedule(p.automatic.schedule)}): restore from one of its automatic snapshots (see envsnap snapshot:list), or ${allow}`;
}
