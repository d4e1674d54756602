/** MultipartWriter against fake S3 calls: part cutting, bounded parts in flight, single PUT for small objects, abort on every failure. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MultipartWriter, type CompletedPart, type MultipartCalls } from './multipart-writer.ts';

class FakeS3 implements MultipartCalls {
  log: string[] = [];
  parts = new Map<number, Buffer>();
  object: Buffer | undefined;
  metadata: Record<string, string> | undefined;
  running = 0;
  maxRunning = 0;
  failPart: number | undefined;
  failComplete = false;

  async createUpload(metadata: Record<string, string> | undefined): Promise<string> {
    this.log.push('create');
    this.metadata = metadata;
    return 'upload-1';
  }
  async uploadPart(uploadId: string, n: number, body: Buffer): Promise<string> {
    assert.equal(uploadId, 'upload-1');
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((r) => setTimeout(r, 5));
    this.running--;
    if (n === this.failPart) throw new Error(`part ${n} failed`);
    this.log.push(`part ${n}`);
    this.parts.set(n, Buffer.from(body));
    return `etag-${n}`;
  }
  async completeUpload(_id: string, parts: CompletedPart[]): Promise<void> {
    if (this.failComplete) throw new Error('complete failed');
    this.log.push(`complete ${parts.map((p) => p.ETag).join(',')}`);
    this.object = Buffer.concat(parts.map((p) => this.parts.get(p.PartNumber)!));
  }
  async abortUpload(): Promise<void> {
    this.log.push('abort');
  }
  async putObject(body: Buffer): Promise<void> {
    this.log.push('put');
    this.object = Buffer.from(body);
  }
}

const opts = { partSize: 1000, partsInFlight: 2 };

describe('MultipartWriter', () => {
  it('sends an object that never fills a part as one PUT, empty ones too', async () => {
    for (const size of [0, 1, 999]) {
      const s3 = new FakeS3();
      const w = new MultipartWriter(s3, opts);
      const data = randomBytes(size);
      await w.append([data.subarray(0, size >> 1), data.subarray(size >> 1)]);
      await w.commit();
      assert.deepEqual(s3.log, ['put']);
      assert.ok(s3.object!.equals(data));
    }
  });

  it('cuts parts of exactly partSize from appends of any shape and completes them in order', async () => {
    const s3 = new FakeS3();
    const w = new MultipartWriter(s3, { ...opts, metadata: { sha256: 'abc' } });
    const data = randomBytes(4321);
    for (let i = 0; i < data.length; i += 333) await w.append(data.subarray(i, i + 333));
    await w.commit();
    assert.equal(s3.log[0], 'create');
    assert.equal(s3.log.at(-1), 'complete etag-1,etag-2,etag-3,etag-4,etag-5');
    assert.deepEqual([...s3.parts.values()].map((p) => p.length).sort(), [1000, 1000, 1000, 1000, 321].sort());
    assert.ok(s3.object!.equals(data));
    assert.deepEqual(s3.metadata, { sha256: 'abc' });
    assert.ok(s3.maxRunning <= 2, `at most 2 parts in flight, saw ${s3.maxRunning}`);
  });

  it('copies appended bytes: the caller may reuse its buffer once append resolves', async () => {
    const s3 = new FakeS3();
    const w = new MultipartWriter(s3, opts);
    const buf = Buffer.alloc(600, 1);
    await w.append(buf);
    buf.fill(2);
    await w.append(buf);
    await w.commit();
    assert.ok(s3.object!.equals(Buffer.concat([Buffer.alloc(600, 1), Buffer.alloc(600, 2)])));
  });

  it('aborts the upload when a part fails, and reports that failure', async () => {
    const s3 = new FakeS3();
    s3.failPart = 2;
    const w = new MultipartWriter(s3, opts);
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 10; i++) await w.append(randomBytes(1000));
        await w.commit();
      })(),
      /part 2 failed/,
    );
    assert.equal(s3.log.at(-1), 'abort');
    assert.equal(s3.object, undefined);
    await w.abort();
    assert.equal(s3.log.filter((l) => l === 'abort').length, 1, 'abort after a failure does nothing more');
  });

  it('aborts when completing fails', async () => {
    const s3 = new FakeS3();
    s3.failComplete = true;
    const w = new MultipartWriter(s3, opts);
    await w.append(randomBytes(2500));
    await assert.rejects(w.commit(), /complete failed/);
    assert.equal(s3.log.at(-1), 'abort');
  });

  it('abort drops everything, waits for parts in flight, and is idempotent; a committed writer is not aborted', async () => {
    const s3 = new FakeS3();
    const w = new MultipartWriter(s3, opts);
    await w.append(randomBytes(2500));
    await w.abort();
    await w.abort();
    assert.deepEqual(s3.log, ['create', 'part 1', 'part 2', 'abort']);
    await assert.rejects(w.append(randomBytes(1)), /already committed or aborted/);

    const done = new FakeS3();
    const c = new MultipartWriter(done, opts);
    await c.append(randomBytes(1500));
    await c.commit();
    await c.abort();
    assert.equal(done.log.includes('abort'), false);
  });
});
