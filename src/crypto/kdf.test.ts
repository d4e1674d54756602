import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deriveKey, pendingPrefetches, prefetchKey, type KdfParams } from './kdf.ts';

const params = (salt: string): KdfParams => ({ name: 'scrypt', N: 1 << 10, r: 8, p: 1, salt: Buffer.from(salt).toString('base64') });

describe('kdf', () => {
  it('derives the same key with the same password and parameters, another with another salt or password', async () => {
    const a = await deriveKey('secret', params('salt-1'));
    assert.equal(a.length, 32);
    assert.deepEqual(await deriveKey('secret', params('salt-1')), a);
    assert.notDeepEqual(await deriveKey('secret', params('salt-2')), a);
    assert.notDeepEqual(await deriveKey('Secret', params('salt-1')), a);
  });

  it('hands a prefetched derivation to the one call with the same password and parameters', async () => {
    const expected = await deriveKey('pw', params('prefetch'));
    const before = pendingPrefetches();
    prefetchKey('pw', params('prefetch'));
    assert.equal(pendingPrefetches(), before + 1);
    // Another password or salt does not take it, and still gets its own, right key.
    assert.deepEqual(await deriveKey('other', params('prefetch')), await deriveKey('other', params('prefetch')));
    assert.notDeepEqual(await deriveKey('pw', params('other salt')), expected);
    assert.equal(pendingPrefetches(), before + 1);
    assert.deepEqual(await deriveKey('pw', params('prefetch')), expected);
    assert.equal(pendingPrefetches(), before);
  });

  it('derives again when the prefetched derivation failed', async () => {
    const bad: KdfParams = { ...params('x'), N: 3 }; // not a power of two: scrypt rejects it
    prefetchKey('pw', bad);
    await assert.rejects(deriveKey('pw', bad), /N|power|invalid/i);
  });
});
