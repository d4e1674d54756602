import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseProjectConfig, type ProjectConfig } from '../config/project-config.ts';
import { FakeClock } from '../core/clock.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { deleteSnapshot, listSnapshots } from '../snapshot/manifest.ts';
import { listPins } from '../snapshot/pins.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';
import type { AppContext } from './context.ts';
import { snapshotEnvironment } from './environment-snapshots.ts';
import { check, prune } from './maintain.ts';
import { deleteSnapshots, setPinned, snapshotInfo } from './manage-snapshots.ts';

const CONFIG = `project: shop
repository: repo
environments:
  prod: { type: production, plan: pro, root: shop, mounts: [var] }
  dev:
    type: integration
    root: shop
    mounts: [var]
    policy: { manual: { max_count: 2 } }
`;

describe('policies on environment snapshots (use case)', () => {
  let fx: TempRepo;
  let clock: FakeClock;
  let ctx: AppContext;
  let project: ProjectConfig;

  beforeEach(async () => {
    fx = await tempRepo('env-policy');
    clock = new FakeClock(Date.UTC(2026, 2, 2));
    ctx = { ...quietContext, clock };
    project = parseProjectConfig(CONFIG, join(fx.dir, 'envsnap.yaml'));
    await writeFiles(join(fx.dir, 'shop'), { 'var/a.txt': 'a' });
  });
  afterEach(() => fx.dispose());

  const take = async (env: string) => {
    const s = await snapshotEnvironment(ctx, fx.repo, { project, env: project.environments.get(env)!, live: true });
    clock.advance(60_000);
    return s;
  };

  it('refuses a manual snapshot of Pro production with FORBIDDEN and saves nothing; an automatic one is taken', async () => {
    await assert.rejects(take('prod'), (e: unknown) => isEnvsnapError(e, 'FORBIDDEN') && /^manual snapshots are not available for prod \(Pro plan: .*\): .*snapshot:list/.test(e.message));
    assert.equal((await listSnapshots(fx.repo)).length, 0);
    const auto = await snapshotEnvironment(ctx, fx.repo, { project, env: project.environments.get('prod')!, live: true, trigger: 'automatic' });
    assert.equal(auto.environment!.trigger, 'automatic');
  });

  it('max_count: a new manual snapshot replaces the oldest unpinned one; pinned ones are outside the cap', async () => {
    const s1 = await take('dev');
    const s2 = await take('dev');
    assert.deepEqual(s2.replaced, []);
    await setPinned(ctx, fx.repo, [s1.id], true);
    const s3 = await take('dev');
    assert.deepEqual(s3.replaced, [], 'the pinned s1 does not count: s2 and s3 are the 2 allowed');
    const s4 = await take('dev');
    assert.deepEqual(s4.replaced.map((s) => s.id), [s2.id]);
    assert.deepEqual(new Set((await listSnapshots(fx.repo)).map((s) => s.id)), new Set([s1.id, s3.id, s4.id]));
  });

  it('pins survive as objects of their own: unpin removes the pin, a stale pin is a check warning that prune removes', async () => {
    const a = await take('dev');
    const b = await take('dev');
    await setPinned(ctx, fx.repo, [a.id.slice(0, 8), b.id], true);
    await setPinned(ctx, fx.repo, [a.id], true); // again: idempotent
    assert.deepEqual(await listPins(fx.repo), new Set([a.id, b.id]));
    await setPinned(ctx, fx.repo, [a.id], false);
    assert.deepEqual(await listPins(fx.repo), new Set([b.id]));

    // Only the manifest, as a delete interrupted before its pin (or an older envsnap) leaves it.
    await deleteSnapshot(fx.repo, b.id);
    const c = await check(ctx, fx.repo, { readData: false });
    assert.deepEqual(c.errors, []);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0], new RegExp(`^pin ${b.id.slice(0, 8)} names a snapshot that no longer exists: harmless; "envsnap prune" removes it$`));
    const st = await prune(ctx, fx.repo);
    assert.equal(st.stalePinsRemoved, 1);
    assert.deepEqual(await listPins(fx.repo), new Set());
    assert.deepEqual((await check(ctx, fx.repo, { readData: false })).warnings, []);
  });

  it('snapshot:delete removes the pin with the manifest, so nothing stale is left for check or prune', async () => {
    const a = await take('dev');
    const b = await take('dev');
    await setPinned(ctx, fx.repo, [a.id, b.id], true);
    const c = await take('dev'); // pinned ones are outside max_count: nothing replaced
    await deleteSnapshots(ctx, fx.repo, [a.id.slice(0, 8), c.id]); // a pinned, c not: both fine
    assert.deepEqual(await listPins(fx.repo), new Set([b.id]));
    assert.deepEqual((await listSnapshots(fx.repo)).map((s) => s.id), [b.id]);
    assert.deepEqual((await check(ctx, fx.repo, { readData: false })).warnings, []);
    assert.equal((await prune(ctx, fx.repo)).stalePinsRemoved, 0);
  });

  it('snapshotInfo tells whether the snapshot is pinned and since when (the first pin\'s time)', async () => {
    const a = await take('dev');
    assert.equal((await snapshotInfo(fx.repo, a.id)).pin, undefined);
    const pinnedAt = clock.now();
    await setPinned(ctx, fx.repo, [a.id], true);
    clock.advance(3_600_000);
    await setPinned(ctx, fx.repo, [a.id], true); // again: keeps the first time
    const info = await snapshotInfo(fx.repo, 'latest');
    assert.equal(info.snapshot.id, a.id);
    assert.deepEqual(info.pin, { time: new Date(pinnedAt).toISOString() });
    await setPinned(ctx, fx.repo, [a.id], false);
    assert.equal((await snapshotInfo(fx.repo, a.id.slice(0, 8))).pin, undefined);
  });
});
