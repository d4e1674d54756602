/**
 * Positional writes to an open file descriptor, shared by the restorer and the worker threads that
 * write restored chunks straight into their files. Sparse writing leaves all-zero blocks unwritten,
 * so they stay holes once the file is truncated to its size.
 */
import { writeSync } from 'node:fs';
import { isAllZero } from './bytes.ts';

const HOLE_BLOCK = 64 * 1024;

export function writeAllAt(fd: number, data: Uint8Array, from: number, to: number, filePos: number): void {
  let off = from;
  while (off < to) off += writeSync(fd, data, off, to - off, filePos + (off - from));
}

export function writeAt(fd: number, data: Uint8Array, pos: number, sparse: boolean): void {
  if (!sparse) return writeAllAt(fd, data, 0, data.byteLength, pos);
  let runStart = -1;
  for (let off = 0; off < data.byteLength; off += HOLE_BLOCK) {
    const end = Math.min(off + HOLE_BLOCK, data.byteLength);
    const zero = isAllZero(data.subarray(off, end));
    if (!zero && runStart < 0) runStart = off;
    if (zero && runStart >= 0) {
      writeAllAt(fd, data, runStart, off, pos + runStart);
      runStart = -1;
    }
  }
  if (runStart >= 0) writeAllAt(fd, data, runStart, data.byteLength, pos + runStart);
}
