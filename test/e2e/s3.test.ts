/**
 * End to end on S3: the real CLI against a real S3 server (Swift with s3api, see
 * src/testing/servers.ts) with `--repo s3://BUCKET/PREFIX` / ENVSNAP_REPO and the SDK's standard
 * environment variables. init creates the bucket; a file tree survives snapshot → restore byte for
 * byte with its metadata; check --read-data is clean; refused credentials, missing permissions
 * (list, write, delete) and a missing bucket fail with one clear line naming the bucket and their exit
 * codes, and lose nothing; envsnap.yaml's s3: block (endpoint, key variables, profile, path_style)
 * is honoured. Then the fault a remote store adds: the S3 server
 * killed in the middle of a ~100 MB upload — the next snapshot resumes (takes over the packs already
 * stored instead of uploading them again) and completes, check is clean, and every listed snapshot
 * restores.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startRefusingProxy } from '../../src/testing/s3-proxy.ts';
import { testS3Client } from '../../src/testing/s3-test-client.ts';
import { s3Env, startSwift, SWIFT_READER, testS3, uniqueBucket, type S3Info } from '../../src/testing/servers.ts';
import {
  assertTreesEqual,
  makeFixtureTree,
  oneErrorLine,
  pseudoRandom,
  runCli,
  runJson,
  runOk,
  spawnCli,
  tempDir,
  waitFor,
  writePseudoRandomFile,
  writeShopProject,
} from './helpers.ts';

interface CreateJson {
  snapshotId: string;
  partial: boolean;
  summary: { bytes: number; storedBytes: number };
}

// The tests are independent (a bucket each, the fault test its own server): run them side by side.
describe('an S3 repository through the CLI', { concurrency: true }, () => {
  it('init creates the bucket; a file tree restores byte for byte; check --read-data is clean', async (t) => {
    const info = await testS3();
    const env = s3Env(info);
    const bucket = uniqueBucket();
    const repo = `s3://${bucket}/shop/prod`;
    const dir = await tempDir(t);
    const src = join(dir, 'src');
    await mkdir(src);
    await makeFixtureTree(src);

    const init = await runOk(['--repo', repo, 'init'], { env });
    assert.match(init.stderr, new RegExp(`created bucket ${bucket} at ${info.endpoint.replaceAll('.', '\\.')}`));
    assert.match(init.stdout, new RegExp(`created repository \\w+ at s3://${bucket}/shop/prod\\n`));
    const again = await runCli(['--repo', repo, 'init'], { env });
    assert.equal(again.code, 1);
    assert.match(oneErrorLine(again), /already holds an envsnap repository/);

    const created = await runJson<CreateJson>(['snapshot:create'], { repo, env, cwd: src });
    assert.equal(created.partial, false);
    const listed = await runJson<{ id: string }[]>(['snapshot:list'], { repo, env });
    assert.deepEqual(
      listed.map((s) => s.id),
      [created.snapshotId],
    );

    const target = join(dir, 'restore');
    await runOk(['--repo', repo, 'snapshot:restore', created.snapshotId, '--target', target], { env });
    await assertTreesEqual(src, target);

    const check = await runOk(['check', '--read-data'], { repo, env });
    assert.match(check.stdout, /no errors found/);
  });

  it('refused credentials: one line naming the bucket, exit code 13, no secret', async () => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const repo = `s3://${bucket}/r`;
    await runOk(['init'], { repo, env: s3Env(info) });
    const secret = 'wrong-secret-0123456789';
    for (const args of [['snapshot:list'], ['snapshot:create', '.']]) {
      const r = await runCli(args, { repo, env: { ...s3Env(info), AWS_SECRET_ACCESS_KEY: secret } });
      assert.equal(r.code, 13, `envsnap ${args.join(' ')}: ${r.stderr}`);
      const line = oneErrorLine(r);
      assert.match(line, new RegExp(`bucket ${bucket}`));
      assert.match(line, /credentials were refused/);
      assert.doesNotMatch(r.stderr + r.stdout, new RegExp(secret));
    }
  });

  it('a user without access to the bucket: list and writes refused with exit code 13 naming the bucket; nothing changes', async () => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const repo = `s3://${bucket}/r`;
    await runOk(['init'], { repo, env: s3Env(info) });
    const before = await objectKeys(info, bucket);
    const reader = { ...s3Env(info), AWS_ACCESS_KEY_ID: SWIFT_READER.accessKeyId, AWS_SECRET_ACCESS_KEY: SWIFT_READER.secretAccessKey };
    for (const args of [['snapshot:list'], ['snapshot:create', '.'], ['prune']]) {
      const r = await runCli(args, { repo, env: reader });
      assert.equal(r.code, 13, `envsnap ${args.join(' ')}: ${r.stderr}`);
      assert.match(oneErrorLine(r), new RegExp(`bucket ${bucket}`));
    }
    assert.deepEqual(await objectKeys(info, bucket), before);
  });

  it('a user who may read but not write or delete: listing works; snapshot, prune and restore (which locks) are refused with exit code 13; nothing changes', async (t) => {
    const { info, bucket, repo, dir, src } = await bucketAndSource(t);
    await writeFile(join(src, 'a.txt'), 'readable\n');
    await runOk(['init'], { repo, env: s3Env(info) });
    await runOk(['snapshot:create'], { repo, env: s3Env(info), cwd: src });
    await grantSwiftRead(info, bucket, SWIFT_READER.accessKeyId);
    const before = await objectKeys(info, bucket);
    const reader = { ...s3Env(info), AWS_ACCESS_KEY_ID: SWIFT_READER.accessKeyId, AWS_SECRET_ACCESS_KEY: SWIFT_READER.secretAccessKey, ENVSNAP_CACHE_DIR: 'off' };
    assert.equal((await runJson<unknown[]>(['snapshot:list'], { repo, env: reader })).length, 1);
    for (const args of [['snapshot:create', '.'], ['prune'], ['snapshot:restore', 'latest', '--target', join(dir, 'out')]]) {
      const r = await runCli(args, { repo, env: reader, cwd: src });
      assert.equal(r.code, 13, `envsnap ${args.join(' ')}: ${r.stderr}`);
      const line = oneErrorLine(r);
      assert.match(line, new RegExp(`bucket ${bucket}`));
      assert.doesNotMatch(line, new RegExp(SWIFT_READER.secretAccessKey));
    }
    assert.deepEqual(await objectKeys(info, bucket), before, 'a refused write or delete leaves the bucket as it was');
  });

  it('a user who may write but not delete: snapshot:delete and prune are refused with exit code 13 naming the bucket; nothing is lost', async (t) => {
    const { info, bucket, repo, dir, src } = await bucketAndSource(t);
    const env = { ...s3Env(info), ENVSNAP_CACHE_DIR: 'off' };
    await runOk(['init'], { repo, env });
    const snapshots: string[] = [];
    // Each snapshot holds one file of its own.
    for (let i = 0; i < 3; i++) {
      if (i > 0) await rm(join(src, `f${i - 1}.bin`));
      await writePseudoRandomFile(join(src, `f${i}.bin`), 200_000, `no delete ${i}`);
      snapshots.push((await runJson<CreateJson>(['snapshot:create', '.'], { repo, env, cwd: src })).snapshotId);
    }
    // Data only the first snapshot holds, for prune to delete.
    await runOk(['snapshot:delete', snapshots[0]], { repo, env });
    const before = await objectKeys(info, bucket);

    // S3 would answer such a user's DELETEs with AccessDenied; Swift's ACLs cannot say "write but not delete", so a proxy does.
    const proxy = await startRefusingProxy(info.endpoint, (method) => method === 'DELETE');
    t.after(() => proxy.close());
    const writer = { ...env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
    for (const args of [['snapshot:delete', snapshots[1]], ['prune']]) {
      const r = await runCli(args, { repo, env: writer });
      assert.equal(r.code, 13, `envsnap ${args.join(' ')}: ${r.stderr}`);
      const line = oneErrorLine(r);
      assert.match(line, new RegExp(`denied access to bucket ${bucket} \\(AccessDenied\\) to delete`));
    }
    assert.ok(proxy.refused.length > 0);

    const after = new Set((await objectKeys(info, bucket)).map((o) => `${o.key} ${o.size}`));
    assert.deepEqual(before.filter((o) => !after.has(`${o.key} ${o.size}`)), [], 'every object is still there');
    const listed = await runJson<{ id: string }[]>(['snapshot:list'], { repo, env });
    assert.deepEqual(listed.map((s) => s.id).sort(), snapshots.slice(1).sort());
    assert.match((await runOk(['check', '--read-data'], { repo, env })).stdout, /no errors found/);
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', snapshots[2], '--target', target], { repo, env });
    await assertTreesEqual(src, target);
  });

  it("a prefix holding another tool's data: init refuses it, other commands say it is not an envsnap repository; nothing is touched", async () => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const client = testS3Client(info);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of ['other/config', 'other/keys/0123abcd', 'other/data/01/0123abcd', 'other/snapshots/89ab']) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(`not envsnap: ${key}`) }));
    }
    const before = await objectKeys(info, bucket);
    const repo = `s3://${bucket}/other`;
    const init = await runCli(['init'], { repo, env: s3Env(info) });
    assert.equal(init.code, 1);
    assert.match(oneErrorLine(init), new RegExp(`s3://${bucket}/other is not empty`));
    for (const args of [['snapshot:list'], ['snapshot:create', '.'], ['prune'], ['check']]) {
      const r = await runCli(args, { repo, env: s3Env(info) });
      assert.equal(r.code, 10, `envsnap ${args.join(' ')}: ${r.stderr}`);
      assert.match(oneErrorLine(r), /is not an envsnap repository/);
    }
    assert.deepEqual(await objectKeys(info, bucket), before);
  });

  it("envsnap.yaml's s3: block gives the endpoint and names the variables holding the keys", async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const dir = await tempDir(t);
    await writeShopProject(dir, {
      project: [`repository: s3://${bucket}/shop`, 's3:', `  endpoint: ${info.endpoint}`, `  region: ${info.region}`, '  access_key_id_env: SHOP_S3_KEY', '  secret_access_key_env: SHOP_S3_SECRET'],
    });
    // No AWS_* variables at all: everything comes from envsnap.yaml and the two named variables.
    const env = { SHOP_S3_KEY: info.accessKeyId, SHOP_S3_SECRET: info.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true', HOME: dir };
    await runOk(['init'], { cwd: dir, env });
    const snap = await runJson<CreateJson>(['-e', 'production', 'snapshot:create', '--live'], { cwd: dir, env });
    const listed = await runJson<{ id: string }[]>(['snapshot:list'], { cwd: dir, env });
    assert.deepEqual(listed.map((x) => x.id), [snap.snapshotId]);
    const missing = await runCli(['snapshot:list'], { cwd: dir, env: { ...env, SHOP_S3_SECRET: undefined } });
    assert.equal(missing.code, 20, missing.stderr);
    assert.match(oneErrorLine(missing), /environment variable SHOP_S3_SECRET \(s3\.secret_access_key_env in envsnap\.yaml\) is not set/);
    assert.doesNotMatch(missing.stderr, new RegExp(info.secretAccessKey));
  });

  it("envsnap.yaml's s3: block: profile: takes the keys from the shared credentials file; path_style: decides the addressing", async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const dir = await tempDir(t);
    await mkdir(join(dir, 'aws'));
    await writeFile(join(dir, 'aws', 'credentials'), `[shop]\naws_access_key_id = ${info.accessKeyId}\naws_secret_access_key = ${info.secretAccessKey}\n`);
    await writeFile(join(dir, 'aws', 'config'), `[profile shop]\nregion = ${info.region}\n`);
    // localhost, not an IP: path-style by default, so path_style: false really asks for bucket.localhost.
    const endpoint = info.endpoint.replace('127.0.0.1', 'localhost');
    const project = (pathStyle: string, profile = 'shop') => writeShopProject(dir, { project: [`repository: s3://${bucket}/shop`, 's3:', `  endpoint: ${endpoint}`, `  profile: ${profile}`, `  path_style: ${pathStyle}`] });
    // No keys in the environment: only the files (and not the default profile in them).
    const env = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws', 'credentials'), AWS_CONFIG_FILE: join(dir, 'aws', 'config'), AWS_EC2_METADATA_DISABLED: 'true', HOME: dir };
    await project('true');
    await runOk(['init'], { cwd: dir, env });
    const snap = await runJson<CreateJson>(['-e', 'production', 'snapshot:create', '--live'], { cwd: dir, env });
    assert.deepEqual((await runJson<{ id: string }[]>(['snapshot:list'], { cwd: dir, env })).map((x) => x.id), [snap.snapshotId]);

    await project('false');
    const virtualHosted = await runCli(['snapshot:list'], { cwd: dir, env });
    assert.notEqual(virtualHosted.code, 0, 'path_style: false addresses bucket.localhost, which this server does not answer');
    assert.match(oneErrorLine(virtualHosted), new RegExp(`bucket ${bucket}`));

    await project('true', 'nobody');
    const noProfile = await runCli(['snapshot:list'], { cwd: dir, env });
    assert.notEqual(noProfile.code, 0, 'a profile the files lack has no keys');
    assert.match(oneErrorLine(noProfile), new RegExp(`bucket ${bucket}`));
  });

  it('a missing bucket: commands other than init say so and how to create it, exit code 10', async () => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const r = await runCli(['snapshot:list'], { repo: `s3://${bucket}/r`, env: s3Env(info) });
    assert.equal(r.code, 10, r.stderr);
    const line = oneErrorLine(r);
    assert.match(line, new RegExp(`bucket ${bucket} does not exist`));
    assert.match(line, new RegExp(`envsnap init --repo s3://${bucket}/r`));
    const other = await runCli(['--repo', 'ftp://example/r', 'snapshot:list'], { env: s3Env(info) });
    assert.equal(other.code, 1);
    assert.match(oneErrorLine(other), /unsupported scheme/);
  });

  it('the S3 server killed in the middle of an upload: that snapshot fails naming the endpoint and the bucket; the next one resumes with the packs already stored and completes, check is clean, every listed snapshot restores', async (t) => {
    // A private server: killing the shared one would break the other tests.
    const swift = await startSwift();
    t.after(() => swift.stop());
    // Few attempts, so the run fails soon after the server goes away instead of retrying for seconds.
    const env = { ...s3Env(swift.info), AWS_MAX_ATTEMPTS: '2' };
    const bucket = uniqueBucket();
    const repo = `s3://${bucket}/repo`;
    const dir = await tempDir(t);
    const src = join(dir, 'src');
    await mkdir(join(src, 'small'), { recursive: true });
    for (let i = 0; i < 5; i++) await writePseudoRandomFile(join(src, `big${i}.bin`), 20 * 1024 * 1024, `s3 big ${i}`);
    for (let i = 0; i < 200; i++) await writeFile(join(src, 'small', `f${i}.bin`), pseudoRandom(1000 + i * 37, `s3 small ${i}`));
    await runOk(['init'], { repo, env });

    const raw = testS3Client(swift.info);
    t.after(() => raw.destroy());
    const first = spawnCli(['snapshot:create', '.'], { repo, env, cwd: src });
    // Mid-upload: the first pack is stored (the data is ~100 MB, several packs of up to 30 MiB).
    await waitFor(async () => ((await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'repo/data/' }))).KeyCount ?? 0) > 0, 'the first pack', 60_000, 20);
    await swift.killProxy();
    const failed = await first.done;
    assert.equal(failed.code, 1, `the snapshot survived the server going away:\n${failed.stderr}`);
    const gone = oneErrorLine(failed);
    assert.match(gone, new RegExp(`cannot reach the S3 endpoint ${swift.info.endpoint.replaceAll('.', '\\.')}`));
    assert.match(gone, new RegExp(`in bucket ${bucket} \\(s3://${bucket}/repo\\)`));

    await swift.startProxy();
    const left = await objectKeys(swift.info, bucket, 'repo/data/');
    const leftBytes = left.reduce((n, o) => n + o.size, 0);
    const second = await runJson<CreateJson>(['snapshot:create', '.'], { repo, env, cwd: src });
    assert.equal(second.partial, false);
    // It resumes: the packs the killed run stored are taken over, not uploaded again.
    assert.ok(
      second.summary.storedBytes <= second.summary.bytes - leftBytes + second.summary.bytes / 100,
      `the rerun stored ${second.summary.storedBytes} bytes of ${second.summary.bytes}, though ${leftBytes} were already there`,
    );
    const after = new Set((await objectKeys(swift.info, bucket, 'repo/data/')).map((o) => o.key));
    assert.ok(left.every((o) => after.has(o.key)), 'the packs left behind are kept');

    const check = await runOk(['check'], { repo, env });
    assert.match(check.stdout, /no errors found/);
    const listed = await runJson<{ id: string }[]>(['snapshot:list'], { repo, env });
    assert.deepEqual(
      listed.map((s) => s.id),
      [second.snapshotId],
      'the interrupted snapshot is not listed',
    );
    for (const s of listed) {
      const target = join(dir, `restore-${s.id}`);
      await runOk(['snapshot:restore', s.id, '--target', target], { repo, env });
      await assertTreesEqual(src, target);
    }
  });
});

/** A new bucket name on the shared test server with its repository location, and an empty source folder. */
async function bucketAndSource(t: { after(fn: () => unknown): void }) {
  const info = await testS3();
  const bucket = uniqueBucket();
  const dir = await tempDir(t);
  const src = join(dir, 'src');
  await mkdir(src);
  return { info, bucket, repo: `s3://${bucket}/r`, dir, src };
}

/** Every object key of the bucket (under `prefix`) with its size, sorted. */
async function objectKeys(info: S3Info, bucket: string, prefix?: string): Promise<{ key: string; size: number }[]> {
  const client = testS3Client(info);
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    token = page.NextContinuationToken;
  } while (token);
  client.destroy();
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** Lets `user` read (and list) the bucket through Swift's own API: a container read ACL, set by the admin test user. */
async function grantSwiftRead(info: S3Info, bucket: string, user: string): Promise<void> {
  const auth = await fetch(`${info.endpoint}/auth/v1.0`, { headers: { 'X-Storage-User': info.accessKeyId, 'X-Storage-Pass': info.secretAccessKey } });
  assert.equal(auth.status, 200, 'tempauth login');
  const token = auth.headers.get('x-auth-token')!;
  const storage = auth.headers.get('x-storage-url')!;
  const res = await fetch(`${storage}/${bucket}`, { method: 'POST', headers: { 'X-Auth-Token': token, 'X-Container-Read': `${user},.rlistings` } });
  assert.ok(res.status === 204 || res.status === 202, `setting the read ACL: ${res.status}`);
}
