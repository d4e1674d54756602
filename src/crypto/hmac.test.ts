import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { KeyedHash } from './hmac.ts';

test('KeyedHash gives the standard HMAC-SHA256 for short, block-sized and long keys', () => {
  for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
    const key = randomBytes(keyLength);
    const h = new KeyedHash(key);
    for (const data of [Buffer.alloc(0), randomBytes(1), randomBytes(100_000), 'text']) {
      assert.deepEqual(h.digest(data), createHmac('sha256', key).update(data).digest(), `key of ${keyLength} bytes`);
    }
  }
});

test('KeyedHash gives the same digest however often it is used', () => {
  const h = new KeyedHash(randomBytes(32));
  const data = randomBytes(4096);
  const first = h.digest(data);
  h.digest(randomBytes(10));
  assert.deepEqual(h.digest(data), first);
});
