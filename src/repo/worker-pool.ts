/**
 * WorkerPool: a fixed set of blob workers (one per core). Request/response operations (seal, open,
 * write) go to the least busy worker. A file read (`chunkFile`) is a conversation with one worker:
 * it reports chunk ids, the caller decides per chunk whether to store it, the worker seals the ones
 * to store and sends them back. Callers bound what they keep in flight; the pool queues without limit.
 * `close()` must be called (in finally) or the process will not exit.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { EnvsnapError, type ErrorCode } from '../core/errors.ts';
import { owned } from '../core/bytes.ts';
import type { MasterKey } from '../crypto/keys.ts';
import { BlobType } from './blob.ts';
import type { ChunkerParams } from './chunker.ts';
import { isFileEvent, type BatchableRequest, type ChunkAction, type FileEvent, type FileTarget, type SealedSource, type WholeFile, type WholeFileChunk, type WorkerMessage, type WorkerRequest, type WorkerResponse } from './worker-protocol.ts';

const EMPTY = Buffer.alloc(0);
const STOP_TIMEOUT_MS = 5000;

interface Pending {
  resolve: (r: { data: Buffer; flags: number }) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  /** Requests sent by this turn of the event loop, posted together when it ends (see flush). */
  outbox: BatchableRequest[];
  transfer: ArrayBuffer[];
}

/** A failure reading a file, with the errno when the file system gave one (to report, not abort). */
export class FileReadError extends EnvsnapError {
  readonly errno: string | undefined;
  constructor(code: ErrorCode, message: string, errno: string | undefined) {
    super(code, message);
    this.errno = errno;
  }
}

export interface ChunkHandlers {
  /** A chunk's id: return (or resolve to) true to have it sealed and sent, false to drop it. */
  chunk(seq: number, id: Buffer, length: number): boolean | Promise<boolean>;
  /** A chunk to store, sealed. */
  sealed(seq: number, id: Buffer, flags: number, rawLength: number, sealed: Buffer): void;
}

export interface ChunkedFile {
  chunks: number;
  total: number;
  changed: boolean;
}

interface FileConversation {
  slot: Slot;
  handlers: ChunkHandlers;
  /** Chunk events not answered yet, and chunks answered "store" whose sealed bytes have not arrived. */
  undecided: number;
  awaitingSealed: number;
  done?: ChunkedFile;
  /** A read failure; the conversation still ends only when every claimed chunk has arrived sealed. */
  error?: Error;
  resolve: (r: ChunkedFile) => void;
  reject: (e: Error) => void;
  failed: boolean;
}

/** Pools not yet closed, so an interrupted process can stop its workers cleanly before exiting. */
const openPools = new Set<WorkerPool>();

export async function closeAllWorkerPools(): Promise<void> {
  await Promise.allSettled([...openPools].map((p) => p.close()));
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<number, Pending>();
  private readonly files = new Map<number, FileConversation>();
  private nextRid = 1;
  private closed = false;

  constructor(key: MasterKey, chunker: ChunkerParams & { seed: string }, size = Math.max(1, Math.min(availableParallelism(), 8))) {
    const url = new URL('./blob-worker.js', import.meta.url);
    this.slots = [];
    const { seed, ...params } = chunker;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(url, { workerData: { encrypt: key.encrypt, id: key.id, chunker: params, chunkerSeed: seed } });
      const slot: Slot = { worker, busy: 0, outbox: [], transfer: [] };
      worker.on('message', (msg: WorkerMessage) => this.onMessage(slot, msg));
      worker.on('error', (err) => this.failAll(err));
      worker.unref();
      this.slots.push(slot);
    }
    openPools.add(this);
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
   * Decrypts, decompresses and verifies a data blob and writes it into an open file at `to.position`
   * (all-zero blocks skipped when sparse; the aligned middle through `to.directFd` when given). The
   * worker reads local packs itself.
   */
  writeTo(id: Buffer, flags: number, rawLength: number, source: SealedSource, to: FileTarget): Promise<void> {
    return this.send({ op: 'write', rid: 0, id, flags, rawLength, source, ...to }).then(() => undefined);
  }

  /**
   * Restores a file of at most one chunk whole on a worker: created under `file.tmp`, written,
   * finished and renamed to `file.path` there (see the 'restoreFile' op). `id` is empty when there is no chunk.
   */
  restoreFile(id: Uint8Array, chunk: WholeFileChunk | undefined, file: WholeFile): Promise<void> {
    return this.send({ op: 'restoreFile', rid: 0, id, ...(chunk ? { chunk } : {}), file }).then(() => undefined);
  }

  /**
   * Has a worker read, chunk and hash a file; see ChunkHandlers. Resolves when every chunk was
   * reported and every chunk to store was delivered sealed; rejects with FileReadError when the file
   * cannot be read.
   */
  chunkFile(path: Buffer, expected: { size: number; mtimeNs: string }, handlers: ChunkHandlers): Promise<ChunkedFile> {
    if (this.closed) return Promise.reject(new EnvsnapError('INTERRUPTED', 'worker pool closed'));
    const rid = this.nextRid++;
    const slot = this.leastBusy();
    if (slot.busy++ === 0) slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.files.set(rid, { slot, handlers, undecided: 0, awaitingSealed: 0, resolve, reject, failed: false });
      slot.worker.postMessage({ op: 'file', rid, path: new Uint8Array(path), size: expected.size, mtimeNs: expected.mtimeNs } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    openPools.delete(this);
    // Ask each worker to stop after what it has queued; terminate only one that does not stop in time.
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void s.worker.terminate().then(() => resolve()), STOP_TIMEOUT_MS);
            s.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            s.worker.ref();
            this.flush(s);
            s.worker.postMessage({ op: 'stop', rid: 0 } satisfies WorkerRequest);
          }),
      ),
    );
    this.failAll(new EnvsnapError('INTERRUPTED', 'worker pool closed'));
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    if (isFileEvent(msg)) return this.onFileEvent(msg);
    if ('batch' in msg) {
      for (const res of msg.batch) this.onResponse(slot, res);
      return;
    }
    this.onResponse(slot, msg);
  }

  private onResponse(slot: Slot, msg: WorkerResponse): void {
    const file = this.files.get(msg.rid);
    if (file) {
      // A read failure in the middle of a file conversation: chunks already claimed still arrive.
      if (!msg.ok && !file.error) {
        file.error = new FileReadError(msg.code, msg.message, msg.errno);
        this.maybeFinish(msg.rid, file);
      }
      return;
    }
    // An idle worker must not keep the process alive; a busy one must (its caller awaits it).
    if (--slot.busy === 0) slot.worker.unref();
    const p = this.pending.get(msg.rid);
    if (!p) return;
    this.pending.delete(msg.rid);
    if (msg.ok) p.resolve({ data: msg.data ? Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength) : EMPTY, flags: msg.flags });
    else p.reject(new EnvsnapError(msg.code, msg.message));
  }

  private onFileEvent(e: FileEvent): void {
    const file = this.files.get(e.rid);
    if (!file || file.failed) return;
    if (e.event === 'chunk') {
      const id = Buffer.from(e.id.buffer, e.id.byteOffset, e.id.byteLength);
      file.undecided++;
      const answer = (store: boolean) => {
        file.undecided--;
        if (store) file.awaitingSealed++;
        const action: ChunkAction = !store ? 'drop' : e.seq % 2 === 1 && this.idler(file.slot) ? 'return' : 'seal';
        file.slot.worker.postMessage({ op: 'decide', rid: e.rid, seq: e.seq, action } satisfies WorkerRequest);
      };
      let decision: boolean | Promise<boolean>;
      try {
        decision = file.handlers.chunk(e.seq, id, e.length);
      } catch (err) {
        return this.endFile(e.rid, file, err as Error);
      }
      if (typeof decision === 'boolean') answer(decision);
      else
        decision.then(
          (store) => {
            answer(store);
            this.maybeFinish(e.rid, file);
          },
          (err: unknown) => this.endFile(e.rid, file, err as Error),
        );
    } else if (e.event === 'raw') {
      // Sealed by whichever worker is least busy, then delivered like a chunk sealed in place.
      const id = Buffer.from(e.id.buffer, e.id.byteOffset, e.id.byteLength);
      const rawLength = e.data.byteLength; // e.data is handed over (detached) by seal
      this.seal(BlobType.data, id, e.data).then(
        ({ data, flags }) => this.onFileEvent({ rid: e.rid, event: 'sealed', seq: e.seq, id, flags, rawLength, sealed: data }),
        (err: unknown) => this.endFile(e.rid, file, err as Error),
      );
    } else if (e.event === 'sealed') {
      file.awaitingSealed--;
      try {
        file.handlers.sealed(e.seq, Buffer.from(e.id.buffer, e.id.byteOffset, e.id.byteLength), e.flags, e.rawLength, Buffer.from(e.sealed.buffer, e.sealed.byteOffset, e.sealed.byteLength));
      } catch (err) {
        return this.endFile(e.rid, file, err as Error);
      }
      this.maybeFinish(e.rid, file);
    } else {
      file.done = { chunks: e.chunks, total: e.total, changed: e.changed };
      this.maybeFinish(e.rid, file);
    }
  }

  private maybeFinish(rid: number, file: FileConversation): void {
    if ((file.done || file.error) && file.undecided === 0 && file.awaitingSealed === 0) this.endFile(rid, file, file.error);
  }

  private endFile(rid: number, file: FileConversation, err?: Error): void {
    if (file.failed) return;
    this.files.delete(rid);
    file.failed = true;
    if (--file.slot.busy === 0) file.slot.worker.unref();
    if (err) file.reject(err);
    else file.resolve(file.done!);
  }

  /** Another worker no busier than `slot`, when there is one: worth handing it sealing work. */
  private idler(slot: Slot): boolean {
    return this.slots.some((s) => s !== slot && s.busy <= slot.busy);
  }

  private leastBusy(): Slot {
    let slot = this.slots[0];
    for (const s of this.slots) if (s.busy < slot.busy) slot = s;
    return slot;
  }

  private send(req: BatchableRequest): Promise<{ data: Buffer; flags: number }> {
    if (this.closed) return Promise.reject(new EnvsnapError('INTERRUPTED', 'worker pool closed'));
    const rid = this.nextRid++;
    req.rid = rid;
    const slot = this.leastBusy();
    if (slot.busy++ === 0) slot.worker.ref();
    // Ids are often views into Buffer's shared pool; cloning such a view would copy the whole slab.
    req.id = new Uint8Array(req.id);
    // Data goes over without a copy: views of shared memory as they are, the rest transferred.
    const handOver = (d: Uint8Array): Uint8Array => {
      if (d.buffer instanceof SharedArrayBuffer) return d;
      const o = owned(d);
      slot.transfer.push(o.buffer as ArrayBuffer);
      return o;
    };
    const withSource = req.op === 'write' ? req : req.op === 'restoreFile' ? req.chunk : undefined;
    if (withSource && 'data' in withSource.source) withSource.source = { data: handOver(withSource.source.data) };
    else if (req.op === 'seal' || req.op === 'open') req.data = handOver(req.data);
    return new Promise((resolve, reject) => {
      this.pending.set(rid, { resolve, reject });
      if (slot.outbox.push(req) === 1) setImmediate(() => this.flush(slot));
    });
  }

  /**
   * Posts a slot's queued requests: one message for all that were sent while the event loop's
   * current turn ran (the answers to one batch release several callers, whose next requests then
   * go together too).
   */
  private flush(slot: Slot): void {
    const reqs = slot.outbox;
    const transfer = slot.transfer;
    if (reqs.length === 0) return;
    slot.outbox = [];
    slot.transfer = [];
    slot.worker.postMessage(reqs.length === 1 ? reqs[0] : ({ op: 'batch', rid: 0, reqs } satisfies WorkerRequest), transfer);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const [rid, f] of this.files) this.endFile(rid, f, err);
  }
}
