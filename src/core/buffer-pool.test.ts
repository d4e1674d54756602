import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from './buffer-pool.ts';

describe('BufferPool', () => {
  it('makes at most `size` buffers, on demand, and hands given-back ones to waiters in order', async () => {
    let made = 0;
    const pool = new BufferPool(() => Buffer.alloc(8, ++made), 2);
    const a = pool.take();
    const b = pool.take();
    assert.ok(Buffer.isBuffer(a) && Buffer.isBuffer(b));
    assert.equal(made, 2);
    const order: number[] = [];
    const c = Promise.resolve(pool.take()).then((buf) => (order.push(1), buf));
    const d = Promise.resolve(pool.take()).then((buf) => (order.push(2), buf));
    assert.equal(made, 2, 'no third buffer while two are out');
    pool.give(b);
    assert.equal(await c, b);
    pool.give(a);
    assert.equal(await d, a);
    assert.deepEqual(order, [1, 2]);
    pool.give(a);
    assert.equal(pool.take(), a, 'a buffer given back with nobody waiting is reused');
    assert.equal(made, 2);
  });
});
