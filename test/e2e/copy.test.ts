/**
 * End to end, through the real CLI: `envsnap copy` between two local repositories with different
 * passwords. The copy restores byte for byte from the destination, check --read-data is clean on both
 * sides, a second run skips, a later snapshot uploads only its new data; a copy killed with SIGKILL
 * leaves no snapshot and a check-clean destination, and the next run reuses its packs; a wrong
 * destination password and a missing destination are one-line errors with their exit codes; a
 * snapshot travels local → S3 (the test Swift server) → local; and an environment's copy_to in
 * envsnap.yaml is the destination when --to is not given; envsnap.yaml's s3: block alone reaches the
 * S3 repositories the file names, through copy --to and through copy_to.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { s3Env, testS3, uniqueBucket } from '../../src/testing/servers.ts';
import {
  PASSWORD,
  assertTreesEqual,
  makeFixtureTree,
  oneErrorLine,
  packFiles,
  packsWritten,
  runCli,
  runJson,
  runOk,
  spawnCli,
  stopWhenSeen,
  tempDir,
  walkTree,
  writePseudoRandomFile,
  writeShopProject,
  type TreeEntry,
} from './helpers.ts';

const DST_PASSWORD = 'a different password for the offsite copy';

interface CopyJson {
  source: string;
  destination: string;
  adoptedPacks: number;
  copied: number;
  skipped: number;
  snapshots: { id: string; status: 'copied' | 'skipped'; newBlobs: number; addedBytes: number; uploadedBytes: number; readBlobs: number }[];
}

const dstOpts = (repo: string) => ({ repo, password: DST_PASSWORD });
const toPassword = { ENVSNAP_TO_PASSWORD: DST_PASSWORD };
const packBytes = async (repo: string) => (await packFiles(repo)).reduce((n, p) => n + p.size, 0);

async function assertCheckClean(repo: string, password: string, what: string, readData = true, env?: Record<string, string>): Promise<void> {
  const r = await runCli(['check', ...(readData ? ['--read-data'] : [])], { repo, password, env });
  assert.equal(r.code, 0, `check of ${what} failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stdout, /no errors found/);
}

/** Restores snapshot `id` from the destination into a new directory under `dir`, compares it with `expected`, and checks the destination with --read-data. */
async function assertDestinationRestores(dir: string, dstRepo: string, id: string, expected: string | Map<string, TreeEntry>, when: string): Promise<void> {
  const target = join(dir, `restore-${id.slice(0, 8)}`);
  await runOk(['snapshot:restore', id, '--target', target], dstOpts(dstRepo));
  await assertTreesEqual(expected, target);
  await assertCheckClean(dstRepo, DST_PASSWORD, `the destination ${when}`);
}

/** A temp dir with an empty source tree `src`, a source repository and a destination repository (its own password). */
async function setup(t: { after(fn: () => unknown): void }) {
  const dir = await tempDir(t);
  const src = join(dir, 'src');
  const srcRepo = join(dir, 'repo');
  const dstRepo = join(dir, 'offsite');
  await mkdir(src);
  await runOk(['init'], { repo: srcRepo });
  await runOk(['init'], dstOpts(dstRepo));
  return { dir, src, srcRepo, dstRepo };
}

describe('envsnap copy', { concurrency: 2 }, () => {
  it('copies to a repository with another password: restorable byte for byte, check clean, re-runs skip, later snapshots send only new data', async (t) => {
    const { dir, src, srcRepo, dstRepo } = await setup(t);
    await makeFixtureTree(src);
    const srcTree = await walkTree(src);
    const first = await runJson<{ snapshotId: string }>(['snapshot:create', '--tag', 'release'], { repo: srcRepo, cwd: src });

    const r1 = await runJson<CopyJson>(['copy', '--to', dstRepo], { repo: srcRepo, env: toPassword });
    assert.equal(r1.copied, 1);
    assert.equal(r1.snapshots[0].id, first.snapshotId);
    assert.ok(r1.snapshots[0].newBlobs > 0);
    const dstList = await runJson<{ id: string; tags?: string[] }[]>(['snapshot:list'], dstOpts(dstRepo));
    assert.deepEqual(
      dstList.map((s) => s.id),
      [first.snapshotId],
    );

    await assertDestinationRestores(dir, dstRepo, first.snapshotId, srcTree, 'after the first copy');
    await assertCheckClean(srcRepo, PASSWORD, 'the source');

    // Again: nothing to do. The destination password from a file this time.
    const pwFile = join(dir, 'offsite-password');
    await writeFile(pwFile, `${DST_PASSWORD}\n`, { mode: 0o600 });
    const before = await packBytes(dstRepo);
    const r2 = await runOk(['copy', '--to', dstRepo, '--to-password-file', pwFile], { repo: srcRepo });
    assert.match(r2.stdout, new RegExp(`^skipped ${first.snapshotId.slice(0, 8)}: already in the destination$`, 'm'));
    assert.match(r2.stdout, /^0 copied, 1 already in /m);
    assert.equal(await packBytes(dstRepo), before, 'a run with nothing to copy wrote packs');

    // A later snapshot with mostly unchanged data: only the new blobs travel.
    await appendFile(join(src, 'small.txt'), 'one more line\n');
    await writeFile(join(src, 'nested', 'added.txt'), 'a new file\n');
    const second = await runJson<{ snapshotId: string; summary: { bytes: number } }>(['snapshot:create'], { repo: srcRepo, cwd: src });
    const r3 = await runOk(['copy', '--to', dstRepo], { repo: srcRepo, env: toPassword });
    assert.match(r3.stdout, new RegExp(`^copied ${second.snapshotId.slice(0, 8)} → ${dstRepo} \\(\\d+ new blobs, .* uploaded\\)$`, 'm'));
    const added = (await packBytes(dstRepo)) - before;
    assert.ok(added < 64 * 1024, `copying a two-file change added ${added} bytes of packs (the tree holds ${second.summary.bytes} bytes)`);
    await assertDestinationRestores(dir, dstRepo, second.snapshotId, src, 'after the second copy');
  });

  it('a copy killed with SIGKILL leaves the destination check-clean without a snapshot, and the next run reuses its packs', async (t) => {
    const { dir, src, srcRepo, dstRepo } = await setup(t);
    const FILES = 8;
    const SIZE = 16 * 1024 * 1024;
    for (let i = 0; i < FILES; i++) await writePseudoRandomFile(join(src, `big-${i}.bin`), SIZE, `copy kill ${i}`);
    const snap = await runJson<{ snapshotId: string }>(['snapshot:create'], { repo: srcRepo, cwd: src });

    const sp = spawnCli(['--json', 'copy', '--to', dstRepo], { repo: srcRepo, env: toPassword });
    if ((await stopWhenSeen(sp, packsWritten(dstRepo, 2), 'two packs in the destination', 120_000)) === 'stopped') sp.child.kill('SIGKILL');
    const killed = await sp.done;
    assert.equal(killed.signal, 'SIGKILL', `the copy finished before it was killed (exit ${killed.code}): the data is too small for this machine\n${killed.stderr}`);
    const left = await packFiles(dstRepo);
    const leftBytes = left.reduce((n, p) => n + p.size, 0);
    t.diagnostic(`the killed copy left ${left.length} pack(s), ${leftBytes} bytes`);

    assert.deepEqual(await runJson<unknown[]>(['snapshot:list'], dstOpts(dstRepo)), [], 'an unfinished copy is listed');
    await assertCheckClean(dstRepo, DST_PASSWORD, 'the destination after the kill', false);

    const resumed = await runJson<CopyJson>(['copy', '--to', dstRepo], { repo: srcRepo, env: toPassword });
    assert.equal(resumed.copied, 1);
    const uploaded = resumed.snapshots[0].uploadedBytes;
    // Random data does not compress: the packs left behind hold about their size of reusable data.
    assert.ok(uploaded <= FILES * SIZE + 1024 * 1024 - 0.9 * leftBytes, `the re-run uploaded ${uploaded} bytes although ${leftBytes} bytes of packs were there`);
    const now = new Set((await packFiles(dstRepo)).map((p) => p.name));
    for (const p of left) assert.ok(now.has(p.name), `pack ${p.name} of the killed run is gone`);
    await assertDestinationRestores(dir, dstRepo, snap.snapshotId, src, 'after the resumed copy');
  });

  it('refuses a wrong destination password (exit 12) and a missing destination (exit 10) with one line', async (t) => {
    const { dir, src, srcRepo, dstRepo } = await setup(t);
    await writeFile(join(src, 'a.txt'), 'a\n');
    await runOk(['snapshot:create'], { repo: srcRepo, cwd: src });

    const wrong = await runCli(['copy', '--to', dstRepo], { repo: srcRepo, env: { ENVSNAP_TO_PASSWORD: 'not it' } });
    assert.equal(wrong.code, 12, wrong.stderr);
    assert.match(oneErrorLine(wrong), /^error: wrong password for the destination repository .*offsite: set ENVSNAP_TO_PASSWORD or use --to-password-file/);
    // Without ENVSNAP_TO_PASSWORD the source password is tried, which is not the destination's.
    const fallback = await runCli(['copy', '--to', dstRepo], { repo: srcRepo });
    assert.equal(fallback.code, 12, fallback.stderr);
    assert.match(oneErrorLine(fallback), /without either, the source password is used/);

    const missing = join(dir, 'nowhere');
    const none = await runCli(['copy', '--to', missing], { repo: srcRepo, env: toPassword });
    assert.equal(none.code, 10, none.stderr);
    assert.match(oneErrorLine(none), new RegExp(`no repository to copy to at ${missing}: create it first with "envsnap init --repo ${missing}"`));
    assert.deepEqual(await runJson<unknown[]>(['snapshot:list'], dstOpts(dstRepo)), []);

    const noTo = await runCli(['copy'], { repo: srcRepo, cwd: dir });
    assert.equal(noTo.code, 1);
    assert.match(oneErrorLine(noTo), /no destination: give --to LOCATION/);
  });

  it('copies local → S3 → local through the same command, each repository with its own password', async (t) => {
    const { dir, src, srcRepo } = await setup(t);
    await writeFile(join(src, 'small.txt'), 'small\n');
    await writePseudoRandomFile(join(src, 'random.bin'), 3 * 1024 * 1024, 'copy s3');
    const s3 = s3Env(await testS3());
    const bucketRepo = `s3://${uniqueBucket()}/offsite`;
    const back = join(dir, 'back');
    await runOk(['init'], { repo: bucketRepo, password: DST_PASSWORD, env: s3 });
    await runOk(['init'], { repo: back, password: 'third password' });
    const snap = await runJson<{ snapshotId: string }>(['snapshot:create'], { repo: srcRepo, cwd: src });

    const up = await runJson<CopyJson>(['copy', '--to', bucketRepo], { repo: srcRepo, env: { ...s3, ...toPassword } });
    assert.equal(up.copied, 1);
    await assertCheckClean(bucketRepo, DST_PASSWORD, 'the bucket', true, s3);
    const down = await runJson<CopyJson>(['copy', '--from', bucketRepo, '--to', back], { password: DST_PASSWORD, env: { ...s3, ENVSNAP_TO_PASSWORD: 'third password' } });
    assert.deepEqual(
      down.snapshots.map((x) => [x.id, x.status]),
      [[snap.snapshotId, 'copied']],
    );
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', snap.snapshotId, '--target', target], { repo: back, password: 'third password' });
    await assertTreesEqual(src, target);
  });

  it("copies an environment's snapshots to its copy_to repository when --to is not given", async (t) => {
    const dir = await tempDir(t);
    await writeShopProject(dir, {
      environment: ['type: production', 'plan: pro', 'policy: { manual: { allowed: true } }', 'copy_to:', '  repository: offsite', '  password_env: OFFSITE_PASSWORD'],
    });
    const env = { OFFSITE_PASSWORD: DST_PASSWORD };
    await runOk(['init'], { cwd: dir });
    await runOk(['init'], { ...dstOpts(join(dir, 'offsite')) });
    const snap = await runJson<{ snapshotId: string }>(['-e', 'production', 'snapshot:create', '--live'], { cwd: dir, env });
    // A manual snapshot is not copied by itself (copy_to acts after automatic ones) …
    assert.deepEqual(await runJson<unknown[]>(['snapshot:list'], dstOpts(join(dir, 'offsite'))), []);
    // … but copy with no --to sends what the copy_to repository lacks.
    const r = await runJson<CopyJson>(['-e', 'production', 'copy'], { cwd: dir, env });
    assert.equal(r.destination, join(dir, 'offsite'));
    assert.deepEqual(
      r.snapshots.map((s) => [s.id, s.status]),
      [[snap.snapshotId, 'copied']],
    );
    const target = join(dir, 'restore');
    // A file restore (no envsnap.yaml in its working directory) of the copy's tree.
    await runOk(['snapshot:restore', snap.snapshotId, '--target', target], { ...dstOpts(join(dir, 'offsite')), cwd: join(dir, 'shop') });
    await assertTreesEqual(join(dir, 'shop', 'var'), join(target, 'files', 'var'));
  });

  it("envsnap.yaml's s3: block reaches the S3 repositories the file names: copy --to and a copy_to destination, with no AWS_* variables", async (t) => {
    const dir = await tempDir(t);
    const info = await testS3();
    const offsite = `s3://${uniqueBucket()}/offsite`;
    await writeShopProject(dir, {
      project: ['repository: repo', 's3:', `  endpoint: ${info.endpoint}`, `  region: ${info.region}`, '  access_key_id_env: SHOP_S3_KEY', '  secret_access_key_env: SHOP_S3_SECRET'],
      environment: ['type: production', 'plan: pro', 'policy: { manual: { allowed: true } }', 'copy_to:', `  repository: ${offsite}`, '  password_env: OFFSITE_PASSWORD'],
    });
    // Nothing from the SDK's standard chain: the endpoint and keys come from envsnap.yaml and the variables it names.
    const noAws = { AWS_ENDPOINT_URL_S3: undefined, AWS_ENDPOINT_URL: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined };
    const env = { ...noAws, SHOP_S3_KEY: info.accessKeyId, SHOP_S3_SECRET: info.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true', HOME: dir, OFFSITE_PASSWORD: DST_PASSWORD };
    await runOk(['init'], { cwd: dir, env });
    await runOk(['init', '--repo', offsite], { cwd: dir, env, password: DST_PASSWORD });

    const first = await runJson<{ snapshotId: string }>(['-e', 'production', 'snapshot:create', '--live'], { cwd: dir, env });
    const viaCopyTo = await runJson<CopyJson>(['-e', 'production', 'copy'], { cwd: dir, env });
    assert.equal(viaCopyTo.destination, offsite);
    assert.deepEqual(viaCopyTo.snapshots.map((s) => [s.id, s.status]), [[first.snapshotId, 'copied']]);

    await appendFile(join(dir, 'shop', 'var', 'data.txt'), 'more shop data\n');
    const second = await runJson<{ snapshotId: string }>(['-e', 'production', 'snapshot:create', '--live'], { cwd: dir, env });
    // The same bucket written another way (trailing slash) is still the repository the file names.
    const viaTo = await runJson<CopyJson>(['copy', '--from', join(dir, 'repo'), '--to', `${offsite}/`], { cwd: dir, env: { ...env, ...toPassword } });
    assert.deepEqual(viaTo.snapshots.filter((s) => s.status === 'copied').map((s) => s.id), [second.snapshotId]);

    const listed = await runJson<{ id: string }[]>(['--repo', offsite, 'snapshot:list'], { cwd: dir, env, password: DST_PASSWORD });
    assert.deepEqual(listed.map((s) => s.id).sort(), [first.snapshotId, second.snapshotId].sort());
    const target = join(dir, 'restore');
    await runOk(['--repo', offsite, 'snapshot:restore', second.snapshotId, '--target', target], { cwd: join(dir, 'shop'), env: { ...env, ...s3Env(info) }, password: DST_PASSWORD });
    await assertTreesEqual(join(dir, 'shop', 'var'), join(target, 'files', 'var'));
  });
});
