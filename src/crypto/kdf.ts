/**
 * KDF: scrypt turns a password into the key that wraps a repository's master key. Parameters are
 * stored with each key file so they can be raised later without breaking old keys.
 */
import { scrypt, randomBytes } from 'node:crypto';

export interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string; // base64
}

export function defaultKdfParams(): KdfParams {
  // N = 2^15, r = 8: ~32 MiB and ~100 ms per attempt on a current core; the cost an attacker pays per guess.
  return { name: 'scrypt', N: 1 << 15, r: 8, p: 1, salt: randomBytes(32).toString('base64') };
}

export function deriveKey(password: string, params: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      Buffer.from(params.salt, 'base64'),
      32,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + (1 << 20) },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}
