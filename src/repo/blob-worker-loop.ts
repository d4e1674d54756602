/**
 * Worker loop for the CPU-heavy half of the hot path: compress + encrypt on the way in,
 * decrypt + decompress + verify on the way out. Buffers cross threads by transfer, not copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sealBlob, openBlob } from './blob-codec.ts';
import { deriveBlobIdKeys } from './blob.ts';
import { EnvsnapError } from '../core/errors.ts';
import { owned } from '../core/bytes.ts';
import { BufferReleaser } from '../core/memory.ts';

const releaser = new BufferReleaser();
import type { WorkerRequest, WorkerResponse } from './worker-protocol.ts';

const keys = { encrypt: Buffer.from(workerData.encrypt as Uint8Array), ids: deriveBlobIdKeys(workerData.id as Uint8Array) };
const port = parentPort!;

port.on('message', (req: WorkerRequest) => {
  let res: WorkerResponse;
  const transfer: ArrayBuffer[] = [];
  try {
    let data: Uint8Array;
    let flags = 0;
    if (req.op === 'seal') {
      const r = sealBlob(keys.encrypt, req.type, req.id, req.data);
      data = owned(r.sealed);
      flags = r.flags;
    } else {
      data = owned(openBlob(keys, req.type, req.id, req.flags, req.rawLength, req.data));
      flags = req.flags;
    }
    res = { rid: req.rid, ok: true, data, flags };
    transfer.push(data.buffer as ArrayBuffer);
  } catch (err) {
    const code = err instanceof EnvsnapError ? err.code : 'IO';
    res = { rid: req.rid, ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(res, transfer);
  releaser.passed(req.data.byteLength * 2);
});
