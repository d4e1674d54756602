/**
 * Properties of applyRetention over random histories and rules (seeded, so a failure reproduces):
 * a pinned snapshot is never removed, nor the newest of an environment; applying the rule to what it
 * kept keeps all of it; the order snapshots are listed in changes nothing; and the Expires time is
 * honest — replaying expire runs at those times, with no new snapshots, removes each snapshot exactly
 * when its expiresAt said.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS, MINUTE_MS, type Duration } from './duration.ts';
import { ADOBE_COMMERCE_TIERS } from './presets.ts';
import { applyRetention, type RetentionDecision, type RetentionRule, type RetentionSnapshot, type RetentionTier } from './retention.ts';

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const d = (amount: number, unit: Duration['unit']): Duration => ({ amount, unit });

const TIER_SETS: readonly (readonly RetentionTier[])[] = [
  ADOBE_COMMERCE_TIERS,
  [],
  [{ every: d(36, 'h'), until: d(20, 'd') }],
  [
    { every: d(30, 'min'), until: d(12, 'h') },
    { every: d(1, 'd'), until: d(2, 'w') },
    { every: d(3, 'mo'), until: d(1, 'y') },
  ],
  [
    { every: d(1, 'd'), until: d(1, 'mo') },
    { every: d(1, 'mo'), until: d(4, 'mo') },
  ],
];

const ENVS = ['production', 'staging', 'integration'];
const TAGS = ['release', 'wip', 'before-upgrade'];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

function randomRule(rand: () => number): RetentionRule {
  return {
    manual: { keepWithin: pick(rand, [d(1, 'h'), d(2, 'd'), d(7, 'd'), d(1, 'mo')]), maxCount: pick(rand, [undefined, 1, 3]) },
    automatic: { keepLast: pick(rand, [0, 0, 1, 3]), tiers: pick(rand, TIER_SETS) },
    keepTags: pick(rand, [[], ['release'], ['release', 'before-upgrade']]),
  };
}

function randomHistory(rand: () => number, now: number): RetentionSnapshot[] {
  const out: RetentionSnapshot[] = [];
  for (const env of ENVS) {
    const n = Math.floor(rand() * 60);
    // Mostly hourly-ish automatic runs, some manual ones, a few on the same instant or in the future.
    for (let i = 0; i < n; i++) {
      const r = rand();
      const age = r < 0.05 ? -rand() * DAY_MS : r < 0.1 && out.length > 0 ? now - out[out.length - 1].time : Math.floor(rand() * rand() * 400 * DAY_MS / MINUTE_MS) * MINUTE_MS;
      out.push({
        id: `${env}-${i}-${Math.floor(rand() * 1e6)}`,
        env,
        time: now - age,
        trigger: rand() < 0.7 ? 'automatic' : 'manual',
        pinned: rand() < 0.08,
        tags: rand() < 0.15 ? [pick(rand, TAGS)] : [],
      });
    }
  }
  return out;
}

function shuffled<T>(rand: () => number, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const keptIds = (ds: readonly RetentionDecision[]) => new Set(ds.filter((x) => x.keep).map((x) => x.id));

describe('applyRetention properties over random histories', () => {
  const CASES = 200;
  const cases = Array.from({ length: CASES }, (_, seed) => {
    const rand = prng(seed + 1);
    const now = Date.UTC(2026, 0, 1) + Math.floor(rand() * 400 * DAY_MS);
    const rules = Object.fromEntries(ENVS.map((env) => [env, randomRule(rand)]));
    const snapshots = randomHistory(rand, now);
    const ruleFor = (env: string) => rules[env];
    return { seed, rand, now, ruleFor, snapshots, decisions: applyRetention(snapshots, ruleFor, now) };
  });

  it('never removes a pinned snapshot', () => {
    for (const c of cases) {
      const kept = keptIds(c.decisions);
      for (const s of c.snapshots) if (s.pinned) assert.ok(kept.has(s.id), `seed ${c.seed}: pinned ${s.id} removed`);
    }
  });

  it('never removes the newest snapshot of an environment', () => {
    for (const c of cases) {
      const kept = keptIds(c.decisions);
      for (const env of ENVS) {
        const own = c.snapshots.filter((s) => s.env === env);
        if (own.length === 0) continue;
        const newest = Math.max(...own.map((s) => s.time));
        assert.ok(own.some((s) => s.time === newest && kept.has(s.id)), `seed ${c.seed}: ${env} lost its newest snapshot`);
      }
    }
  });

  it('keeps everything it kept when applied again (idempotent)', () => {
    for (const c of cases) {
      const kept = keptIds(c.decisions);
      const again = applyRetention(c.snapshots.filter((s) => kept.has(s.id)), c.ruleFor, c.now);
      assert.deepEqual(again.filter((x) => !x.keep), [], `seed ${c.seed}`);
    }
  });

  it('decides the same whatever order the snapshots are listed in', () => {
    for (const c of cases) {
      const byId = (ds: RetentionDecision[]) => new Map(ds.map((x) => [x.id, x]));
      const expected = byId(c.decisions);
      for (let round = 0; round < 2; round++) {
        const got = byId(applyRetention(shuffled(c.rand, c.snapshots), c.ruleFor, c.now));
        assert.deepEqual(got.size, expected.size);
        for (const [id, decision] of expected) assert.deepEqual(got.get(id), decision, `seed ${c.seed}: ${id}`);
      }
    }
  });

  it('removes each kept snapshot exactly at its expiresAt when expire runs then and nothing is added', () => {
    let checked = 0;
    for (const c of cases) {
      const expiresAt = new Map(c.decisions.filter((x) => x.keep).map((x) => [x.id, x.expiresAt]));
      let alive = c.snapshots.filter((s) => expiresAt.has(s.id));
      const times = [...new Set([...expiresAt.values()].filter((t) => t !== undefined))].sort((a, b) => a - b);
      for (const t of times) {
        const before = applyRetention(alive, c.ruleFor, t - 1);
        assert.deepEqual(before.filter((x) => !x.keep).map((x) => x.id), [], `seed ${c.seed}: removed before ${new Date(t).toISOString()}`);
        const at = applyRetention(alive, c.ruleFor, t);
        const removed = at.filter((x) => !x.keep).map((x) => x.id).sort();
        const due = alive.filter((s) => expiresAt.get(s.id) === t).map((s) => s.id).sort();
        assert.deepEqual(removed, due, `seed ${c.seed} at ${new Date(t).toISOString()}`);
        checked += due.length;
        alive = alive.filter((s) => !due.includes(s.id));
      }
      // What is left is kept for good: pinned, tagged, the newest, or among keep_last.
      assert.ok(alive.every((s) => expiresAt.get(s.id) === undefined), `seed ${c.seed}`);
    }
    assert.ok(checked > 1000, `only ${checked} expiries checked`);
  });
});
