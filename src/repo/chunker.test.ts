import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Chunker, DEFAULT_CHUNKER, gearTable, type ChunkerParams } from './chunker.ts';
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

  it('cuts exactly where the plain FastCDC definition cuts (existing repositories keep deduplicating)', () => {
    // The definition, byte by byte: from min on, cut after the first byte where the gear hash has
    // its top log2(avg)+2 bits clear, from avg on its top log2(avg)-2 bits, at max at the latest.
    const reference = (params: ChunkerParams, data: Uint8Array): number[] => {
      const gear = gearTable(seed);
      const bits = Math.round(Math.log2(params.avg));
      const top = (k: number) => (0xffffffff << (32 - k)) | 0;
      const cuts: number[] = [];
      for (let start = 0; start < data.length; ) {
        const n = data.length - start;
        let len = Math.min(n, params.max);
        if (n > params.min) {
          let h = 0;
          for (let i = start + params.min; i < start + len; i++) {
            h = ((h << 1) + gear[data[i]]) | 0;
            if ((h & top(i - start < params.avg ? bits + 2 : bits - 2)) === 0) {
              len = i + 1 - start;
              break;
            }
          }
        } else len = n;
        cuts.push(len);
        start += len;
      }
      return cuts;
    };
    // Small parameters give many cuts; odd lengths leave every remainder of the unrolled loop.
    const small = { min: 2048, avg: 8192, max: 65536 };
    for (const [i, length] of [1_000_003, 999_998, 65_537, 2049].entries()) {
      const data = pseudoRandom(length, 20 + i);
      assert.deepEqual(cutAll(new Chunker(small, seed), data), reference(small, data), `small parameters, ${length} bytes`);
    }
    const large = pseudoRandom(24 * 1024 * 1024 + 3, 30);
    assert.deepEqual(cutAll(ch, large), reference(DEFAULT_CHUNKER, large));
  });
});
