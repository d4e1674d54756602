/**
 * applyRetention with an explicit `now`: the Adobe Commerce preset over six months of hourly
 * snapshots (how many each tier keeps, which ones, and when each expires), the manual window and cap,
 * keep tags, pins, the newest snapshot of each environment, and expire runs repeated as time passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../core/errors.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, type Duration } from './duration.ts';
import { presetPolicy } from './presets.ts';
import { applyRetention, type RetentionDecision, type RetentionRule, type RetentionSnapshot } from './retention.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z');
const d = (amount: number, unit: Duration['unit']): Duration => ({ amount, unit });

const PRESET: RetentionRule = presetPolicy('pro', 'production');

function snap(id: string, time: number | string, more: Partial<RetentionSnapshot> = {}): RetentionSnapshot {
  return { id, env: 'production', time: typeof time === 'string' ? at(time) : time, trigger: 'automatic', pinned: false, tags: [], ...more };
}

/** An automatic snapshot every hour on the hour, from `from` through `to`. */
function hourly(from: string, to: string, env = 'production'): RetentionSnapshot[] {
  const out: RetentionSnapshot[] = [];
  for (let t = at(from); t <= at(to); t += HOUR_MS) out.push(snap(`${env}-${iso(t)}`, t, { env }));
  return out;
}

function kept(decisions: readonly RetentionDecision[]): string[] {
  return decisions.filter((x) => x.keep).map((x) => x.id);
}

function byId(decisions: readonly RetentionDecision[]): Map<string, RetentionDecision> {
  return new Map(decisions.map((x) => [x.id, x]));
}

describe('applyRetention: the Adobe Commerce preset over six months of hourly snapshots', () => {
  // Monday 15 June 2026, 00:30 UTC; the last snapshot was taken at 00:00.
  const now = at('2026-06-15T00:30:00Z');
  const history = hourly('2025-12-01T00:00:00Z', '2026-06-15T00:00:00Z');
  const decisions = applyRetention(history, () => PRESET, now);
  const decisionOf = byId(decisions);
  const keptBy = (label: string) => decisions.filter((x) => x.keep && x.reasons.includes(label)).map((x) => x.id.slice('production-'.length));

  it('keeps exactly one snapshot per bucket of each tier', () => {
    const counts = [
      ['one per 1h, age 0–3d', 72], // 12 June 01:00 … 15 June 00:00
      ['one per 1d, age 3d–7d', 5], // 8 June (from 01:00), 9, 10, 11, 12 June (00:00 only)
      ['one per 1w, age 7d–6w', 6], // ISO weeks from 4 May (from 01:00) to 8 June (00:00 only)
      ['one per 2w, age 6w–3mo', 5], // fortnights from 2 March (15 March from 01:00) to 27 April
      ['one per 1mo, age 3mo–5mo', 3], // January (from the 15th, 01:00), February, March (to the 15th)
    ] as const;
    for (const [label, count] of counts) assert.equal(keptBy(label).length, count, label);
    assert.equal(kept(decisions).length, 72 + 5 + 6 + 5 + 3);
  });

  it('keeps the newest snapshot of each bucket', () => {
    assert.deepEqual(keptBy('one per 1d, age 3d–7d'), ['2026-06-08T23:00Z', '2026-06-09T23:00Z', '2026-06-10T23:00Z', '2026-06-11T23:00Z', '2026-06-12T00:00Z']);
    // ISO weeks end on Sunday.
    assert.deepEqual(keptBy('one per 1w, age 7d–6w'), ['2026-05-10T23:00Z', '2026-05-17T23:00Z', '2026-05-24T23:00Z', '2026-05-31T23:00Z', '2026-06-07T23:00Z', '2026-06-08T00:00Z']);
    assert.deepEqual(keptBy('one per 2w, age 6w–3mo'), ['2026-03-15T23:00Z', '2026-03-29T23:00Z', '2026-04-12T23:00Z', '2026-04-26T23:00Z', '2026-05-04T00:00Z']);
    assert.deepEqual(keptBy('one per 1mo, age 3mo–5mo'), ['2026-01-31T23:00Z', '2026-02-28T23:00Z', '2026-03-15T00:00Z']);
  });

  it('says why each removed snapshot goes', () => {
    assert.deepEqual(decisionOf.get('production-2026-01-15T00:00Z')!.reasons, ['automatic, older than 5mo']);
    assert.deepEqual(decisionOf.get('production-2026-06-10T22:00Z')!.reasons, ['automatic, a newer snapshot is kept for its 1d bucket (one per 1d, age 3d–7d)']);
    assert.deepEqual(decisionOf.get('production-2026-06-15T00:00Z')!.reasons, ['newest of production', 'one per 1h, age 0–3d']);
  });

  it('gives each kept snapshot the time it will expire if nothing is added', () => {
    const cases = [
      // A later snapshot of the same day reaches the daily tier an hour after it does.
      ['2026-06-14T10:00Z', '2026-06-17T11:00:00Z'],
      // Newest of its day and of its ISO week; the newer snapshot of its fortnight (15 June 00:00) takes over when it turns 6 weeks old.
      ['2026-06-14T23:00Z', '2026-07-27T00:00:00Z'],
      // Leaves the last tier 5 calendar months on: June has no 31st, so at the end of June.
      ['2026-01-31T23:00Z', '2026-07-01T00:00:00Z'],
      ['2026-02-28T23:00Z', '2026-07-28T23:00:00Z'],
    ] as const;
    for (const [id, expires] of cases) assert.equal(iso(decisionOf.get(`production-${id}`)!.expiresAt!), iso(at(expires)), id);
    assert.equal(decisionOf.get('production-2026-06-15T00:00Z')!.expiresAt, undefined, 'the newest never expires while it is the newest');
    assert.equal(decisionOf.get('production-2026-01-01T00:00Z')!.expiresAt, undefined, 'removed snapshots have no expiry');
  });
});

describe('applyRetention: expire runs repeated as time passes', () => {
  it('still holds monthly snapshots after six months of hourly snapshots and an expire run every six hours', () => {
    // Tiers that follow each other without gaps hand snapshots on: what the weekly tier keeps is
    // there for the fortnightly and monthly tiers later (a gap would expire everything ageing through it).
    let repo: RetentionSnapshot[] = [];
    const start = at('2026-01-01T00:00:00Z');
    const end = at('2026-07-01T00:00:00Z');
    for (let t = start; t <= end; t += HOUR_MS) {
      repo.push(snap(`s${t}`, t));
      if ((t - start) % (6 * HOUR_MS) === 0) {
        const keep = new Set(kept(applyRetention(repo, () => PRESET, t + MINUTE_MS)));
        repo = repo.filter((s) => keep.has(s.id));
      }
    }
    const now = end + MINUTE_MS;
    const decisions = applyRetention(repo, () => PRESET, now);
    assert.ok(decisions.every((x) => x.keep), 'an expire run right after the last one removes nothing');
    const monthly = decisions.filter((x) => x.reasons.includes('one per 1mo, age 3mo–5mo'));
    const months = monthly.map((x) => new Date(repo.find((s) => s.id === x.id)!.time).getUTCMonth() + 1);
    // The monthly tier covers 1 February 00:01 to 1 April 00:01: February and March each keep one.
    assert.deepEqual(months, [2, 3]);
    assert.equal(decisions.filter((x) => x.reasons.includes('one per 1h, age 0–3d')).length, 72);
    assert.ok(repo.length < 100, `${repo.length} snapshots left`);
  });
});

describe('applyRetention: manual snapshots, tags, pins and the newest of each environment', () => {
  const now = at('2026-06-15T12:00:00Z');
  const ago = (ms: number) => now - ms;
  // A recent automatic snapshot, so the newest-of-environment rule does not mask what is tested.
  const latest = snap('latest', now - MINUTE_MS);
  const cases: { name: string; rule?: Partial<RetentionRule>; snapshots: RetentionSnapshot[]; kept: string[]; reasons?: Record<string, string[]>; expires?: Record<string, number | undefined> }[] = [
    {
      name: 'manual snapshots are kept for 7 days, then expire',
      snapshots: [
        latest,
        snap('6d23h', ago(7 * DAY_MS - HOUR_MS), { trigger: 'manual' }),
        snap('7d', ago(7 * DAY_MS), { trigger: 'manual' }),
        snap('30d', ago(30 * DAY_MS), { trigger: 'manual' }),
      ],
      kept: ['latest', '6d23h'],
      reasons: { '6d23h': ['manual, within 7d'], '7d': ['manual, older than 7d'] },
      expires: { '6d23h': now + HOUR_MS },
    },
    {
      name: 'max_count keeps the newest manual snapshots: a new one replaces the oldest',
      rule: { manual: { keepWithin: d(7, 'd'), maxCount: 2 } },
      snapshots: [latest, ...[1, 2, 3, 4].map((n) => snap(`m${n}`, ago(n * HOUR_MS), { trigger: 'manual' }))],
      kept: ['latest', 'm1', 'm2'],
      reasons: { m3: ['manual, not among the 2 newest (max_count)'] },
    },
    {
      name: 'a pinned manual snapshot is kept and does not count against max_count',
      rule: { manual: { keepWithin: d(7, 'd'), maxCount: 1 } },
      snapshots: [latest, snap('m1', ago(HOUR_MS), { trigger: 'manual', pinned: true }), snap('m2', ago(2 * HOUR_MS), { trigger: 'manual' }), snap('m3', ago(3 * HOUR_MS), { trigger: 'manual' })],
      kept: ['latest', 'm1', 'm2'],
      reasons: { m1: ['pinned'] },
      expires: { m1: undefined },
    },
    {
      name: 'pinned snapshots never expire, however old',
      snapshots: [latest, snap('old-auto', ago(400 * DAY_MS), { pinned: true }), snap('old-manual', ago(400 * DAY_MS), { trigger: 'manual', pinned: true })],
      kept: ['latest', 'old-auto', 'old-manual'],
      expires: { 'old-auto': undefined },
    },
    {
      name: 'snapshots with a keep tag are kept; other tags do not matter',
      rule: { keepTags: ['release'] },
      snapshots: [latest, snap('tagged', ago(300 * DAY_MS), { tags: ['wip', 'release'] }), snap('other', ago(300 * DAY_MS + 1), { tags: ['wip'] })],
      kept: ['latest', 'tagged'],
      reasons: { tagged: ['tag "release"'], other: ['automatic, older than 5mo'] },
    },
    {
      name: 'the newest snapshot of an environment is kept even when every rule would expire it',
      snapshots: [snap('ancient', ago(1000 * DAY_MS), { trigger: 'manual' }), snap('older', ago(1001 * DAY_MS), { trigger: 'manual' })],
      kept: ['ancient'],
      reasons: { ancient: ['newest of production'] },
    },
    {
      name: 'keep_last keeps the newest automatic snapshots whatever their age',
      rule: { automatic: { keepLast: 2, tiers: [] } },
      snapshots: [snap('a1', ago(100 * DAY_MS)), snap('a2', ago(200 * DAY_MS)), snap('a3', ago(300 * DAY_MS)), snap('m', ago(DAY_MS), { trigger: 'manual' })],
      kept: ['a1', 'a2', 'm'],
      reasons: { a2: ['one of the 2 newest automatic'], a3: ['automatic, no tier keeps automatic snapshots'] },
    },
    {
      name: 'a snapshot dated in the future (clock skew) counts as brand new',
      snapshots: [snap('future', now + 30 * MINUTE_MS), snap('now', now), snap('hour-ago', ago(HOUR_MS))],
      kept: ['future', 'hour-ago'],
      reasons: { future: ['newest of production', 'one per 1h, age 0–3d'], now: ['automatic, a newer snapshot is kept for its 1h bucket (one per 1h, age 0–3d)'] },
    },
    {
      name: 'two snapshots at the same instant: the order of ids decides, not the order listed',
      snapshots: [latest, snap('b', ago(4 * DAY_MS)), snap('a', ago(4 * DAY_MS)), snap('c', ago(4 * DAY_MS))],
      kept: ['latest', 'c'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const rule: RetentionRule = { ...PRESET, ...c.rule };
      const decisions = applyRetention(c.snapshots, () => rule, now);
      assert.deepEqual(kept(decisions).sort(), [...c.kept].sort());
      const got = byId(decisions);
      for (const [id, reasons] of Object.entries(c.reasons ?? {})) assert.deepEqual(got.get(id)!.reasons, reasons, id);
      for (const [id, expires] of Object.entries(c.expires ?? {})) assert.equal(got.get(id)!.expiresAt, expires, id);
    });
  }

  it('applies each environment its own rule and keeps the newest of each', () => {
    const snapshots = [
      snap('prod-new', now - HOUR_MS, { trigger: 'manual' }),
      snap('prod-old', now - 5 * DAY_MS, { trigger: 'manual' }),
      snap('stg-only', now - 90 * DAY_MS, { env: 'staging', trigger: 'manual' }),
      snap('int-new', now - HOUR_MS, { env: 'integration', trigger: 'manual' }),
      snap('int-old', now - 5 * DAY_MS, { env: 'integration', trigger: 'manual' }),
    ];
    const rules: Record<string, RetentionRule> = {
      production: PRESET,
      staging: PRESET,
      integration: { ...PRESET, manual: { keepWithin: d(2, 'd') } },
    };
    const decisions = applyRetention(snapshots, (env) => rules[env], now);
    assert.deepEqual(kept(decisions), ['prod-new', 'prod-old', 'stg-only', 'int-new']);
    assert.deepEqual(decisions.map((x) => x.id), snapshots.map((s) => s.id), 'decisions come back in the order given');
  });

  it('refuses a list that names a snapshot twice', () => {
    assert.throws(() => applyRetention([latest, latest], () => PRESET, now), (e) => isEnvsnapError(e, 'INVALID_ARGUMENT') && /latest is listed twice/.test(e.message));
  });

});
