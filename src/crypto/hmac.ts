/**
 * HMAC-SHA256 with a fixed key, for hashing many messages (every chunk gets one). The keyed inner
 * and outer hash states are computed once and copied per message, which costs less than setting up
 * an HMAC (and importing its key) each time; the result is the standard HMAC (RFC 2104).
 */
import { createHash, type Hash } from 'node:crypto';

const BLOCK = 64;

export class KeyedHash {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(key: Uint8Array) {
    const k = key.byteLength > BLOCK ? createHash('sha256').update(key).digest() : key;
    const ipad = Buffer.alloc(BLOCK, 0x36);
    const opad = Buffer.alloc(BLOCK, 0x5c);
    for (let i = 0; i < k.byteLength; i++) {
      ipad[i] ^= k[i];
      opad[i] ^= k[i];
    }
    this.inner = createHash('sha256').update(ipad);
    this.outer = createHash('sha256').update(opad);
  }

  digest(data: Uint8Array | string): Buffer {
    return this.outer.copy().update(this.inner.copy().update(data).digest()).digest();
  }
}
