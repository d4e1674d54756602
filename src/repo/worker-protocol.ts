/** Messages between the main thread and blob workers. */
import type { BlobType } from './blob.ts';
import type { ErrorCode } from '../core/errors.ts';

/** Where a worker finds a sealed blob: bytes handed over, or a range of a local file it reads itself. */
export type SealedSource = { data: Uint8Array } | { path: string; offset: number; length: number };

export type WorkerRequest =
  | { op: 'seal'; rid: number; type: BlobType; id: Uint8Array; data: Uint8Array }
  | { op: 'open'; rid: number; type: BlobType; id: Uint8Array; flags: number; rawLength: number; data: Uint8Array }
  | {
      op: 'write';
      rid: number;
      type: BlobType;
      id: Uint8Array;
      flags: number;
      rawLength: number;
      source: SealedSource;
      /** Open file descriptor (process-wide) and position to write the verified plaintext at. */
      fd: number;
      position: number;
      sparse: boolean;
    };

export type WorkerResponse =
  | { rid: number; ok: true; data?: Uint8Array; flags: number }
  | { rid: number; ok: false; code: ErrorCode; message: string };
