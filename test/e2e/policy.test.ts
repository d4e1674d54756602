/**
 * Policies through the real CLI, with environments that need no database server (mounts and SQLite):
 * a manual snapshot refused on Pro production (exit 24, one line), policy:show with origins,
 * policy.automatic.backup_type, pin/unpin (snapshot:info's pinned line), snapshot:list's policy columns
 * (Type, Automated, Live, Expires, Restorable), expire, and snapshot:delete of a pinned snapshot.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { oneErrorLine, runCli, runJson, runOk } from './helpers.ts';

const DAY = 24 * 3_600_000;

const config = (devPolicy: string) => `project: e2e
repository: repo
types:
  integration:
    policy: { manual: { keep_within: 7d } }
environments:
  prod:
    type: production
    plan: pro
    root: shop
    mounts: [var]
  dev:
    type: integration
    root: shop
    mounts: [var]
    database: { type: sqlite, path: data/shop.db }
    maintenance: { flag: maintenance.flag }
    policy: ${devPolicy}
`;

interface Listed {
  id: string;
  created: string;
  restorable: boolean;
  type: string;
  automated: boolean | null;
  live: boolean | null;
  pinned: boolean;
  expires: string | null;
  environment?: string;
}

describe('policies (CLI)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-policy-'));
    await writeFiles(join(dir, 'shop'), { 'var/import/a.csv': 'a,b\n', 'data/.keep': '' });
    const db = new DatabaseSync(join(dir, 'shop', 'data', 'shop.db'));
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('one'), ('two');");
    db.close();
    await writeFile(join(dir, 'envsnap.yaml'), config('{ manual: { max_count: null } }'));
    await runOk(['init'], { cwd: dir });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses a manual snapshot of Pro production: exit 24, one line saying what to do, nothing saved', async () => {
    const r = await runCli(['-e', 'prod', 'snapshot:create'], { cwd: dir });
    assert.equal(r.code, 24, r.stderr);
    assert.match(oneErrorLine(r), /^error: manual snapshots are not available for prod \(Pro plan: production environments are snapshotted automatically instead, .+\): restore from one of its automatic snapshots \(see envsnap snapshot:list\), or allow manual snapshots with manual\.allowed: true/);
    assert.deepEqual(await runJson(['-e', 'prod', 'snapshot:list'], { cwd: dir }), []);
  });

  it('policy:show lists every value with its origin', async () => {
    const shown = await runJson<{ environment: string; values: { key: string; value: string; origin: string }[] }>(['-e', 'dev', 'policy:show'], { cwd: dir });
    const byKey = new Map(shown.values.map((v) => [v.key, v]));
    assert.equal(shown.environment, 'dev');
    assert.equal(byKey.size, 10);
    assert.deepEqual(byKey.get('manual.keep_within'), { key: 'manual.keep_within', value: '7d', origin: 'type integration' });
    assert.deepEqual(byKey.get('manual.max_count'), { key: 'manual.max_count', value: 'none', origin: 'environment dev' });
    assert.equal(byKey.get('manual.allowed')!.origin, 'preset (starter/integration)');
    assert.deepEqual(byKey.get('automatic.backup_type'), { key: 'automatic.backup_type', value: 'system', origin: 'preset (starter/integration)' });
    const prod = await runOk(['-e', 'prod', 'policy:show'], { cwd: dir });
    assert.match(prod.stdout, /manual\.allowed\s+false\s+preset \(pro\/production\)/);
    assert.match(prod.stdout, /^automatic\.backup_type\s+system\s+preset \(pro\/production\)$/m);
  });

  it('takes Magento\'s backup types in policy.automatic.backup_type and refuses the old full/files in one line', async () => {
    try {
      await writeFile(join(dir, 'envsnap.yaml'), config('{ manual: { max_count: null }, automatic: { backup_type: db-media } }'));
      const shown = await runJson<{ values: { key: string; value: string; origin: string }[] }>(['-e', 'dev', 'policy:show'], { cwd: dir });
      assert.deepEqual(shown.values.find((v) => v.key === 'automatic.backup_type'), { key: 'automatic.backup_type', value: 'db-media', origin: 'environment dev' });
      await writeFile(join(dir, 'envsnap.yaml'), config('{ manual: { max_count: null }, automatic: { backup_type: full } }'));
      const r = await runCli(['-e', 'dev', 'policy:show'], { cwd: dir });
      assert.equal(r.code, 20, r.stderr);
      assert.match(oneErrorLine(r), /^error: .*envsnap\.yaml line 18: environments\.dev\.policy\.automatic\.backup_type: invalid value "full": use one of system, db-media, db$/);
    } finally {
      await writeFile(join(dir, 'envsnap.yaml'), config('{ manual: { max_count: null } }'));
    }
  });

  it('pins, lists with policy columns, and expires by policy', async () => {
    const a = await runJson(['-e', 'dev', 'snapshot:create'], { cwd: dir });
    const b = await runJson(['-e', 'dev', 'snapshot:create', '--live'], { cwd: dir });
    const c = await runJson(['-e', 'dev', 'snapshot:create'], { cwd: dir });

    let list = await runJson<Listed[]>(['snapshot:list'], { cwd: dir });
    assert.deepEqual(list.map((x) => x.id), [a.snapshotId, b.snapshotId, c.snapshotId]);
    for (const x of list) {
      assert.equal(x.type, 'system', 'files and a database');
      assert.equal(x.automated, false);
      assert.equal(x.restorable, true);
      assert.equal(x.environment, 'dev');
    }
    assert.deepEqual(list.map((x) => x.live), [false, true, false]);
    assert.equal(list[2].expires, 'never', 'the newest of an environment is always kept');
    assert.equal(Date.parse(list[0].expires!), Date.parse(list[0].created) + 7 * DAY, 'a manual snapshot is kept for keep_within (7d)');

    // Pin round trip: pinned shows as never expiring and, in snapshot:info, since when; unpinned goes back to its date.
    assert.equal((await runJson(['snapshot:info', a.snapshotId], { cwd: dir })).pinned, false);
    assert.match((await runOk(['snapshot:info', a.snapshotId], { cwd: dir })).stdout, /^pinned\s+no$/m);
    const beforePin = Date.now();
    assert.deepEqual(await runJson(['snapshot:pin', a.snapshotId.slice(0, 8)], { cwd: dir }), { pinned: [a.snapshotId] });
    const afterPin = Date.now();
    list = await runJson<Listed[]>(['snapshot:list'], { cwd: dir });
    assert.deepEqual([list[0].pinned, list[0].expires], [true, 'never']);
    const info = await runJson(['snapshot:info', a.snapshotId.slice(0, 8)], { cwd: dir });
    assert.equal(info.id, a.snapshotId, 'the manifest fields stay at the top level');
    assert.deepEqual(Object.keys(info.pinned), ['time']);
    const pinTime = Date.parse(info.pinned.time);
    assert.ok(pinTime >= beforePin - 1000 && pinTime <= afterPin + 1000, `pin time ${info.pinned.time}`);
    assert.equal(new Date(pinTime).toISOString(), info.pinned.time);
    const infoText = await runOk(['snapshot:info', a.snapshotId], { cwd: dir });
    assert.match(infoText.stdout, new RegExp(`^pinned\\s+yes \\(since ${info.pinned.time.replace(/\./g, '\\.')}\\)$`, 'm'));
    await runOk(['snapshot:unpin', a.snapshotId], { cwd: dir });
    list = await runJson<Listed[]>(['snapshot:list'], { cwd: dir });
    assert.equal(list[0].pinned, false);
    assert.notEqual(list[0].expires, 'never');
    assert.equal((await runJson(['snapshot:info', a.snapshotId], { cwd: dir })).pinned, false);

    // A stricter policy: with max_count 1 the two older (unpinned) snapshots are expired — listed as not restorable — until expire deletes them.
    await runOk(['snapshot:pin', b.snapshotId], { cwd: dir });
    await writeFile(join(dir, 'envsnap.yaml'), config('{ manual: { max_count: 1 } }'));
    list = await runJson<Listed[]>(['snapshot:list'], { cwd: dir });
    assert.deepEqual(list.map((x) => [x.expires, x.restorable]), [['expired', false], ['never', true], ['never', true]]);
    const table = await runOk(['snapshot:list'], { cwd: dir });
    assert.match(table.stdout, /^Created\s+Snapshot ID\s+Restorable\s+Type\s+Automated\s+Live\s+Size\s+Expires\s+Environment$/m);
    assert.match(table.stdout, new RegExp(`${a.snapshotId.slice(0, 8)}\\s+no \\(expired\\)\\s+system\\s+no\\s+no\\s+.+expired\\s+dev`));

    const dry = await runJson(['expire', '--dry-run'], { cwd: dir });
    assert.deepEqual(dry.removed.map((x: { id: string }) => x.id), [a.snapshotId]);
    assert.equal((await runJson<Listed[]>(['snapshot:list'], { cwd: dir })).length, 3, 'a dry run deletes nothing');
    const done = await runJson(['expire'], { cwd: dir });
    assert.deepEqual(done.removed.map((x: { id: string }) => x.id), [a.snapshotId]);
    assert.ok(done.prune, 'expire pruned');
    assert.deepEqual((await runJson<Listed[]>(['snapshot:list'], { cwd: dir })).map((x) => x.id), [b.snapshotId, c.snapshotId]);
    const check = await runJson(['check'], { cwd: dir });
    assert.deepEqual(check.errors, []);

    // Deleting a pinned snapshot deletes its pin too: check has nothing stale to warn about.
    await runOk(['snapshot:delete', b.snapshotId], { cwd: dir });
    assert.deepEqual((await runJson<Listed[]>(['snapshot:list'], { cwd: dir })).map((x) => x.id), [c.snapshotId]);
    const after = await runJson(['check'], { cwd: dir });
    assert.deepEqual([after.errors, after.warnings], [[], []]);
  });
});
