/**
 * S3Store: a BlobStore in an S3 bucket (AWS or any S3-compatible server) under a key prefix, for
 * `s3://BUCKET/PREFIX` locations. Object names map to keys directly: `data/<id>` is the key
 * `PREFIX/data/<id>` (S3 needs no sharding).
 *
 * - Credentials and region come from the SDK's standard chain (environment, shared files, profile;
 *   region us-east-1 when none is configured); endpoint, path-style addressing, parallelism and
 *   attempts from s3-settings.ts.
 * - Only plain PUT, GET (ranged), HEAD, LIST, DELETE and multipart uploads are used: no conditional
 *   writes, no batch delete, no newer checksum headers, so older S3-compatible servers work.
 * - Integrity: every PUT and uploaded part carries Content-MD5 (the server refuses a damaged body);
 *   objects whose bytes are known before the upload — everything sent in one PUT, streamed packs
 *   included (they stay below one part), and objects given whole — carry their SHA-256 as
 *   `x-amz-meta-sha256`, which every whole-object get checks (CORRUPT on mismatch). Objects streamed
 *   past one part carry none and are authenticated blob by blob by the repository's encryption.
 *   See docs/FORMAT.md.
 * - Large objects go up as multipart uploads (MultipartWriter), aborted on failure.
 * - Retries live in the SDK client (retry-strategy.ts); errors are mapped in s3-errors.ts.
 * - At most `concurrency` requests are in flight per store (a semaphore around every call).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type BucketLocationConstraint,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Semaphore } from '../../core/async.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { blobDataBytes, blobDataLength, type BlobData, type BlobInfo, type BlobStore, type BlobWriter } from '../blob-store.ts';
import { MultipartWriter, type CompletedPart, type MultipartCalls } from './multipart-writer.ts';
import { SHA256_METADATA, payloadSha256, sha256Hex, uploadDigests } from './object-digest.ts';
import { BackoffRetryStrategy, DEFAULT_RETRY_POLICY, backoffDelay, type RetryPolicy } from './retry-strategy.ts';
import { isMissingObject, isNetworkError, httpStatus, mapS3Error, missingBucket } from './s3-errors.ts';
import { readBody, type ResponseBody } from './read-body.ts';
import { formatS3Location, parseS3Url } from './s3-location.ts';
import { describeEndpoint, resolveS3Settings, type S3Settings } from './s3-settings.ts';

/** Region when the standard chain names none (AWS_REGION, the profile's `region`). */
export const DEFAULT_REGION = 'us-east-1';
/**
 * Objects above this go up in parts of this size. Packs (never above their target size) stay below
 * it and go up in one PUT: one request instead of a multipart upload's four.
 */
export const DEFAULT_PART_SIZE = 32 * 1024 * 1024;
/**
 * Target pack size of a repository created in a bucket: about twice the local one, so a snapshot
 * and a restore need half the requests, while a pack still goes up in one PUT (below
 * DEFAULT_PART_SIZE) and comes back in one read window of a restore.
 */
export const S3_PACK_SIZE = 30 * 1024 * 1024;
/** S3's smallest part (but the last). */
const MIN_PART_SIZE = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

export interface S3StoreOptions {
  /** Where settings are read from (default process.env); the SDK's own chain still reads process.env and the shared files. */
  env?: Record<string, string | undefined>;
  /** Overrides of the settings from `env`. */
  settings?: Partial<S3Settings>;
  /** Overrides of the SDK client configuration (tests: explicit credentials and region). */
  client?: S3ClientConfig;
  partSize?: number;
}

export class S3Store implements BlobStore {
  readonly location: string;
  readonly bucket: string;
  /** Key prefix: "" or ending with "/". */
  readonly prefix: string;
  /** The endpoint as messages show it (no user info). */
  readonly endpoint: string;
  readonly settings: S3Settings;
  readonly preferredPackSize = S3_PACK_SIZE;
  /** Whether create() made the bucket (init reports it). */
  bucketCreated = false;
  private readonly client: S3Client;
  private readonly slots: Semaphore;
  private readonly partSize: number;
  private readonly retry: RetryPolicy;
  private region: Promise<string> | undefined;

  constructor(url: string, opts: S3StoreOptions = {}) {
    const loc = parseS3Url(url);
    this.bucket = loc.bucket;
    this.prefix = loc.prefix;
    this.location = formatS3Location(loc);
    this.settings = { ...resolveS3Settings(opts.env ?? process.env), ...opts.settings };
    this.endpoint = describeEndpoint(this.settings.endpoint);
    this.partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? DEFAULT_PART_SIZE);
    this.slots = new Semaphore(this.settings.concurrency);
    this.retry = { ...DEFAULT_RETRY_POLICY, maxAttempts: this.settings.maxAttempts };
    this.client = new S3Client({
      region: () => (this.region ??= regionFromChain()),
      ...(this.settings.endpoint !== undefined ? { endpoint: this.settings.endpoint } : {}),
      forcePathStyle: this.settings.forcePathStyle,
      // Older S3-compatible servers reject the newer checksum headers and aws-chunked bodies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      followRegionRedirects: true,
      maxAttempts: this.retry.maxAttempts,
      retryStrategy: new BackoffRetryStrategy(this.retry),
      requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
      ...opts.client,
    });
    this.client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown; headers?: Record<string, string> };
        const known = request.body instanceof Uint8Array ? payloadSha256.get(request.body) : undefined;
        if (known !== undefined && request.headers) request.headers['x-amz-content-sha256'] = known;
        return next(args);
      },
      { step: 'build', name: 'envsnapKnownPayloadHash' },
    );
  }

  /** The key of an object name. */
  private key(name: string): string {
    if (name.length === 0 || name.startsWith('/') || name.includes('\0')) {
      throw new EnvsnapError('INVALID_ARGUMENT', `"${name}" is not a valid object name`);
    }
    return this.prefix + name;
  }

  /** Runs one S3 call within the parallel-transfer limit, mapping its failure. */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    await this.slots.acquire();
    try {
      return await fn();
    } catch (err) {
      throw mapS3Error(err, { action, bucket: this.bucket, location: this.location, endpoint: this.endpoint });
    } finally {
      this.slots.release();
    }
  }

  private notFound(name: string, cause: unknown): EnvsnapError {
    return new EnvsnapError('NOT_FOUND', `object ${name} does not exist in ${this.location}`, { cause });
  }

  async get(name: string): Promise<Buffer> {
    const { body, sha256 } = await this.read(name, undefined, undefined);
    if (sha256 !== undefined && sha256Hex(body) !== sha256.toLowerCase()) {
      throw new EnvsnapError(
        'CORRUPT',
        `object ${name} in ${this.location} does not match the SHA-256 stored with it: the object is damaged; run a repository check`,
      );
    }
    return body;
  }

  async getRange(name: string, offset: number, length: number, opts?: { into?: Buffer }): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new EnvsnapError('INVALID_ARGUMENT', `invalid range offset=${offset} length=${length} for object ${name}`);
    }
    if (length === 0) {
      // HTTP cannot ask for zero bytes; the range must still lie inside the object.
      const info = await this.stat(name);
      if (info === undefined) throw this.notFound(name, undefined);
      if (info.size < offset) throw this.tooShort(name, info.size, offset, length);
      return Buffer.alloc(0);
    }
    let body: Buffer;
    try {
      ({ body } = await this.read(name, `bytes=${offset}-${offset + length - 1}`, opts?.into));
    } catch (err) {
      // 416: the range starts at or past the end
      if (httpStatus((err as EnvsnapError).cause) === 416) {
        const info = await this.stat(name);
        if (info === undefined) throw this.notFound(name, err);
        throw this.tooShort(name, info.size, offset, length);
      }
      throw err;
    }
    if (body.length < length) throw this.tooShort(name, offset + body.length, offset, length);
    if (body.length > length) throw new EnvsnapError('IO', `${this.endpoint} answered a range request for ${name} with more bytes than asked: the server does not support ranges`);
    return body;
  }

  private tooShort(name: string, size: number, offset: number, length: number): EnvsnapError {
    return new EnvsnapError(
      'CORRUPT',
      `object ${name} in ${this.location} ends at byte ${size}, before the requested range ${offset}..${offset + length}: the repository is damaged; run a repository check`,
    );
  }

  /**
   * GETs an object (or a range of it) whole into memory. A body that breaks off mid-way is fetched
   * again, with the same backoff as the SDK's retries of the request itself.
   */
  private async read(name: string, range: string | undefined, into: Buffer | undefined): Promise<{ body: Buffer; sha256: string | undefined }> {
    const key = this.key(name);
    return this.call(`read ${name}`, async () => {
      for (let attempt = 1; ; attempt++) {
        let res;
        try {
          res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
        } catch (err) {
          if (isMissingObject(err)) throw this.notFound(name, err);
          throw err;
        }
        try {
          const body = await readBody(res.Body as ResponseBody, res.ContentLength, into);
          if (res.ContentLength !== undefined && body.length !== res.ContentLength) {
            throw Object.assign(new Error(`response body ended after ${body.length} of ${res.ContentLength} bytes`), { code: 'ECONNRESET' });
          }
          return { body, sha256: range === undefined ? res.Metadata?.[SHA256_METADATA] : undefined };
        } catch (err) {
          if (!isNetworkError(err) || attempt >= this.retry.maxAttempts) throw err;
          await new Promise((r) => setTimeout(r, backoffDelay(this.retry, attempt, false)));
        }
      }
    });
  }

  async put(name: string, data: BlobData): Promise<void> {
    const size = blobDataLength(data);
    if (size <= this.partSize) {
      await this.putObject(name, blobDataBytes(data));
      return;
    }
    // Too large for one request: in parts, with the hash of the whole known up front.
    const w = this.writer(name, { [SHA256_METADATA]: sha256Hex(data) });
    await w.append(data);
    await w.commit();
  }

  private async putObject(name: string, body: Uint8Array): Promise<void> {
    const key = this.key(name);
    const { md5, sha256 } = await uploadDigests(body);
    await this.call(`write ${name}`, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength, ContentMD5: md5, Metadata: { [SHA256_METADATA]: sha256 } }),
      ),
    );
  }

  async openWriter(name: string): Promise<BlobWriter> {
    return this.writer(name, undefined);
  }

  private writer(name: string, metadata: Record<string, string> | undefined): MultipartWriter {
    const key = this.key(name);
    const Bucket = this.bucket;
    const calls: MultipartCalls = {
      createUpload: async (meta) => {
        const res = await this.call(`start the upload of ${name}`, () =>
          this.client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, Metadata: meta })),
        );
        if (!res.UploadId) throw new EnvsnapError('IO', `${this.endpoint} started an upload of ${name} without an upload id`);
        return res.UploadId;
      },
      uploadPart: async (UploadId, PartNumber, body) => {
        const { md5 } = await uploadDigests(body);
        const res = await this.call(`write part ${PartNumber} of ${name}`, () =>
          this.client.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body: body, ContentLength: body.length, ContentMD5: md5 })),
        );
        if (!res.ETag) throw new EnvsnapError('IO', `${this.endpoint} accepted part ${PartNumber} of ${name} without an ETag`);
        return res.ETag;
      },
      completeUpload: async (UploadId, parts: CompletedPart[]) => {
        try {
          await this.call(`finish the upload of ${name}`, () =>
            this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } })),
          );
        } catch (err) {
          // A retried completion whose first try did complete finds no upload any more: the object is there.
          if (isEnvsnapError404(err) && (await this.stat(name)) !== undefined) return;
          throw err;
        }
      },
      abortUpload: async (UploadId) => {
        await this.call(`abort the upload of ${name}`, () => this.client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId }))).catch(
          (err: unknown) => {
            if (!isEnvsnapError404(err)) throw err;
          },
        );
      },
      putObject: (body) => this.putObject(name, body),
    };
    return new MultipartWriter(calls, { partSize: this.partSize, partsInFlight: PARTS_IN_FLIGHT, metadata });
  }

  async delete(name: string): Promise<void> {
    const key = this.key(name);
    try {
      await this.call(`delete ${name}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    } catch (err) {
      if (isEnvsnapError404(err)) return;
      throw err;
    }
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    if (prefix.startsWith('/') || prefix.includes('\0')) {
      throw new EnvsnapError('INVALID_ARGUMENT', `"${prefix}" is not a valid object name prefix`);
    }
    const keyPrefix = this.prefix + prefix;
    let token: string | undefined;
    do {
      const page = await this.call(`list ${prefix || 'the objects'}`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: keyPrefix, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.prefix)) continue;
        const name = o.Key.slice(this.prefix.length);
        // "folder" placeholders some consoles create are not objects of ours
        if (name === '' || name.endsWith('/')) continue;
        yield { name, size: o.Size ?? 0, modified: o.LastModified?.getTime() };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async stat(name: string): Promise<BlobInfo | undefined> {
    const key = this.key(name);
    try {
      const res = await this.call(`look up ${name}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return { name, size: res.ContentLength ?? 0, modified: res.LastModified?.getTime() };
    } catch (err) {
      if (isEnvsnapError404(err)) return undefined;
      throw err;
    }
  }

  /** Whether the bucket exists (an existing bucket without objects under the prefix is an empty location). */
  async exists(): Promise<boolean> {
    try {
      await this.call('open the bucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
      return true;
    } catch (err) {
      if (isEnvsnapError404(err) || (err instanceof EnvsnapError && err.code === 'NO_REPOSITORY')) return false;
      throw err;
    }
  }

  /** Rejects with NO_REPOSITORY naming the bucket when it does not exist (a clearer message than "no repository at s3://…"). */
  async checkBucket(): Promise<void> {
    if (await this.exists()) return;
    throw missingBucket(this);
  }

  /** Creates the bucket when it does not exist (in the configured region); sets bucketCreated. */
  async create(): Promise<void> {
    if (await this.exists()) return;
    const region = await this.client.config.region();
    await this.call('create the bucket', async () => {
      try {
        await this.client.send(
          new CreateBucketCommand({
            Bucket: this.bucket,
            // us-east-1 is the default and must not be named
            CreateBucketConfiguration: region === DEFAULT_REGION ? undefined : { LocationConstraint: region as BucketLocationConstraint },
          }),
        );
        this.bucketCreated = true;
      } catch (err) {
        // created meanwhile by another process of ours: as good
        if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
      }
    });
  }

  /**
   * Aborts multipart uploads under the prefix started more than `olderThanMs` before `now` (left by
   * a crashed or killed upload; S3 keeps and bills their parts until aborted); returns how many.
   * The age keeps it from aborting an upload still running. Called by prune like LocalStore's sweep
   * of temp files.
   */
  async removeStaleTemp(olderThanMs: number, now: number): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.call('list unfinished uploads', () =>
        this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
      );
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || u.Initiated === undefined || now - u.Initiated.getTime() <= olderThanMs) continue;
        const { Key, UploadId } = u;
        try {
          await this.call(`abort the upload of ${Key}`, () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })));
          removed++;
        } catch (err) {
          if (!isEnvsnapError404(err)) throw err;
        }
      }
      if (!page.IsTruncated) return removed;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
      if (keyMarker === undefined && uploadIdMarker === undefined) return removed;
    }
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.client.destroy();
  }
}

/** Whether a mapped error is a 404 of the object (NOT_FOUND), not of the bucket. */
function isEnvsnapError404(err: unknown): boolean {
  return err instanceof EnvsnapError && err.code === 'NOT_FOUND';
}

/**
 * The region of the standard chain (AWS_REGION, the profile's `region` in the shared config file),
 * or us-east-1 when none is configured — S3-compatible servers mostly ignore it.
 */
async function regionFromChain(): Promise<string> {
  const probe = new S3Client({});
  try {
    return await probe.config.region();
  } catch {
    return DEFAULT_REGION;
  } finally {
    probe.destroy();
  }
}
