/** Messages between the main thread and blob workers. */
import type { BlobType } from './blob.ts';
import type { ErrorCode } from '../core/errors.ts';

/** Where a worker finds a sealed blob: bytes handed over, or a range of a local file it reads itself. */
export type SealedSource = { data: Uint8Array } | { path: string; offset: number; length: number };

/** Where a restored chunk goes: an open file (process-wide descriptors) and the position in it. */
export interface FileTarget {
  fd: number;
  /** A second descriptor on the same file opened for direct writes (see core/direct-write.ts), if any. */
  directFd?: number;
  position: number;
  /** Leave all-zero blocks unwritten (holes); never direct. */
  sparse: boolean;
}

export type WorkerRequest =
  | { op: 'seal'; rid: number; type: BlobType; id: Uint8Array; data: Uint8Array }
  | { op: 'open'; rid: number; type: BlobType; id: Uint8Array; flags: number; rawLength: number; data: Uint8Array }
  /** A data chunk of a file being restored, written verified into its target. */
  | ({ op: 'write'; rid: number; id: Uint8Array; flags: number; rawLength: number; source: SealedSource } & FileTarget)
  /**
   * Restore a whole file of at most one chunk in one go: create `tmp` (exclusive, 0600), write the
   * verified chunk, set size, owner, mode and mtime, close, rename to `path` — one message instead
   * of a round trip per system call, for the many small files of a restore.
   */
  | { op: 'restoreFile'; rid: number; id: Uint8Array; chunk?: WholeFileChunk; file: WholeFile }
  /** Read a file, cut it into chunks and report each chunk's id; the answer per chunk is a `decide`. */
  | { op: 'file'; rid: number; path: Uint8Array; size: number; mtimeNs: string }
  /**
   * What to do with chunk `seq` of file `rid`: seal and send it, drop it (already stored), or send
   * it back raw so a less busy worker seals it (spreads one large file's work over the cores).
   */
  | { op: 'decide'; rid: number; seq: number; action: ChunkAction }
  /** Finish the work queued before this message, then end the thread. */
  | { op: 'stop'; rid: number }
  /**
   * Several request/response operations (seal, open, write, restoreFile) in one message, answered
   * by one `ResponseBatch`: each message wakes the thread it goes to, which costs more than the
   * message itself when the work per operation is small.
   */
  | { op: 'batch'; rid: number; reqs: BatchableRequest[] };

/** The operations that are answered by one WorkerResponse each. */
export type BatchableRequest = Extract<WorkerRequest, { op: 'seal' | 'open' | 'write' | 'restoreFile' }>;

/** The one chunk of a file restored whole (op 'restoreFile'). */
export interface WholeFileChunk {
  flags: number;
  rawLength: number;
  source: SealedSource;
}

/** What a file restored whole becomes: its temporary and final paths and its metadata. */
export interface WholeFile {
  tmp: Uint8Array;
  path: Uint8Array;
  /** The file's length (the chunk's, unless the tree says otherwise). */
  size: number;
  mode: number;
  /** Set only when running as root. */
  owner?: { uid: number; gid: number };
  /** mtime as seconds for futimes. */
  mtime: number;
  sparse: boolean;
  /** The target's file system suits direct writes (see core/direct-write.ts). */
  direct: boolean;
}

export type ChunkAction = 'seal' | 'drop' | 'return';

export type WorkerResponse =
  | { rid: number; ok: true; data?: Uint8Array; flags: number }
  | { rid: number; ok: false; code: ErrorCode; message: string; errno?: string };

/** The answers to a `batch` request, in its order. */
export interface ResponseBatch {
  batch: WorkerResponse[];
}

/** Messages a worker sends while reading a file (op 'file'). */
export type FileEvent =
  | { rid: number; event: 'chunk'; seq: number; id: Uint8Array; length: number }
  | { rid: number; event: 'sealed'; seq: number; id: Uint8Array; flags: number; rawLength: number; sealed: Uint8Array }
  | { rid: number; event: 'raw'; seq: number; id: Uint8Array; data: Uint8Array }
  /** The file is read: `chunks` chunk events were sent; `changed` when it changed while being read. */
  | { rid: number; event: 'done'; chunks: number; total: number; changed: boolean };

export type WorkerMessage = WorkerResponse | ResponseBatch | FileEvent;

export function isFileEvent(m: WorkerMessage): m is FileEvent {
  return 'event' in m;
}
