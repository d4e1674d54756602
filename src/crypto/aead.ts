/**
 * AEAD: AES-256-GCM seal/open. A sealed object is nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
 * Callers bind what the bytes are (object kind and id) as associated data, so a stored object can
 * neither be altered nor swapped for another object of the repository.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { EnvsnapError } from '../core/errors.ts';
import { release } from '../core/memory.ts';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/**
 * Keys as KeyObjects, made once per key buffer: importing a raw key costs more than encrypting a
 * 16 KiB blob, and the hot path seals thousands of blobs under one key.
 */
const keyObjects = new WeakMap<Uint8Array, KeyObject>();

function secretKey(key: Uint8Array): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    k = createSecretKey(key);
    keyObjects.set(key, k);
  }
  return k;
}

export function seal(key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(NONCE_BYTES + plaintext.byteLength + TAG_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  nonce.copy(out, 0);
  const cipher = createCipheriv('aes-256-gcm', secretKey(key), nonce);
  cipher.setAAD(ad);
  const body = cipher.update(plaintext);
  body.copy(out, NONCE_BYTES);
  let pos = NONCE_BYTES + body.length;
  release(body);
  const fin = cipher.final();
  fin.copy(out, pos);
  pos += fin.length;
  cipher.getAuthTag().copy(out, pos);
  return out;
}

/** Opens a sealed object; throws CORRUPT (naming `what`) when it was altered or the key is wrong. */
export function open(key: Uint8Array, sealed: Uint8Array, ad: Uint8Array, what: string): Buffer {
  if (sealed.byteLength < SEAL_OVERHEAD) {
    throw new EnvsnapError('CORRUPT', `${what} is truncated (${sealed.byteLength} bytes): run "envsnap check --read-data" to see the extent of the damage`);
  }
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', secretKey(key), buf.subarray(0, NONCE_BYTES));
  decipher.setAAD(ad);
  decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
  const body = decipher.update(buf.subarray(NONCE_BYTES, buf.length - TAG_BYTES));
  try {
    const fin = decipher.final();
    return fin.length === 0 ? body : Buffer.concat([body, fin]);
  } catch (err) {
    throw new EnvsnapError('CORRUPT', `${what} failed authentication (damaged or tampered with): run "envsnap check --read-data" to see the extent of the damage`, { cause: err });
  }
}

export function adFor(kind: string, id: string): Buffer {
  return Buffer.from(`envsnap/${kind}/${id}`, 'utf8');
}
