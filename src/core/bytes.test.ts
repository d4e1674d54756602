import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinPath } from './bytes.ts';

test('joinPath joins raw name bytes into a buffer of its own, not a slice of the shared pool', () => {
  const dir = Buffer.from('/srv/shop');
  const name = Buffer.from([0x66, 0xff, 0x0a, 0x6f]); // not UTF-8, with a newline
  const p = joinPath(dir, Buffer.from('/'), name);
  assert.deepEqual(p, Buffer.concat([dir, Buffer.from('/'), name]));
  assert.equal(p.byteOffset, 0);
  assert.equal(p.buffer.byteLength, p.byteLength, 'the whole allocation is the path');
  assert.notEqual(Buffer.concat([dir, name]).buffer.byteLength, Buffer.concat([dir, name]).byteLength, 'Buffer.concat of a short path is a pool slice');
});
