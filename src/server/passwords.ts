/**
 * Password hashes for console users: scrypt (the repository's own KDF) with a random salt, stored as
 * `scrypt$N$r$p$salt$hash` so the cost can be raised later. Verification compares in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import { defaultKdfParams, deriveKey, type KdfParams } from '../crypto/kdf.ts';

export async function hashPassword(password: string, params: KdfParams = defaultKdfParams()): Promise<string> {
  const key = await deriveKey(password, params);
  return ['scrypt', params.N, params.r, params.p, params.salt, key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [name, N, r, p, salt, hash] = stored.split('$');
  if (name !== 'scrypt' || !salt || !hash) return false;
  const key = await deriveKey(password, { name: 'scrypt', N: Number(N), r: Number(r), p: Number(p), salt });
  const want = Buffer.from(hash, 'base64');
  return want.length === key.length && timingSafeEqual(want, key);
}

/** A hash no password matches, verified at the same cost: unknown users take as long as wrong passwords. */
export const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
