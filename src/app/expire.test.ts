import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseProjectConfig, type ProjectConfig } from '../config/project-config.ts';
import { FakeClock } from '../core/clock.ts';
import { listSnapshots, type Snapshot } from '../snapshot/manifest.ts';
import { FakeSource } from '../testing/fake-source.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';
import type { AppContext } from './context.ts';
import { createEnvironmentSnapshot } from './create-environment-snapshot.ts';
import { createSnapshot } from './create-snapshot.ts';
import { expire } from './expire.ts';
import { check } from './maintain.ts';
import { setPinned } from './manage-snapshots.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Manual snapshots live 2 days; automatic ones: the newest, plus one per day for a week. */
const CONFIG = `project: shop
repository: repo
environments:
  prod:
    type: production
    root: shop
    mounts: [var]
    policy:
      manual: { allowed: true, keep_within: 2d, max_count: null }
      automatic: { keep_last: 1, tiers: [{ every: 1d, until: 7d }] }
  stage:
    type: staging
    root: shop
    mounts: [var]
    policy:
      manual: { allowed: true, keep_within: 2d }
`;

describe('expire (use case, fake sources, FakeClock)', () => {
  let fx: TempRepo;
  let clock: FakeClock;
  let ctx: AppContext;
  let project: ProjectConfig;
  let root: string;

  beforeEach(async () => {
    fx = await tempRepo('expire');
    clock = new FakeClock(Date.UTC(2026, 2, 2, 0, 0));
    ctx = { ...quietContext, clock };
    project = parseProjectConfig(CONFIG, join(fx.dir, 'envsnap.yaml'));
    root = join(fx.dir, 'shop');
    await writeFiles(root, { 'var/a.txt': 'a' });
  });
  afterEach(() => fx.dispose());

  /** A snapshot of `env` taken now, then the clock moves `after` on. */
  async function snap(env: 'prod' | 'stage', trigger: 'manual' | 'automatic', after: number): Promise<Snapshot> {
    const calls: string[] = [];
    const s = await createEnvironmentSnapshot(ctx, fx.repo, {
      project: 'shop',
      env: { name: env, type: env === 'prod' ? 'production' : 'staging', plan: 'starter', root, mounts: ['var'], exclude: [] },
      sources: [{ kind: 'mysql', id: 'default', name: 'db', create: async () => new FakeSource({ name: 'db', files: { 't.tsv': `${clock.now()}\n` }, calls }), createSink: async () => { throw new Error('unused'); } }],
      trigger,
    });
    clock.advance(after);
    return s;
  }

  const remaining = async () => new Set((await listSnapshots(fx.repo)).map((s) => s.id));

  /** prod: m1 (pinned later), m2, a1, a2 on day 0; a3, m3 on day 3; now day 4. */
  async function history() {
    const m1 = await snap('prod', 'manual', HOUR);
    const m2 = await snap('prod', 'manual', HOUR);
    const a1 = await snap('prod', 'automatic', HOUR);
    const a2 = await snap('prod', 'automatic', 3 * DAY - 3 * HOUR);
    const a3 = await snap('prod', 'automatic', HOUR);
    const m3 = await snap('prod', 'manual', DAY - HOUR);
    return { m1, m2, a1, a2, a3, m3 };
  }

  it('deletes what no rule keeps, keeps pinned, newest-in-bucket and recent snapshots, and leaves the repository check-clean', async () => {
    const file = await createSnapshot(ctx, fx.repo, { root, paths: ['var'], excludes: [] });
    const h = await history();
    await setPinned(ctx, fx.repo, [h.m1.id], true);
    clock.advance(10 * DAY); // file snapshots are older than any policy would keep: still untouched

    const r = await expire(ctx, fx.repo, { project });
    assert.deepEqual(new Set(r.removed.map((x) => x.snapshot.id)), new Set([h.m2.id, h.a1.id, h.a2.id]));
    const left = await remaining();
    for (const s of [h.m1, h.a3, h.m3, file.snapshot]) assert.ok(left.has(s.id), `${s.id.slice(0, 8)} should remain`);
    for (const s of [h.m2, h.a1, h.a2]) assert.ok(!left.has(s.id), `${s.id.slice(0, 8)} should be gone`);
    assert.deepEqual(r.kept.find((x) => x.snapshot.id === h.m1.id)!.decision.reasons, ['pinned']);
    assert.ok(r.prune, 'prune ran');
    const c = await check(ctx, fx.repo, { readData: { subsetPercent: 100 } });
    assert.deepEqual(c.errors, []);
  });

  it('at day 4: the older automatic snapshot of a day is dropped, the newest of that day kept', async () => {
    const h = await history();
    const r = await expire(ctx, fx.repo, { project, noPrune: true });
    assert.deepEqual(new Set(r.removed.map((x) => x.snapshot.id)), new Set([h.m1.id, h.m2.id, h.a1.id]));
    assert.deepEqual(new Set(r.kept.map((x) => x.snapshot.id)), new Set([h.a2.id, h.a3.id, h.m3.id]));
    assert.equal(r.prune, undefined);
    assert.deepEqual(await remaining(), new Set([h.a2.id, h.a3.id, h.m3.id]));
  });

  it('--dry-run reports the same decisions and deletes nothing', async () => {
    const h = await history();
    const before = await remaining();
    const dry = await expire(ctx, fx.repo, { project, dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.deepEqual(new Set(dry.removed.map((x) => x.snapshot.id)), new Set([h.m1.id, h.m2.id, h.a1.id]));
    assert.equal(dry.prune, undefined);
    assert.deepEqual(await remaining(), before);
  });

  it('with an environment, only that environment is expired', async () => {
    const s1 = await snap('stage', 'manual', HOUR);
    const s2 = await snap('stage', 'manual', HOUR);
    const h = await history();
    const r = await expire(ctx, fx.repo, { project, env: 'stage', noPrune: true });
    assert.deepEqual(r.removed.map((x) => x.snapshot.id), [s1.id]);
    assert.deepEqual(r.kept.map((x) => x.snapshot.id), [s2.id]);
    const left = await remaining();
    for (const s of Object.values(h)) assert.ok(left.has(s.id), 'prod is untouched');
    await assert.rejects(expire(ctx, fx.repo, { project, env: 'nope' }), /no environment nope .*: pass one of those with --env/);
  });

  it('running it again changes nothing (idempotent)', async () => {
    await history();
    await expire(ctx, fx.repo, { project, noPrune: true });
    const after = await remaining();
    const again = await expire(ctx, fx.repo, { project, noPrune: true });
    assert.equal(again.removed.length, 0);
    assert.deepEqual(await remaining(), after);
  });
});
