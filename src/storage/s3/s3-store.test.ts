/**
 * S3Store against the BlobStore contract on a real S3 server (Swift with s3api, see
 * testing/servers.ts), plus what only S3 has: the stored SHA-256 checked on reads, multipart
 * uploads (streamed, aborted, swept by removeStaleTemp), listings longer than one page, and errors as a user meets them — refused
 * credentials, a missing bucket, an endpoint that does not answer. Each test works in a bucket of its own.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../../core/async.ts';
import { isEnvsnapError } from '../../core/errors.ts';
import { describeBlobStore } from '../../testing/blob-store-contract.ts';
import { testS3Client } from '../../testing/s3-test-client.ts';
import { freePort, testS3, uniqueBucket, type S3Info } from '../../testing/servers.ts';
import { Names } from '../blob-store.ts';
import { S3Store, type S3StoreOptions } from './s3-store.ts';

function storeOn(info: S3Info, url: string, opts: S3StoreOptions = {}, secret = info.secretAccessKey): S3Store {
  return new S3Store(url, {
    env: { AWS_ENDPOINT_URL_S3: info.endpoint },
    ...opts,
    client: { region: info.region, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: secret }, ...opts.client },
  });
}

type Test = { after(fn: () => unknown): void };

/** A store on the test server, closed after the test. */
function storeFor(t: Test, info: S3Info, url: string, opts: S3StoreOptions = {}, secret?: string): S3Store {
  const store = storeOn(info, url, opts, secret);
  t.after(() => store.destroy());
  return store;
}

/** A plain client of the test server, closed after the test. */
function rawFor(t: Test, info: S3Info): S3Client {
  const raw = testS3Client(info);
  t.after(() => raw.destroy());
  return raw;
}

async function names(items: AsyncIterable<{ name: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const i of items) out.push(i.name);
  return out.sort();
}

const MiB = 1024 * 1024;

describeBlobStore('S3Store', async () => {
  const info = await testS3();
  const store = storeOn(info, `s3://${uniqueBucket()}/repo/one`);
  return { store, cleanup: async () => store.destroy() };
});

describe('S3Store on a real S3 server', () => {
  it('keeps objects under the prefix and names the location without credentials', async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const a = storeFor(t, info, `s3://${bucket}/shop/prod/`);
    const b = storeFor(t, info, `s3://${bucket}/shop/stage`);
    assert.equal(a.location, `s3://${bucket}/shop/prod`);
    await a.create();
    await b.create();
    assert.equal(a.bucketCreated, true, 'the first create made the bucket');
    assert.equal(b.bucketCreated, false, 'the second found it');
    await a.put(Names.config, Buffer.from('a'));
    await b.put(Names.config, Buffer.from('b'));
    assert.deepEqual(await names(a.list('')), ['config']);
    assert.equal((await b.get(Names.config)).toString(), 'b');
    const res = await rawFor(t, info).send(new GetObjectCommand({ Bucket: bucket, Key: 'shop/prod/config' }));
    assert.equal(await res.Body!.transformToString(), 'a');
  });

  it('lists more keys than one page holds (1,100 under a prefix) each exactly once', async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const store = storeFor(t, info, `s3://${bucket}/repo`);
    await store.create();
    const want = Array.from({ length: 1100 }, (_, i) => `data/${String(i).padStart(4, '0')}`);
    await mapLimit(want, 32, (name) => store.put(name, Buffer.from(name)));
    await store.put('index/outside-the-prefix', Buffer.from('x'));
    const firstPage = await rawFor(t, info).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'repo/data/' }));
    assert.equal(firstPage.IsTruncated, true, 'the server answers in more than one page');
    const listed: string[] = [];
    for await (const o of store.list('data/')) listed.push(o.name);
    assert.equal(listed.length, want.length, 'every key once, none twice');
    assert.deepEqual(listed.sort(), want);
  });

  it('rejects a whole-object read whose bytes do not match the stored SHA-256 with CORRUPT', async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const store = storeFor(t, info, `s3://${bucket}`);
    const raw = rawFor(t, info);
    await store.create();
    await store.put(Names.index('i1'), randomBytes(1000));
    const head = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: 'index/i1' }));
    const sha256 = head.Metadata?.sha256;
    assert.match(sha256 ?? '', /^[0-9a-f]{64}$/, 'put stores the SHA-256 as x-amz-meta-sha256');
    // what bit rot or tampering on the server looks like: other bytes under the old hash
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'index/i1', Body: randomBytes(1000), Metadata: { sha256: sha256! } }));
    await assert.rejects(store.get(Names.index('i1')), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'CORRUPT'), String(err));
      assert.match(err.message, /index\/i1/);
      return true;
    });
  });

  it('streams an object in parts through openWriter and puts large objects in parts, hash included', async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const store = storeFor(t, info, `s3://${bucket}/r`, { partSize: 5 * MiB });
    const raw = rawFor(t, info);
    await store.create();
    const streamed = randomBytes(12 * MiB + 77);
    const w = await store.openWriter(Names.pack('aa'));
    for (let i = 0; i < streamed.length; i += MiB) await w.append([streamed.subarray(i, Math.min(streamed.length, i + MiB))]);
    assert.equal(await store.stat(Names.pack('aa')), undefined, 'nothing is visible before commit');
    await w.commit();
    assert.ok((await store.get(Names.pack('aa'))).equals(streamed));
    assert.ok((await store.getRange(Names.pack('aa'), 5 * MiB - 3, 10)).equals(streamed.subarray(5 * MiB - 3, 5 * MiB + 7)), 'a range across parts');

    const big = randomBytes(11 * MiB);
    await store.put(Names.pack('bb'), big);
    const res = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: 'r/data/bb' }));
    assert.match(res.Metadata?.sha256 ?? '', /^[0-9a-f]{64}$/);
    await res.Body!.transformToByteArray();
    assert.ok((await store.get(Names.pack('bb'))).equals(big));

    // A streamed object that stays below one part (every pack of a bucket) goes in one PUT, hash included; one past a part carries none.
    const small = await store.openWriter(Names.pack('dd'));
    await small.append([randomBytes(3 * MiB)]);
    await small.commit();
    const sha = async (key: string) => (await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata?.sha256;
    assert.match((await sha('r/data/dd')) ?? '', /^[0-9a-f]{64}$/);
    assert.equal(await sha('r/data/aa'), undefined);

    const dropped = await store.openWriter(Names.pack('cc'));
    await dropped.append(randomBytes(6 * MiB));
    await dropped.abort();
    await dropped.abort();
    assert.equal(await store.stat(Names.pack('cc')), undefined);
    const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual(uploads.Uploads ?? [], [], 'no upload is left behind');
  });

  it('removeStaleTemp aborts only uploads older than the limit, under its own prefix', async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const store = storeFor(t, info, `s3://${bucket}/mine`);
    const raw = rawFor(t, info);
    await store.create();
    for (const Key of ['mine/data/x1', 'mine/data/x2', 'other/data/x3']) await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    assert.equal(await store.removeStaleTemp(3600_000, Date.now()), 0, 'young uploads may belong to a running snapshot');
    assert.equal(await store.removeStaleTemp(3600_000, Date.now() + 2 * 3600_000), 2);
    const left = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual((left.Uploads ?? []).map((u) => u.Key), ['other/data/x3']);
  });

  it('tells a missing bucket from an empty location, and names the bucket when it is missing', async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    const store = storeFor(t, info, `s3://${bucket}/p`);
    assert.equal(await store.exists(), false);
    for (const attempt of [() => store.checkBucket(), () => store.get(Names.config)]) {
      await assert.rejects(attempt(), (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'NO_REPOSITORY'), String(err));
        assert.match(err.message, new RegExp(`bucket ${bucket} does not exist`));
        assert.match(err.message, new RegExp(`envsnap init --repo s3://${bucket}/p`));
        return true;
      });
    }
    await store.create();
    assert.equal(await store.exists(), true);
    await store.checkBucket();
    assert.deepEqual(await names(store.list('')), []);
  });

  it('refuses wrong credentials with STORAGE_DENIED naming the bucket, never the secret', async (t) => {
    const info = await testS3();
    const bucket = uniqueBucket();
    await storeFor(t, info, `s3://${bucket}`).create();
    const secret = 'not-the-secret-' + randomBytes(6).toString('hex');
    const bad = storeFor(t, info, `s3://${bucket}`, {}, secret);
    for (const attempt of [() => bad.exists(), () => bad.get(Names.config), () => bad.put(Names.config, Buffer.from('x')), () => names(bad.list(''))]) {
      await assert.rejects(attempt(), (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'STORAGE_DENIED'), String(err));
        assert.match(err.message, new RegExp(`bucket ${bucket}`));
        assert.match(err.message, /credentials/);
        assert.doesNotMatch(err.message, new RegExp(secret));
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
  });

  it('reports an endpoint that does not answer as IO naming the endpoint', async (t) => {
    const info = await testS3();
    const port = await freePort();
    const store = storeFor(t, { ...info, endpoint: `http://127.0.0.1:${port}` }, `s3://${uniqueBucket()}`, { settings: { maxAttempts: 2 } });
    await assert.rejects(store.exists(), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'IO'), String(err));
      assert.match(err.message, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });
});
