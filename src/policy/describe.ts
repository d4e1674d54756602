/**
 * The lines of `policy:show`: every policy value as text, in envsnap.yaml's terms, with its origin.
 * Rendering (columns, JSON) is the CLI's; this only decides how each value reads.
 */
import { formatDuration } from './duration.ts';
import { POLICY_KEYS, type Origin, type PolicyKey, type ResolvedPolicy } from './policy.ts';
import { describeSchedule } from './schedule.ts';

export interface PolicyLine {
  readonly key: PolicyKey;
  readonly value: string;
  readonly origin: Origin;
}

export function describePolicy(p: ResolvedPolicy): PolicyLine[] {
  const values: Record<PolicyKey, string> = {
    'manual.allowed': String(p.manual.allowed),
    'manual.keep_within': formatDuration(p.manual.keepWithin),
    'manual.max_count': p.manual.maxCount === undefined ? 'none' : String(p.manual.maxCount),
    'automatic.enabled': String(p.automatic.enabled),
    'automatic.schedule': describeSchedule(p.automatic.schedule),
    'automatic.backup_type': p.automatic.backupType,
    'automatic.live': String(p.automatic.live),
    'automatic.keep_last': String(p.automatic.keepLast),
    'automatic.tiers': p.automatic.tiers.length === 0 ? 'none' : p.automatic.tiers.map((t) => `${formatDuration(t.every)} until ${formatDuration(t.until)}`).join(', '),
    keep_tags: p.keepTags.length === 0 ? 'none' : p.keepTags.join(', '),
  };
  return POLICY_KEYS.map((key) => ({ key, value: values[key], origin: p.origins[key] }));
}
