/**
 * Content-defined chunking, FastCDC style: a gear rolling hash cuts data where the hash matches a
 * mask, so an insertion shifts only nearby cut points and unchanged regions keep their chunks.
 * Normalized chunking (a stricter mask before the average size, a looser one after) keeps sizes close
 * to the average. The gear table is derived from a per-repository secret, so chunk boundaries do not
 * leak file contents to someone who sees only the sizes of stored objects.
 *
 * Files smaller than `min` are one chunk; files are cut into `min`..`max` sized chunks otherwise.
 */
import { createHash } from 'node:crypto';

export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
}

export const DEFAULT_CHUNKER: ChunkerParams = { min: 512 * 1024, avg: 1024 * 1024, max: 8 * 1024 * 1024 };

/** 256 pseudo-random 32-bit values derived from the repository's chunker seed. */
export function gearTable(seed: Uint8Array): Uint32Array {
  const bytes = Buffer.alloc(1024);
  for (let block = 0; block < 32; block++) {
    const h = createHash('sha256').update(seed).update(Uint8Array.of(block)).digest();
    h.copy(bytes, block * 32);
  }
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) table[i] = bytes.readUInt32LE(i * 4);
  return table;
}

export class Chunker {
  readonly params: ChunkerParams;
  private readonly gear: Uint32Array;
  private readonly maskS: number;
  private readonly maskL: number;

  constructor(params: ChunkerParams, seed: Uint8Array) {
    this.params = params;
    this.gear = gearTable(seed);
    const bits = Math.round(Math.log2(params.avg));
    // Normalization level 2: two more bits before the average, two fewer after. Masks use the high
    // bits of the hash, which have seen the most bytes.
    this.maskS = highMask(bits + 2);
    this.maskL = highMask(bits - 2);
  }

  /**
   * Length of the next chunk of buf[start, end). `end - start` must be at least `max`, unless `end`
   * is the end of the data, in which case the remainder may be returned as the last chunk.
   */
  cut(buf: Uint8Array, start: number, end: number): number {
    const { min, avg, max } = this.params;
    const n = end - start;
    if (n <= min) return n;
    const limit = start + Math.min(n, max);
    const normal = start + Math.min(n, avg);
    const gear = this.gear;
    const maskS = this.maskS;
    const maskL = this.maskL;
    let h = 0;
    let i = start + min;
    for (; i < normal; i++) {
      h = ((h << 1) + gear[buf[i]]) | 0;
      if ((h & maskS) === 0) return i + 1 - start;
    }
    for (; i < limit; i++) {
      h = ((h << 1) + gear[buf[i]]) | 0;
      if ((h & maskL) === 0) return i + 1 - start;
    }
    return limit - start;
  }
}

function highMask(bits: number): number {
  return bits <= 0 ? 0 : ((0xffffffff << (32 - bits)) | 0);
}
