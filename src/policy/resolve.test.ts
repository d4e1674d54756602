/**
 * Policy resolution as `policy:show` and `snapshot:create` see it: the Adobe Commerce presets per plan
 * and environment type, overrides from project, environment type and environment (most specific
 * wins, per value, each value naming its origin), the refusal of manual snapshots with its reason,
 * the one-line errors for bad or contradictory values, and the zod schema the config loader embeds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../core/errors.ts';
import { describePolicy } from './describe.ts';
import { PolicyInputSchema, type PolicyInput } from './input.ts';
import { checkManualSnapshotAllowed } from './manual-check.ts';
import { ENVIRONMENT_TYPES, PLANS, type EnvironmentType, type Plan } from './policy.ts';
import { resolvePolicy, type PolicyLayers } from './resolve.ts';

/** What policy:show would print: key → "value  (origin)". */
function shown(plan: Plan, type: EnvironmentType, env: string, layers?: PolicyLayers): Record<string, string> {
  return Object.fromEntries(describePolicy(resolvePolicy(plan, type, env, layers)).map((l) => [l.key, `${l.value}  (${l.origin})`]));
}

describe('resolvePolicy: the Adobe Commerce presets', () => {
  const expected: Record<Plan, Record<EnvironmentType, { manual: boolean; automatic: boolean }>> = {
    starter: { integration: { manual: true, automatic: false }, staging: { manual: true, automatic: false }, production: { manual: true, automatic: false } },
    pro: { integration: { manual: true, automatic: false }, staging: { manual: false, automatic: true }, production: { manual: false, automatic: true } },
  };
  for (const plan of PLANS) {
    for (const type of ENVIRONMENT_TYPES) {
      const { manual, automatic } = expected[plan][type];
      it(`${plan} ${type}: manual snapshots ${manual ? 'allowed' : 'refused'}, automatic ones ${automatic ? 'on schedule' : 'off'}`, () => {
        const p = resolvePolicy(plan, type, `my-${type}`);
        assert.equal(p.manual.allowed, manual);
        assert.equal(p.automatic.enabled, automatic);
        assert.deepEqual(p.manual.keepWithin, { amount: 7, unit: 'd' });
        if (manual) {
          assert.equal(p.manual.refusal, undefined);
          assert.doesNotThrow(() => checkManualSnapshotAllowed(p));
        } else {
          assert.throws(
            () => checkManualSnapshotAllowed(p),
            (e) => isEnvsnapError(e, 'FORBIDDEN') && e.message.includes(`(Pro plan: ${type} environments are snapshotted automatically instead`),
          );
        }
      });
    }
  }

  it('shows every value of Pro production with the preset as its origin', () => {
    assert.deepEqual(shown('pro', 'production', 'production'), {
      'manual.allowed': 'false  (preset (pro/production))',
      'manual.keep_within': '7d  (preset (pro/production))',
      'manual.max_count': 'none  (preset (pro/production))',
      'automatic.enabled': 'true  (preset (pro/production))',
      'automatic.schedule': 'cron "0 * * * *" in UTC  (preset (pro/production))',
      'automatic.backup_type': 'system  (preset (pro/production))',
      'automatic.live': 'true  (preset (pro/production))',
      'automatic.keep_last': '0  (preset (pro/production))',
      'automatic.tiers': '1h until 3d, 1d until 7d, 1w until 6w, 2w until 3mo, 1mo until 5mo  (preset (pro/production))',
      keep_tags: 'none  (preset (pro/production))',
    });
  });

  it('refuses a manual snapshot on Pro production with the reason and what to do instead', () => {
    assert.throws(
      () => checkManualSnapshotAllowed(resolvePolicy('pro', 'production', 'prod')),
      (e) =>
        isEnvsnapError(e, 'FORBIDDEN') &&
        e.message ===
          'manual snapshots are not available for prod (Pro plan: production environments are snapshotted automatically instead, cron "0 * * * *" in UTC): restore from one of its automatic snapshots (see envsnap snapshot:list), or allow manual snapshots with manual.allowed: true in the policy of prod in envsnap.yaml',
    );
  });
});

describe('resolvePolicy: overrides, most specific wins per value', () => {
  const layers: PolicyLayers = {
    project: { manual: { keep_within: '14d', max_count: 10 }, keep_tags: ['release'], automatic: { keep_last: 2 } },
    types: {
      production: { manual: { max_count: 3 }, automatic: { schedule: { frequency: 'daily', at: '02:30', timezone: 'Europe/Amsterdam' } } },
      staging: { manual: { keep_within: '1d' }, automatic: { live: false } },
    },
    environment: { automatic: { live: false, tiers: [{ every: '1d', until: '30d' }] } },
  };

  it('takes each value from the most specific layer that sets it and names that layer', () => {
    assert.deepEqual(shown('pro', 'production', 'shop-prod', layers), {
      'manual.allowed': 'false  (preset (pro/production))',
      'manual.keep_within': '14d  (project)',
      'manual.max_count': '3  (type production)',
      'automatic.enabled': 'true  (preset (pro/production))',
      'automatic.schedule': 'daily at 02:30 in Europe/Amsterdam  (type production)',
      'automatic.backup_type': 'system  (preset (pro/production))',
      'automatic.live': 'false  (environment shop-prod)',
      'automatic.keep_last': '2  (project)',
      'automatic.tiers': '1d until 30d  (environment shop-prod)',
      keep_tags: 'release  (project)',
    });
  });

  it('takes Magento\'s backup types (system, db-media, db), as snapshot:create --type and schedules do', () => {
    for (const type of ['system', 'db-media', 'db'] as const) {
      const p = resolvePolicy('pro', 'production', 'prod', { environment: { automatic: { backup_type: type } } });
      assert.equal(p.automatic.backupType, type);
      assert.equal(p.origins['automatic.backup_type'], 'environment prod');
    }
    assert.equal(resolvePolicy('starter', 'integration', 'dev').automatic.backupType, 'system', 'every preset takes system snapshots');
  });

  it('applies only the layer of the environment\'s own type', () => {
    const s = shown('starter', 'staging', 'stage', { ...layers, environment: undefined });
    assert.equal(s['manual.keep_within'], '1d  (type staging)');
    assert.equal(s['manual.max_count'], '10  (project)');
    assert.equal(s['automatic.live'], 'false  (type staging)');
    assert.equal(s['automatic.schedule'], 'cron "0 * * * *" in UTC  (preset (starter/staging))');
  });

  it('lets max_count: null undo a cap set by a less specific layer', () => {
    assert.equal(shown('pro', 'production', 'p', { ...layers, environment: { manual: { max_count: null } } })['manual.max_count'], 'none  (environment p)');
  });

  it('lets an environment allow manual snapshots on Pro production', () => {
    const p = resolvePolicy('pro', 'production', 'p', { environment: { manual: { allowed: true } } });
    assert.equal(p.origins['manual.allowed'], 'environment p');
    assert.equal(p.manual.refusal, undefined);
    assert.doesNotThrow(() => checkManualSnapshotAllowed(p));
  });

  it('feeds retention: the effective policy is a retention rule', () => {
    const p = resolvePolicy('pro', 'production', 'p', layers);
    assert.deepEqual(p.manual.keepWithin, { amount: 14, unit: 'd' });
    assert.deepEqual(p.automatic.tiers, [{ every: { amount: 1, unit: 'd' }, until: { amount: 30, unit: 'd' } }]);
  });

  const refusals: [string, Plan, EnvironmentType, PolicyLayers, string][] = [
    [
      'turned off by the project',
      'starter',
      'integration',
      { project: { manual: { allowed: false } } },
      'manual snapshots are turned off for int (manual.allowed: false in the project policy): set manual.allowed: true there to allow them',
    ],
    [
      'turned off for a type',
      'starter',
      'production',
      { types: { production: { manual: { allowed: false } } } },
      'manual snapshots are turned off for int (manual.allowed: false in the policy of production environments): set manual.allowed: true there to allow them',
    ],
    [
      'refused by the preset while automatic snapshots are off',
      'pro',
      'staging',
      { environment: { automatic: { enabled: false } } },
      'manual snapshots are not available for int (Pro plan: staging environments are snapshotted automatically instead, but automatic.enabled is false in the policy of environment int): turn automatic snapshots back on, or allow manual snapshots with manual.allowed: true in the policy of int in envsnap.yaml',
    ],
  ];
  for (const [name, plan, type, l, message] of refusals) {
    it(`explains a refusal: ${name}`, () => {
      assert.throws(
        () => checkManualSnapshotAllowed(resolvePolicy(plan, type, 'int', l)),
        (e) => isEnvsnapError(e, 'FORBIDDEN') && e.message === message,
      );
    });
  }
});

describe('resolvePolicy: bad and contradictory values', () => {
  const AMS = 'Europe/Amsterdam';
  const bad: [string, PolicyLayers, string][] = [
    [
      'a tier whose bucket is longer than the tier',
      { environment: { automatic: { tiers: [{ every: '1h', until: '3d' }, { every: '1w', until: '7d' }] } } },
      'policy.automatic.tiers[1].every (environment e): 1w is longer than the tier it applies to (age 3d–7d): use a shorter every, or widen the tier with a later until',
    ],
    [
      'tiers out of order (they would overlap)',
      { project: { automatic: { tiers: [{ every: '1h', until: '7d' }, { every: '1d', until: '3d' }] } } },
      "policy.automatic.tiers[1].until (project): 3d is not after the previous tier's until 7d: list tiers youngest first, each until later than the one before",
    ],
    [
      'a month after four weeks (February is not longer)',
      { project: { automatic: { tiers: [{ every: '1d', until: '4w' }, { every: '1w', until: '1mo' }] } } },
      "policy.automatic.tiers[1].until (project): 1mo is not always after the previous tier's until 4w (a month counts 28 to 31 days): list tiers youngest first, each until later than the one before",
    ],
    ['a tier without until', { project: { automatic: { tiers: [{ every: '1d' } as never] } } }, 'policy.automatic.tiers[0].until (project): missing: add it'],
    [
      'max_count 0',
      { types: { staging: { manual: { max_count: 0 } } } },
      'policy.manual.max_count (type staging): 0 would expire every manual snapshot as soon as it is taken: use 1 or more, or set manual.allowed: false to refuse manual snapshots',
    ],
    ['a negative max_count', { project: { manual: { max_count: -1 } } }, 'policy.manual.max_count (project): -1 is negative: use 1 or more, or null for no cap'],
    ['a negative keep_last', { project: { automatic: { keep_last: -2 } } }, 'policy.automatic.keep_last (project): -2 is negative: use 0 (keep none by count) or more'],
    [
      'a duration in words',
      { project: { manual: { keep_within: '7 days' } } },
      'policy.manual.keep_within (project): "7 days" has an unknown unit "days": write a whole number and a unit, e.g. 36h, 7d, 2w or 3mo (units: min, h, d, w, mo, y)',
    ],
    ['a zero duration', { project: { manual: { keep_within: '0d' } } }, 'policy.manual.keep_within (project): "0d" is zero: use a duration of at least 1d'],
    ['an ambiguous m', { project: { manual: { keep_within: '3m' } } }, 'policy.manual.keep_within (project): "3m" is ambiguous: write 3min for minutes or 3mo for months'],
    ['a fraction', { project: { manual: { keep_within: '1.5d' } } }, 'policy.manual.keep_within (project): "1.5d" is not a duration: write a whole number and a unit, e.g. 36h, 7d, 2w or 3mo (units: min, h, d, w, mo, y)'],
    ['an unknown key', { project: { manual: { keep: '7d' } as never } }, 'policy.manual.keep (project): unknown key: remove it or fix its spelling'],
    ['a string for a boolean', { project: { manual: { allowed: 'yes' as never } } }, 'policy.manual.allowed (project): expected true or false: fix the value'],
    ['an unknown backup type', { project: { automatic: { backup_type: 'everything' as never } } }, 'policy.automatic.backup_type (project): not one of system, db-media, db: use one of them'],
    ['the old backup type full', { environment: { automatic: { backup_type: 'full' as never } } }, 'policy.automatic.backup_type (environment e): not one of system, db-media, db: use one of them'],
    ['the old backup type files', { types: { staging: { automatic: { backup_type: 'files' as never } } } }, 'policy.automatic.backup_type (type staging): not one of system, db-media, db: use one of them'],
    [
      'an unknown time zone',
      { types: { staging: { automatic: { schedule: { frequency: 'daily', at: '02:00', timezone: 'Europe/Amsterdm' } } } } },
      'policy.automatic.schedule.timezone (type staging): "Europe/Amsterdm" is not a known time zone: use an IANA time zone name such as Europe/Amsterdam, America/New_York or UTC',
    ],
    [
      'an invalid cron',
      { environment: { automatic: { schedule: { cron: '0 25 * * *', timezone: AMS } } } },
      'policy.automatic.schedule.cron (environment e): "0 25 * * *" has hour 25, out of range 0-23: write five fields (minute hour day-of-month month day-of-week), e.g. "30 2 * * *" for 02:30 every day or "0 * * * *" for every hour',
    ],
    [
      'automatic snapshots that nothing keeps (values from different layers)',
      { project: { automatic: { tiers: [] } }, types: { staging: { automatic: { enabled: true } } } },
      'policy.automatic of environment e: automatic snapshots are enabled (type staging) but nothing keeps them: automatic.tiers is empty (project) and automatic.keep_last is 0 (preset (starter/staging)): give tiers or a keep_last of 1 or more, or set automatic.enabled: false',
    ],
  ];
  for (const [name, layers, message] of bad) {
    it(`refuses ${name} with a one-line CONFIG error naming the key and the layer`, () => {
      assert.throws(
        () => resolvePolicy('starter', 'staging', 'e', layers),
        (e) => isEnvsnapError(e, 'CONFIG') && e.message === message,
      );
    });
  }

  it('refuses an unknown plan or environment type as a programming error', () => {
    assert.throws(() => resolvePolicy('enterprise' as Plan, 'staging', 'e'), (e) => isEnvsnapError(e, 'INVALID_ARGUMENT') && /unknown plan "enterprise": use one of starter, pro/.test(e.message));
    assert.throws(() => resolvePolicy('pro', 'qa' as EnvironmentType, 'e'), (e) => isEnvsnapError(e, 'INVALID_ARGUMENT') && /unknown environment type "qa"/.test(e.message));
  });
});

describe('PolicyInputSchema: what the config loader embeds under policy:', () => {
  it('accepts a full policy as written in YAML', () => {
    const input: unknown = {
      manual: { allowed: true, keep_within: '7d', max_count: 5 },
      automatic: {
        enabled: true,
        schedule: { frequency: 'weekly', weekday: 'sunday', at: '03:00', timezone: 'Europe/Amsterdam' },
        backup_type: 'db',
        live: false,
        keep_last: 3,
        tiers: [
          { every: '1h', until: '3d' },
          { every: '1d', until: '2w' },
        ],
      },
      keep_tags: ['release'],
    };
    assert.deepEqual(PolicyInputSchema.parse(input), input);
  });

  it('reports problems at the path of the offending key, so they can be shown at their line', () => {
    const cases: [unknown, (string | number)[], string][] = [
      [{ automatic: { tiers: [{ every: '1h', until: '3d' }, { every: '1w', until: '5d' }] } }, ['automatic', 'tiers', 1, 'every'], 'custom'],
      [{ automatic: { schedule: { frequency: 'daily', at: '02:00', timezone: 'Nowhere/Land' } } }, ['automatic', 'schedule', 'timezone'], 'custom'],
      [{ manual: { keep_within: '3 weeks' } }, ['manual', 'keep_within'], 'custom'],
      [{ manual: { kept_within: '3w' } }, ['manual'], 'unrecognized_keys'],
      [{ schedule: {} }, [], 'unrecognized_keys'],
    ];
    for (const [input, path, code] of cases) {
      const result = PolicyInputSchema.safeParse(input);
      assert.equal(result.success, false, JSON.stringify(input));
      assert.deepEqual(result.error!.issues.map((i) => [i.path, i.code]), [[path, code]], JSON.stringify(input));
    }
  });

  it('types the input as a plain YAML object', () => {
    const input: PolicyInput = { manual: { max_count: null } };
    assert.equal(PolicyInputSchema.safeParse(input).success, true);
  });
});
