import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Chunker, DEFAULT_CHUNKER } from './chunker.ts';
import { cutAll, pseudoRandom } from '../testing/chunking.ts';


describe('Chunker', () => {
  const seed = Buffer.from('repository-seed');
  const ch = new Chunker(DEFAULT_CHUNKER, seed);

  it('keeps a file smaller than the minimum in one chunk', () => {
    assert.deepEqual(cutAll(ch, pseudoRandom(300_000, 1)), [300_000]);
    assert.deepEqual(cutAll(ch, Buffer.alloc(0)), []);
  });

  it('cuts within min..max and averages near the target', () => {
    const data = pseudoRandom(64 * 1024 * 1024, 2);
    const sizes = cutAll(ch, data);
    assert.equal(sizes.reduce((a, b) => a + b, 0), data.length);
    for (const s of sizes.slice(0, -1)) {
      assert.ok(s >= DEFAULT_CHUNKER.min && s <= DEFAULT_CHUNKER.max, `chunk of ${s} bytes`);
    }
    const avg = data.length / sizes.length;
    assert.ok(avg > 0.7 * DEFAULT_CHUNKER.avg && avg < 1.6 * DEFAULT_CHUNKER.avg, `average ${avg}`);
  });

  it('cuts zeros at the maximum size', () => {
    assert.deepEqual(cutAll(ch, Buffer.alloc(20 * 1024 * 1024)), [8 << 20, 8 << 20, 4 << 20]);
  });

  it('re-synchronises after an insertion: most chunks survive', () => {
    const data = pseudoRandom(32 * 1024 * 1024, 3);
    const edited = Buffer.concat([data.subarray(0, 10_000_000), Buffer.from('inserted bytes'), data.subarray(10_000_000)]);
    const hashes = (d: Buffer) => {
      const set = new Set<string>();
      let pos = 0;
      for (const len of cutAll(ch, d)) {
        set.add(d.subarray(pos, pos + len).toString('base64').slice(0, 64) + len);
        pos += len;
      }
      return set;
    };
    const a = hashes(data);
    const b = hashes(edited);
    let shared = 0;
    for (const h of b) if (a.has(h)) shared++;
    assert.ok(shared >= a.size - 3, `only ${shared} of ${a.size} chunks survived`);
  });

  it('depends on the repository seed', () => {
    const data = pseudoRandom(16 * 1024 * 1024, 4);
    const other = new Chunker(DEFAULT_CHUNKER, Buffer.from('another-seed'));
    assert.notDeepEqual(cutAll(ch, data), cutAll(other, data));
  });

  it('gives the same cuts whatever the window the caller offers, once it is at least max', () => {
    const data = pseudoRandom(24 * 1024 * 1024, 5);
    const whole = cutAll(ch, data);
    const windowed: number[] = [];
    let pos = 0;
    while (pos < data.length) {
      const end = Math.min(data.length, pos + DEFAULT_CHUNKER.max);
      const len = ch.cut(data, pos, end);
      windowed.push(len);
      pos += len;
    }
    assert.deepEqual(windowed, whole);
  });
});
