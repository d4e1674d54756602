/**
 * copySnapshots between two temporary repositories (each with its own keys): a copy restores byte
 * for byte from the destination, check is clean on both sides, a second run skips, a later snapshot
 * reads and stores only what changed, an interrupted copy leaves no snapshot and is resumed; and the
 * copy_to setting copies automatic snapshots taken through the scheduler, also to an s3:// repository
 * reached through envsnap.yaml's s3: block.
 */
import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { appendFile, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseProjectConfig, type ProjectConfig } from '../config/project-config.ts';
import { FakeClock } from '../core/clock.ts';
import { MemoryLogger } from '../core/logger.ts';
import { Repository } from '../repo/repository.ts';
import { RunHistory } from '../scheduler/run-history.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { scheduledRuns } from '../scheduler/schedules.ts';
import { checkRepository } from '../snapshot/check.ts';
import { listSnapshots } from '../snapshot/manifest.ts';
import { loadTree } from '../snapshot/tree-reader.ts';
import { FaultyStore } from '../storage/faulty/faulty-store.ts';
import { LocalStore } from '../storage/local/local-store.ts';
import { testS3, uniqueBucket, type S3Info } from '../testing/servers.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';
import type { AppContext } from './context.ts';
import { copySnapshots } from './copy-snapshots.ts';
import { initRepository, withRepository } from './open-repository.ts';
import { repoRef } from './repo-ref.ts';
import { createSnapshot } from './create-snapshot.ts';
import { snapshotEnvironment } from './environment-snapshots.ts';
import { restoreSnapshot } from './restore-snapshot.ts';

const ctx = quietContext;

function random(size: number, seed: number): Buffer {
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** Every file below root with its bytes, and every symlink with its target, by relative path. */
async function contents(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    const rel = join(e.parentPath, e.name).slice(root.length + 1);
    if (e.isFile()) out.set(rel, (await readFile(join(root, rel))).toString('base64'));
    else if (e.isSymbolicLink()) out.set(rel, `-> ${await readlink(join(root, rel))}`);
    else if (e.isDirectory()) out.set(rel, 'dir');
  }
  return out;
}

async function assertCheckClean(repo: Repository, what: string): Promise<void> {
  const r = await checkRepository(repo, { readData: { subsetPercent: 100 }, logger: new MemoryLogger() });
  assert.deepEqual(r.errors, [], `check of the ${what} found errors`);
}

/** A fresh Repository object on the same directory (an index loaded from what is stored now). */
function reopen(fx: TempRepo): Promise<Repository> {
  return Repository.open(new LocalStore(fx.repoDir), 'pw', { clock: ctx.clock });
}

/**
 * A project whose repository is `src`, with `projectLines` (e.g. an s3: block) and one environment
 * production copying to `copyTo` (with `copyToLines` under copy_to, e.g. its own s3: block).
 */
function copyToProject(src: TempRepo, projectLines: string[], copyTo: string, passwordVar: string, copyToLines: string[] = []) {
  const lines = ['project: shop', `repository: ${src.repoDir}`, ...projectLines, 'environments:', '  production:', '    type: production', '    plan: pro', '    root: shop', '    mounts: [var]'];
  const copy = ['    copy_to:', `      repository: ${copyTo}`, `      password_env: ${passwordVar}`, ...copyToLines.map((l) => `      ${l}`)];
  return parseProjectConfig([...lines, ...copy, ''].join('\n'), join(src.dir, 'envsnap.yaml'));
}

/** The test S3 server's endpoint and the variables naming its keys, as s3: block lines. */
function s3BlockLines(info: { endpoint: string; region: string }): string[] {
  return ['s3:', `  endpoint: ${info.endpoint}`, `  region: ${info.region}`, '  access_key_id_env: ENVSNAP_TEST_S3_KEY', '  secret_access_key_env: ENVSNAP_TEST_S3_SECRET'];
}

describe('copySnapshots', () => {
  let src: TempRepo;
  let dst: TempRepo;
  let root: string;

  before(async () => {
    src = await tempRepo('copy-src');
    dst = await tempRepo('copy-dst');
    root = join(src.dir, 'tree');
    await writeFiles(root, {
      'big.bin': random(3 * 1024 * 1024, 1),
      'small.txt': 'small\n',
      'empty.txt': '',
      'a/b/c/deep.txt': 'deep\n',
      'a/other.bin': random(100_000, 2),
      'same/one.txt': 'duplicate content\n',
      'same/two.txt': 'duplicate content\n',
    });
    await symlink('../small.txt', join(root, 'a', 'link'));
  });
  after(async () => {
    await src.dispose();
    await dst.dispose();
  });

  it('copies a snapshot under the destination keys: same id and metadata, restorable byte for byte, check clean on both', async () => {
    const { snapshot } = await createSnapshot(ctx, src.repo, { root, tags: ['release'] });
    const r = await copySnapshots(ctx, src.repo, dst.repo);
    assert.equal(r.snapshots.length, 1);
    const [c] = r.snapshots;
    assert.equal(c.status, 'copied');
    assert.equal(c.id, snapshot.id);
    assert.ok(c.newBlobs > 0 && c.uploadedBytes > 3 * 1024 * 1024, `${c.newBlobs} blobs, ${c.uploadedBytes} bytes`);

    const [copy] = await listSnapshots(await reopen(dst));
    assert.equal(copy.id, snapshot.id);
    assert.notEqual(copy.tree, snapshot.tree, 'tree ids are keyed per repository');
    assert.equal(copy.copiedFrom?.repository, src.repo.config.id);
    const { tree: _a, copiedFrom: _b, ...kept } = copy;
    const { tree: _c, ...original } = snapshot;
    assert.deepEqual(kept, original);

    // No blob id is shared: every id was computed under the destination's key.
    for (const loc of dst.repo.index.entries()) assert.equal(src.repo.index.has(loc.id), false);
    // The trees name the same entries.
    const names = async (repo: Repository, id: string) => (await loadTree(repo, id)).nodes.map((n) => [n.name, n.type, n.size, n.mtimeNs]);
    assert.deepEqual(await names(dst.repo, copy.tree), await names(src.repo, snapshot.tree));

    const target = join(dst.dir, 'restore');
    await restoreSnapshot(ctx, dst.repo, { snapshot: snapshot.id, target });
    assert.deepEqual(await contents(target), await contents(root));
    await assertCheckClean(src.repo, 'source');
    await assertCheckClean(await reopen(dst), 'destination');
  });

  it('skips what the destination has, and copies a later snapshot reading only its changed chunks', async () => {
    const again = await copySnapshots(ctx, src.repo, dst.repo);
    assert.deepEqual(
      again.snapshots.map((s) => [s.status, s.newBlobs, s.readBlobs]),
      [['skipped', 0, 0]],
    );
    await appendFile(join(root, 'small.txt'), 'one more line\n');
    await writeFile(join(root, 'a', 'new.txt'), 'a new file\n');
    const { snapshot: second } = await createSnapshot(ctx, src.repo, { root });
    const r = await copySnapshots(ctx, src.repo, dst.repo);
    const copied = r.snapshots.find((s) => s.id === second.id)!;
    assert.equal(copied.status, 'copied');
    // Two files changed: their chunks are read; the rest is matched through the first snapshot.
    assert.equal(copied.readBlobs, 2);
    assert.ok(copied.uploadedBytes < 16 * 1024, `uploaded ${copied.uploadedBytes} bytes for a two-file change`);
    const target = join(dst.dir, 'restore-2');
    await restoreSnapshot(ctx, await reopen(dst), { snapshot: second.id, target });
    assert.deepEqual(await contents(target), await contents(root));
    await assertCheckClean(await reopen(dst), 'destination');
  });

  it('selects by environment and by id, and refuses to copy a repository onto itself', async () => {
    const other = await tempRepo('copy-sel');
    try {
      const { snapshot: envSnap } = await createSnapshot(ctx, src.repo, { root, env: 'staging' });
      const byEnv = await copySnapshots(ctx, src.repo, other.repo, { env: 'staging' });
      assert.deepEqual(
        byEnv.snapshots.map((s) => s.id),
        [envSnap.id],
      );
      const all = await listSnapshots(src.repo);
      const byId = await copySnapshots(ctx, src.repo, other.repo, { snapshots: [all[0].id.slice(0, 8), 'latest'] });
      assert.deepEqual(
        byId.snapshots.map((s) => [s.id, s.status]),
        [
          [all[0].id, 'copied'],
          [envSnap.id, 'skipped'],
        ],
      );
      await assert.rejects(copySnapshots(ctx, src.repo, other.repo, { env: 'staging', snapshots: [all[0].id] }), /is a file snapshot, not of staging/);
      await assert.rejects(copySnapshots(ctx, src.repo, await reopen(src)), /is the source repository itself/);
    } finally {
      await other.dispose();
    }
  });

  it('leaves no snapshot when interrupted before the manifest, and the next run stores nothing again', async () => {
    const faulty = await tempRepo('copy-faulty', (local) => new FaultyStore(local));
    try {
      faulty.store.failPut({ namePrefix: 'snapshots/' });
      await assert.rejects(copySnapshots(ctx, src.repo, faulty.repo), /injected fault/);
      assert.deepEqual(await listSnapshots(faulty.repo), []);
      await assertCheckClean(faulty.repo, 'interrupted destination');
      faulty.store.reset();
      const resumed = await Repository.open(faulty.store, 'pw', { clock: ctx.clock });
      const r = await copySnapshots(ctx, src.repo, resumed);
      const first = r.snapshots[0];
      assert.equal(first.status, 'copied');
      assert.equal(first.newBlobs, 0, 'the blobs the interrupted run stored are reused');
      assert.equal(r.snapshots.filter((s) => s.status === 'copied').length, r.snapshots.length);
      assert.equal((await listSnapshots(resumed)).length, r.snapshots.length);
      await assertCheckClean(resumed, 'resumed destination');
    } finally {
      await faulty.dispose();
    }
  });
});

describe('copy_to: automatic snapshots go to a second repository', () => {
  let src: TempRepo;
  let dst: TempRepo;
  const PASSWORD_VAR = 'ENVSNAP_TEST_COPY_TO_PASSWORD';

  before(async () => {
    src = await tempRepo('copyto-src');
    dst = await tempRepo('copyto-dst');
    await writeFiles(join(src.dir, 'shop'), { 'var/import/a.csv': 'sku,qty\n1,2\n', 'var/big.bin': random(700_000, 3) });
  });
  after(async () => {
    delete process.env[PASSWORD_VAR];
    await src.dispose();
    await dst.dispose();
  });

  it('copies the snapshot a scheduled run takes; a failed copy is a warning and the next run copies what is missing', async () => {
    const project = copyToProject(src, [], dst.repoDir, PASSWORD_VAR);
    const env = project.environments.get('production')!;
    assert.deepEqual(env.copyTo, { repository: dst.repoDir, password: { env: PASSWORD_VAR } });
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 30));
    const logger = new MemoryLogger();
    const runCtx: AppContext = { ...ctx, logger };
    const taken: string[] = [];
    const scheduler = new Scheduler({
      clock,
      logger,
      history: RunHistory.memory(),
      runs: scheduledRuns(env),
      runSnapshot: async (run) => {
        const snap = await snapshotEnvironment(runCtx, src.repo, { project, env, live: true, trigger: 'automatic', backupType: run.backupType });
        taken.push(snap.id);
        return { snapshotId: snap.id };
      },
      expire: async () => {},
    });
    const step = async () => {
      clock.set(scheduler.nextWakeAt());
      await scheduler.tick();
      await scheduler.idle();
    };
    await scheduler.start();

    // The destination's password is missing: the snapshot is taken all the same, with a warning.
    delete process.env[PASSWORD_VAR];
    await step();
    assert.equal(taken.length, 1);
    assert.match(logger.warnings().join('\n'), /could not copy the snapshots of production to .* \(copy_to\): .*ENVSNAP_TEST_COPY_TO_PASSWORD.*the next automatic snapshot copies what is missing/);
    assert.deepEqual(await listSnapshots(await reopen(dst)), []);

    // The next run copies its own snapshot and the one the failed copy left behind.
    process.env[PASSWORD_VAR] = 'pw';
    await step();
    assert.equal(taken.length, 2);
    const copies = await listSnapshots(await reopen(dst));
    assert.deepEqual(copies.map((s) => s.id).sort(), [...taken].sort());
    assert.ok(copies.every((s) => s.environment?.trigger === 'automatic' && s.copiedFrom?.repository === src.repo.config.id));
    const target = join(dst.dir, 'restore');
    await restoreSnapshot(ctx, await reopen(dst), { snapshot: taken[1], target });
    assert.deepEqual(await readFile(join(target, 'files', 'var', 'big.bin')), random(700_000, 3));
    await assertCheckClean(await reopen(dst), 'copy_to repository');
    await rm(target, { recursive: true });
  });
});

describe('copy_to an s3:// repository', () => {
  /** The copy_to of a new project (made by `makeProject` from the test server's settings) after one automatic snapshot. */
  async function copiedByCopyTo(t: TestContext, makeProject: (src: TempRepo, info: S3Info, offsite: string) => ProjectConfig): Promise<void> {
    const info = await testS3();
    const src = await tempRepo('copyto-s3-src');
    t.after(() => src.dispose());
    await writeFiles(join(src.dir, 'shop'), { 'var/a.txt': 'offsite\n' });
    const offsite = `s3://${uniqueBucket()}/offsite`;
    const vars = { ENVSNAP_TEST_S3_KEY: info.accessKeyId, ENVSNAP_TEST_S3_SECRET: info.secretAccessKey, ENVSNAP_TEST_OFFSITE_PASSWORD: 'offsite pw', ENVSNAP_CACHE_DIR: 'off' };
    Object.assign(process.env, vars);
    t.after(() => Object.keys(vars).forEach((k) => delete process.env[k]));
    const project = makeProject(src, info, offsite);
    const ref = repoRef(offsite, 'offsite pw', project);
    await (await initRepository(ctx, ref)).close();
    const env = project.environments.get('production')!;
    const logger = new MemoryLogger();
    const snap = await snapshotEnvironment({ ...ctx, logger }, src.repo, { project, env, live: true, trigger: 'automatic' });
    assert.deepEqual(logger.warnings(), []);
    const copies = await withRepository(ctx, ref, (dst) => listSnapshots(dst));
    assert.deepEqual(copies.map((s) => s.id), [snap.id]);
  }

  it("reaches it with envsnap.yaml's s3: block alone (endpoint and the variables naming the keys)", (t) =>
    copiedByCopyTo(t, (src, info, offsite) => copyToProject(src, s3BlockLines(info), offsite, 'ENVSNAP_TEST_OFFSITE_PASSWORD')));

  it("reaches one on another S3 service through the copy_to's own s3: block", (t) =>
    copiedByCopyTo(t, (src, info, offsite) => copyToProject(src, [], offsite, 'ENVSNAP_TEST_OFFSITE_PASSWORD', s3BlockLines(info))));
});
