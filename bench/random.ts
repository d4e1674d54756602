/**
 * Deterministic randomness for the benchmark data set: a seeded PRNG (splitmix32) for choices and an
 * AES-128-CTR keystream under a fixed key for bulk incompressible bytes. Same seed, same bytes, every run.
 */
import { createCipheriv } from 'node:crypto';

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next unsigned 32-bit integer. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** An integer between min and max whose logarithm is uniform: many small values, few large ones. */
  logUniform(min: number, max: number): number {
    return Math.round(min * Math.pow(max / min, this.float()));
  }

  /** A generator for one item (seed, index, ...), so that one item's content never shifts another's. */
  static derive(...parts: number[]): Rng {
    const mixer = new Rng(0x5eed);
    let seed = 0;
    for (const part of parts) {
      mixer.state ^= part;
      seed = mixer.u32() ^ Math.imul(seed, 31);
    }
    return new Rng(seed);
  }
}

const KEY = Buffer.from('envsnap-bench-k1', 'latin1');
let zeros = Buffer.alloc(0);

/** `length` incompressible bytes, identical for the same (purpose, index, length) in every run. */
export function randomBytes(purpose: number, index: number, length: number): Buffer {
  if (zeros.length < length) zeros = Buffer.alloc(Math.max(length, 1 << 20));
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(purpose >>> 0, 0);
  iv.writeUInt32BE(index >>> 0, 4);
  return createCipheriv('aes-128-ctr', KEY, iv).update(zeros.subarray(0, length));
}
