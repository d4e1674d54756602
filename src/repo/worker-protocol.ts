/** Messages between the main thread and blob workers. */
import type { BlobType } from './blob.ts';
import type { ErrorCode } from '../core/errors.ts';

export type WorkerRequest =
  | { op: 'seal'; rid: number; type: BlobType; id: Uint8Array; data: Uint8Array }
  | { op: 'open'; rid: number; type: BlobType; id: Uint8Array; flags: number; rawLength: number; data: Uint8Array };

export type WorkerResponse =
  | { rid: number; ok: true; data: Uint8Array; flags: number }
  | { rid: number; ok: false; code: ErrorCode; message: string };
