/**
 * FileChunker (runs on a blob worker): reads one file, cuts it with the repository's chunker and
 * hashes each chunk, reporting ids to the main thread, which alone knows what the repository has
 * and answers per chunk whether to seal it. Chunks wait here until answered, up to `maxHeld` bytes;
 * past that, reading pauses — the back-pressure that bounds a worker's memory.
 *
 * Small files (at most the chunker's minimum) are one exact-size read and one chunk. Larger ones
 * are read through a 4 MiB window, refilled when half of it is consumed, so each byte is copied about
 * once; the window widens (up to twice the maximum chunk) only while a chunk has no cut point in it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BlobType, blobId, type BlobIdKeys } from './blob.ts';
import type { Chunker } from './chunker.ts';

export interface ChunkSink {
  chunk(seq: number, id: Buffer, length: number): void;
  done(chunks: number, total: number, changed: boolean): void;
}

/** The read window for files larger than one chunk: a few average chunks. */
const WINDOW_BYTES = 4 * 1024 * 1024;

export class HeldChunks {
  private readonly held = new Map<string, { data: Uint8Array; id: Buffer }>();
  private bytes = 0;
  private waiters: (() => void)[] = [];
  private readonly maxHeld: number;
  constructor(maxHeld: number) {
    this.maxHeld = maxHeld;
  }
  put(rid: number, seq: number, data: Uint8Array, id: Buffer): void {
    this.held.set(`${rid}:${seq}`, { data, id });
    this.bytes += data.byteLength;
  }
  take(rid: number, seq: number): { data: Uint8Array; id: Buffer } | undefined {
    const key = `${rid}:${seq}`;
    const d = this.held.get(key);
    if (d) {
      this.held.delete(key);
      this.bytes -= d.data.byteLength;
      if (this.bytes < this.maxHeld) {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      }
    }
    return d;
  }
  async roomFor(): Promise<void> {
    while (this.bytes >= this.maxHeld) await new Promise<void>((r) => this.waiters.push(r));
  }
}

export async function chunkFile(
  path: Buffer,
  expected: { size: number; mtimeNs: string },
  rid: number,
  chunker: Chunker,
  ids: BlobIdKeys,
  held: HeldChunks,
  sink: ChunkSink,
): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    let seq = 0;
    let total = 0;
    const emit = (chunk: Uint8Array) => {
      const id = blobId(ids, BlobType.data, chunk);
      held.put(rid, seq, chunk, id);
      sink.chunk(seq++, id, chunk.byteLength);
      total += chunk.byteLength;
    };
    const { min, max } = chunker.params;
    if (expected.size <= min) {
      const buf = new Uint8Array(expected.size);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
      if (got > 0) emit(got === buf.length ? buf : buf.slice(0, got));
    } else {
      let win = Buffer.allocUnsafe(Math.min(WINDOW_BYTES, max * 2));
      let start = 0;
      let end = 0;
      let pos = 0;
      let eof = false;
      // Moves the unread bytes to the front (growing the window first when it is full) and reads on.
      const refill = (grow: boolean) => {
        if (grow && start === 0 && end === win.length) {
          const wider = Buffer.allocUnsafe(Math.min(win.length * 2, max * 2));
          win.copy(wider, 0, 0, end);
          win = wider;
        } else if (start > 0) {
          win.copy(win, 0, start, end);
          end -= start;
          start = 0;
        }
        while (!eof && end < win.length) {
          const n = readSync(fd, win, end, win.length - end, pos);
          if (n === 0) eof = true;
          end += n;
          pos += n;
        }
      };
      for (;;) {
        if (!eof && end - start < win.length / 2) refill(false);
        if (start >= end) break;
        let len = chunker.cut(win, start, end);
        // No cut point in the bytes at hand, short of the maximum: read further (rare, for chunks
        // much larger than the average), widening the window up to the maximum chunk.
        while (len === end - start && len < max && !eof) {
          refill(true);
          len = chunker.cut(win, start, end);
        }
        // Each chunk gets its own buffer: the window is reused, the chunk may go on to be sealed.
        emit(new Uint8Array(win.subarray(start, start + len)));
        start += len;
        // Let answers arrive (they free held chunks), and wait when too much is held.
        await yieldToLoop();
        await held.roomFor();
      }
    }
    const after = fstatSync(fd, { bigint: true });
    const changed = total !== expected.size || Number(after.size) !== expected.size || after.mtimeNs.toString() !== expected.mtimeNs;
    sink.done(seq, total, changed);
  } finally {
    closeSync(fd);
  }
}
