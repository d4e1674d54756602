/** Test data for the chunker and the file reader: deterministic random bytes, and the reference cut of whole data. */
import { createCipheriv } from 'node:crypto';
import type { Chunker } from '../repo/chunker.ts';

/** `n` deterministic pseudo-random (incompressible) bytes. */
export function pseudoRandom(n: number, seed: number): Buffer {
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
}

/** Chunk lengths of the whole data cut in memory. */
export function cutAll(ch: Chunker, data: Buffer): number[] {
  const out: number[] = [];
  for (let pos = 0; pos < data.length; ) {
    const len = ch.cut(data, pos, data.length);
    out.push(len);
    pos += len;
  }
  return out;
}
