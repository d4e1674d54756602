/**
 * MultipartWriter: a BlobWriter that streams an object to S3 in parts. Appended bytes are copied
 * into a part buffer; each full part is uploaded (at most `partsInFlight` at once, so memory stays at
 * a few parts whatever the object's size) under a multipart upload started with the first part.
 * commit() completes the upload, which is when the object appears, whole (S3 never lists an
 * unfinished upload). An object that never fills one part is sent as a single PUT instead. Any
 * failure, and abort(), aborts the upload so its parts do not linger (uploads orphaned by a crash
 * are aborted by prune, see S3Store.removeStaleTemp).
 */
import { EnvsnapError } from '../../core/errors.ts';
import type { BlobData, BlobWriter } from '../blob-store.ts';

export interface CompletedPart {
  PartNumber: number;
  ETag: string;
}

/** The S3 calls a writer needs, bound to one object key by the store. */
export interface MultipartCalls {
  /** Starts a multipart upload with the object's metadata; resolves to the upload id. */
  createUpload(metadata: Record<string, string> | undefined): Promise<string>;
  /** Uploads one part (numbered from 1); resolves to its ETag. */
  uploadPart(uploadId: string, partNumber: number, body: Buffer): Promise<string>;
  completeUpload(uploadId: string, parts: CompletedPart[]): Promise<void>;
  abortUpload(uploadId: string): Promise<void>;
  /** Writes the whole object in one PUT (it never outgrew a part). */
  putObject(body: Buffer): Promise<void>;
}

export interface MultipartWriterOptions {
  /** Bytes per part (S3 requires at least 5 MiB for every part but the last). */
  partSize: number;
  /** Parts uploading at once; appending waits beyond. */
  partsInFlight: number;
  /** Metadata of the object, when known before its bytes (put knows its whole body). */
  metadata?: Record<string, string>;
}

export class MultipartWriter implements BlobWriter {
  private readonly calls: MultipartCalls;
  private readonly opts: MultipartWriterOptions;
  private current: Buffer | undefined;
  private filled = 0;
  private uploadId: Promise<string> | undefined;
  private readonly parts: Promise<CompletedPart>[] = [];
  private readonly running: Promise<unknown>[] = [];
  private state: 'open' | 'committing' | 'done' = 'open';

  constructor(calls: MultipartCalls, opts: MultipartWriterOptions) {
    this.calls = calls;
    this.opts = opts;
  }

  async append(data: BlobData): Promise<void> {
    this.checkOpen();
    try {
      for (const part of data instanceof Uint8Array ? [data] : data) {
        let offset = 0;
        while (offset < part.byteLength) {
          this.current ??= Buffer.allocUnsafe(this.opts.partSize);
          const n = Math.min(part.byteLength - offset, this.opts.partSize - this.filled);
          this.current.set(part.subarray(offset, offset + n), this.filled);
          this.filled += n;
          offset += n;
          if (this.filled === this.opts.partSize) await this.sendPart();
        }
      }
    } catch (err) {
      await this.drop();
      throw err;
    }
  }

  async commit(): Promise<void> {
    this.checkOpen();
    this.state = 'committing';
    try {
      if (this.uploadId === undefined) {
        await this.calls.putObject(this.current === undefined ? Buffer.alloc(0) : this.current.subarray(0, this.filled));
      } else {
        if (this.filled > 0) await this.sendPart();
        const parts = await Promise.all(this.parts);
        await this.calls.completeUpload(await this.uploadId, parts);
      }
      this.state = 'done';
      this.current = undefined;
    } catch (err) {
      await this.drop();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'done') return;
    await this.drop();
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new EnvsnapError('INVALID_ARGUMENT', 'this object writer was already committed or aborted');
  }

  /** Uploads the filled part buffer, first waiting for a free slot. */
  private async sendPart(): Promise<void> {
    while (this.running.length >= this.opts.partsInFlight) await this.running.shift();
    const body = (this.current as Buffer).subarray(0, this.filled);
    this.current = undefined;
    this.filled = 0;
    this.uploadId ??= this.calls.createUpload(this.opts.metadata);
    const uploadId = this.uploadId;
    const partNumber = this.parts.length + 1;
    const part = uploadId.then(async (id) => ({ PartNumber: partNumber, ETag: await this.calls.uploadPart(id, partNumber, body) }));
    // Observed later (by the slot wait, commit or drop); marked handled now so a failure that
    // happens before then is not reported as unhandled.
    part.catch(() => {});
    this.parts.push(part);
    this.running.push(part);
  }

  /** Ends the writer and aborts the upload, if one was started: best effort, the caller reports the first failure. */
  private async drop(): Promise<void> {
    this.state = 'done';
    this.current = undefined;
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    if (uploadId === undefined) return;
    // Parts still uploading would survive an abort that overtakes them.
    await Promise.allSettled(this.parts);
    try {
      await this.calls.abortUpload(await uploadId);
    } catch {
      // the upload was never created, or cannot be aborted now: prune aborts stale uploads
    }
  }
}
