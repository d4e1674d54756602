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

/**
 * Derivations started ahead of need (prefetchKey), each handed out once to the deriveKey call with
 * the same password and parameters.
 */
const ahead: { password: string; params: KdfParams; key: Promise<Buffer | undefined> }[] = [];

/**
 * Starts deriving a key now, on a thread of its own, for a deriveKey call expected soon: a command
 * can derive its repository key while it is still loading its code. A failure here is not reported;
 * the deriveKey call then derives again and reports it.
 */
export function prefetchKey(password: string, params: KdfParams): void {
  ahead.push({ password, params, key: scryptKey(password, params).catch(() => undefined) });
}

/** Derivations started ahead and not yet handed out. */
export function pendingPrefetches(): number {
  return ahead.length;
}

export function deriveKey(password: string, params: KdfParams): Promise<Buffer> {
  const i = ahead.findIndex((a) => a.password === password && sameParams(a.params, params));
  if (i < 0) return scryptKey(password, params);
  const [a] = ahead.splice(i, 1);
  return a.key.then((key) => key ?? scryptKey(password, params));
}

function sameParams(a: KdfParams, b: KdfParams): boolean {
  return a.name === b.name && a.N === b.N && a.r === b.r && a.p === b.p && a.salt === b.salt;
}

function scryptKey(password: string, params: KdfParams): Promise<Buffer> {
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
