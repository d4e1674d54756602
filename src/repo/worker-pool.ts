/**
 * WorkerPool: a fixed set of blob workers (one per core) with requests spread to the least busy.
 * Callers bound what they keep in flight; the pool itself queues without limit.
 * `close()` must be called (in finally) or the process will not exit.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { EnvsnapError } from '../core/errors.ts';
import { owned } from '../core/bytes.ts';
import type { MasterKey } from '../crypto/keys.ts';
import type { BlobType } from './blob.ts';
import type { SealedSource, WorkerRequest, WorkerResponse } from './worker-protocol.ts';

const EMPTY = Buffer.alloc(0);

interface Pending {
  resolve: (r: { data: Buffer; flags: number }) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;
  private closed = false;

  constructor(key: MasterKey, size = Math.max(1, Math.min(availableParallelism(), 8))) {
    const url = new URL('./blob-worker.ts', import.meta.url);
    this.slots = [];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(url, { workerData: { encrypt: key.encrypt, id: key.id } });
      const slot: Slot = { worker, busy: 0 };
      worker.on('message', (res: WorkerResponse) => {
        // An idle worker must not keep the process alive; a busy one must (its caller awaits it).
        if (--slot.busy === 0) worker.unref();
        const p = this.pending.get(res.rid);
        if (!p) return;
        this.pending.delete(res.rid);
        if (res.ok) p.resolve({ data: res.data ? Buffer.from(res.data.buffer, res.data.byteOffset, res.data.byteLength) : EMPTY, flags: res.flags });
        else p.reject(new EnvsnapError(res.code, res.message));
      });
      worker.on('error', (err) => this.failAll(err));
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** Compresses (when worth it) and encrypts a blob. `data` is transferred (detached) when it owns its buffer. */
  seal(type: BlobType, id: Buffer, data: Uint8Array): Promise<{ data: Buffer; flags: number }> {
    return this.send({ op: 'seal', rid: 0, type, id, data });
  }

  /** Decrypts, decompresses and verifies a blob against its id. */
  open(type: BlobType, id: Buffer, flags: number, rawLength: number, sealed: Uint8Array): Promise<Buffer> {
    return this.send({ op: 'open', rid: 0, type, id, flags, rawLength, data: sealed }).then((r) => r.data);
  }

  /**
   * Decrypts, decompresses and verifies a blob and writes it into an open file at `position`
   * (all-zero blocks skipped when `sparse`). The worker reads local packs itself.
   */
  writeTo(type: BlobType, id: Buffer, flags: number, rawLength: number, source: SealedSource, fd: number, position: number, sparse: boolean): Promise<void> {
    return this.send({ op: 'write', rid: 0, type, id, flags, rawLength, source, fd, position, sparse }).then(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.failAll(new EnvsnapError('INTERRUPTED', 'worker pool closed'));
  }

  private send(req: WorkerRequest): Promise<{ data: Buffer; flags: number }> {
    if (this.closed) return Promise.reject(new EnvsnapError('INTERRUPTED', 'worker pool closed'));
    const rid = this.nextRid++;
    req.rid = rid;
    let slot = this.slots[0];
    for (const s of this.slots) if (s.busy < slot.busy) slot = s;
    if (slot.busy++ === 0) slot.worker.ref();
    // Structured clone of a view copies its whole backing buffer: hand over an owned buffer instead.
    // Ids are often views into Buffer's shared 8 KiB pool; cloning such a view would copy the pool.
    req.id = new Uint8Array(req.id);
    const transfer: ArrayBuffer[] = [];
    if (req.op === 'write') {
      if ('data' in req.source) {
        req.source = { data: owned(req.source.data) };
        transfer.push(req.source.data.buffer as ArrayBuffer);
      }
    } else {
      req.data = owned(req.data);
      transfer.push(req.data.buffer as ArrayBuffer);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(rid, { resolve, reject });
      slot.worker.postMessage(req, transfer);
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

