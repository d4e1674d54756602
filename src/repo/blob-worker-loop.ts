/**
 * Worker loop for the CPU-heavy half of the hot path: compress + encrypt on the way in; decrypt +
 * decompress + verify on the way out, either returning the plaintext or writing it straight into the
 * restored file (`write`), reading the sealed bytes from the pack file itself when it is local — then
 * no data crosses threads at all. Buffers that do cross are transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { closeSync, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { sealBlob, openBlob } from './blob-codec.ts';
import { BlobType, deriveBlobIdKeys } from './blob.ts';
import { EnvsnapError, errnoCode } from '../core/errors.ts';
import { owned } from '../core/bytes.ts';
import { ownsBacking, release, releaseBacking } from '../core/memory.ts';
import { writeAt } from '../core/fd-write.ts';
import { DirectWriter } from '../core/direct-write.ts';
import type { BatchableRequest, FileEvent, ResponseBatch, SealedSource, WholeFile, WholeFileChunk, WorkerRequest, WorkerResponse } from './worker-protocol.ts';
import { Chunker, type ChunkerParams } from './chunker.ts';
import { chunkFile, HeldChunks } from './file-chunker.ts';

const keys = { encrypt: Buffer.from(workerData.encrypt as Uint8Array), ids: deriveBlobIdKeys(workerData.id as Uint8Array) };
const port = parentPort!;
const chunker = new Chunker(workerData.chunker as ChunkerParams, Buffer.from(workerData.chunkerSeed as string, 'hex'));
/** Chunks reported to the main thread and not yet answered. */
const held = new HeldChunks(8 * 1024 * 1024);

function fileEvent(e: FileEvent, transfer: ArrayBuffer[] = []): void {
  port.postMessage(e, transfer);
}

function failure(rid: number, err: unknown): WorkerResponse {
  const errno = errnoCode(err);
  const code = err instanceof EnvsnapError ? err.code : errno === 'ENOSPC' ? 'NO_SPACE' : 'IO';
  return { rid, ok: false, code, message: err instanceof Error ? err.message : String(err), ...(errno ? { errno } : {}) };
}

function readFileOp(req: Extract<WorkerRequest, { op: 'file' }>): void {
  const path = Buffer.from(req.path.buffer, req.path.byteOffset, req.path.byteLength);
  chunkFile(path, { size: req.size, mtimeNs: req.mtimeNs }, req.rid, chunker, keys.ids, held, {
    chunk: (seq, id, length) => fileEvent({ rid: req.rid, event: 'chunk', seq, id: new Uint8Array(id), length }),
    done: (chunks, total, changed) => fileEvent({ rid: req.rid, event: 'done', chunks, total, changed }),
  }).catch((err: unknown) => port.postMessage(failure(req.rid, err)));
}

function decideOp(req: Extract<WorkerRequest, { op: 'decide' }>): void {
  const chunk = held.take(req.rid, req.seq);
  if (!chunk) return;
  const { data, id } = chunk;
  if (req.action === 'drop') return release(data);
  if (req.action === 'return') {
    const raw = owned(data);
    fileEvent({ rid: req.rid, event: 'raw', seq: req.seq, id: new Uint8Array(id), data: raw }, [raw.buffer as ArrayBuffer]);
    return;
  }
  try {
    const r = sealBlob(keys.encrypt, BlobType.data, id, data);
    const sealed = owned(r.sealed);
    fileEvent({ rid: req.rid, event: 'sealed', seq: req.seq, id: new Uint8Array(id), flags: r.flags, rawLength: data.byteLength, sealed }, [sealed.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage(failure(req.rid, err));
  }
  release(data);
}

/** Pack files this worker has open, least recently used first. Reads are synchronous: one at a time. */
const packFds = new Map<string, number>();
const MAX_PACK_FDS = 32;
const SCRATCH_BYTES = 1024 * 1024;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

function readSealed(src: SealedSource): Uint8Array {
  if ('data' in src) return src.data;
  let fd = packFds.get(src.path);
  if (fd === undefined) {
    try {
      fd = openSync(src.path, 'r');
    } catch (err) {
      throw new EnvsnapError(errnoCode(err) === 'ENOENT' ? 'CORRUPT' : 'IO', `pack ${src.path} cannot be read (${errnoCode(err)}): run "envsnap check"`);
    }
    if (packFds.size >= MAX_PACK_FDS) {
      const [oldPath, oldFd] = packFds.entries().next().value as [string, number];
      packFds.delete(oldPath);
      closeSync(oldFd);
    }
  } else {
    packFds.delete(src.path);
  }
  packFds.set(src.path, fd);
  // One scratch buffer, reused: the sealed bytes live only until they are opened, and fresh
  // allocations per chunk cost page faults. A larger chunk gets a buffer of its own, released once
  // opened (see writeChunk): keeping the largest one seen would hold up to 8 MiB per worker.
  const buf = src.length <= SCRATCH_BYTES ? scratch.subarray(0, src.length) : Buffer.allocUnsafeSlow(src.length);
  let got = 0;
  while (got < src.length) {
    const n = readSync(fd, buf, got, src.length - got, src.offset + got);
    if (n === 0) throw new EnvsnapError('CORRUPT', `pack ${src.path} is shorter than the index says: run "envsnap check"`);
    got += n;
  }
  return buf;
}

/** Restored content bypasses the page cache where the file system allows it. */
const direct = new DirectWriter();

/** Decrypts, decompresses and verifies one data chunk: its plaintext. */
function openChunk(id: Uint8Array, chunk: WholeFileChunk): Buffer {
  const sealed = readSealed(chunk.source);
  const plain = openBlob(keys, BlobType.data, id, chunk.flags, chunk.rawLength, sealed);
  if (sealed.buffer !== scratch.buffer) release(sealed); // handed over, or read into a buffer of its own
  return plain;
}

/**
 * Writes one verified data chunk into `fd` at `position`: its aligned middle through `directFd`
 * when there is one (the thread goes on with other requests while the device writes it); sparse
 * files skip all-zero blocks instead.
 */
async function writeChunk(id: Uint8Array, chunk: WholeFileChunk, fd: number, directFd: number | undefined, position: number, sparse: boolean): Promise<void> {
  if (!sparse) return direct.write(fd, directFd, position, chunk.rawLength, () => openChunk(id, chunk), releaseBacking);
  const plain = openChunk(id, chunk);
  writeAt(fd, plain, position, true);
  releaseBacking(plain);
}

/** Op 'restoreFile': a file of at most one chunk, from creation under its temporary name to the rename. */
async function restoreWholeFile(id: Uint8Array, chunk: WholeFileChunk | undefined, f: WholeFile): Promise<void> {
  const tmp = Buffer.from(f.tmp.buffer, f.tmp.byteOffset, f.tmp.byteLength);
  const fd = openSync(tmp, 'wx', 0o600);
  let open = true;
  let directFd: number | undefined;
  try {
    if (chunk) {
      directFd = f.sparse || !f.direct ? undefined : direct.open(tmp, chunk.rawLength);
      await writeChunk(id, chunk, fd, directFd, 0, f.sparse);
      if (directFd !== undefined) closeSync(directFd);
      directFd = undefined;
    }
    const length = chunk?.rawLength ?? 0;
    if (f.sparse || length !== f.size) ftruncateSync(fd, length);
    // Owner first: a change of owner clears the set-user-ID and set-group-ID bits.
    if (f.owner) fchownSync(fd, f.owner.uid, f.owner.gid);
    fchmodSync(fd, f.mode);
    futimesSync(fd, f.mtime, f.mtime);
    open = false;
    closeSync(fd);
    renameSync(tmp, Buffer.from(f.path.buffer, f.path.byteOffset, f.path.byteLength));
  } catch (err) {
    try {
      if (directFd !== undefined) closeSync(directFd);
    } catch {}
    if (open) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
}

/** Requests still writing (their answers not sent yet); 'stop' waits for them. */
let inFlight = 0;
let whenIdle: (() => void) | undefined;

function answer(rid: number, work: Promise<void>, flags: number): Promise<WorkerResponse> {
  inFlight++;
  return work
    .then((): WorkerResponse => ({ rid, ok: true, flags }), (err: unknown) => failure(rid, err))
    .finally(() => {
      if (--inFlight === 0) whenIdle?.();
    });
}

/** Runs one request/response operation; its answer (later, for writes) and the buffers to transfer with it. */
function handle(req: BatchableRequest, transfer: ArrayBuffer[]): WorkerResponse | Promise<WorkerResponse> {
  try {
    if (req.op === 'seal') {
      const r = sealBlob(keys.encrypt, req.type, req.id, req.data);
      const data = owned(r.sealed);
      transfer.push(data.buffer as ArrayBuffer);
      release(req.data);
      return { rid: req.rid, ok: true, data, flags: r.flags };
    }
    if (req.op === 'open') {
      const plain = openBlob(keys, req.type, req.id, req.flags, req.rawLength, req.data);
      // Handed over whole (the view says which bytes), or copied when it is a slice of a shared slab.
      const data = ownsBacking(plain) ? plain : owned(plain);
      transfer.push(data.buffer as ArrayBuffer);
      release(req.data);
      return { rid: req.rid, ok: true, data, flags: req.flags };
    }
    if (req.op === 'restoreFile') return answer(req.rid, restoreWholeFile(req.id, req.chunk, req.file), req.chunk?.flags ?? 0);
    return answer(req.rid, writeChunk(req.id, req, req.fd, req.directFd, req.position, req.sparse), req.flags);
  } catch (err) {
    return failure(req.rid, err);
  }
}

port.on('message', (req: WorkerRequest) => {
  if (req.op === 'file') return readFileOp(req);
  if (req.op === 'decide') return decideOp(req);
  // Ending here, between messages, never interrupts a native call (terminating a thread inside
  // zstd can abort the whole process); writes under way are finished first.
  if (req.op === 'stop') {
    if (inFlight === 0) return process.exit(0);
    whenIdle = () => process.exit(0);
    return;
  }
  // One answer message per request message (a single request is answered as a batch of one), sent
  // at once unless a write is still under way.
  const transfer: ArrayBuffer[] = [];
  const answers = (req.op === 'batch' ? req.reqs : [req]).map((r) => handle(r, transfer));
  const reply = (batch: WorkerResponse[]) => port.postMessage({ batch } satisfies ResponseBatch, transfer);
  if (answers.some((a) => a instanceof Promise)) void Promise.all(answers).then(reply);
  else reply(answers as WorkerResponse[]);
});
