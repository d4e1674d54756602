import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DIRECT_ALIGN, DIRECT_MIN_BYTES, DIRECT_OPEN_FLAGS, DirectWriter, alignedBuffer } from './direct-write.ts';

const errno = (code: string) => Object.assign(new Error(`${code}: refused`), { code });

describe('DirectWriter', () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'envsnap-direct-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `ranges` of `content` in the given order through `w`; returns the file's bytes. */
  function writeRanges(w: DirectWriter, content: Buffer, ranges: [number, number][]): Buffer {
    const path = Buffer.from(join(dir, `f${++n}`));
    const fd = openSync(path, 'wx', 0o600);
    const directFd = w.open(path, content.length);
    try {
      for (const [from, to] of ranges) w.write(fd, directFd, content.subarray(from, to), from);
    } finally {
      if (directFd !== undefined) closeSync(directFd);
      closeSync(fd);
    }
    return readFileSync(path);
  }

  it('gives page-aligned buffers (the kernel refuses direct writes from others)', () => {
    const w = new DirectWriter();
    const content = randomBytes(3 * DIRECT_MIN_BYTES);
    assert.ok(writeRanges(w, content, [[0, content.length]]).equals(content));
    assert.equal(w.directBytes, content.length, 'an aligned file is written direct in full');
    assert.equal(alignedBuffer(1).byteLength, 64 * 1024);
  });

  it('writes unaligned ranges in any order byte for byte, the aligned middles direct', () => {
    const w = new DirectWriter({ staging: alignedBuffer(DIRECT_MIN_BYTES * 2) });
    const content = randomBytes(3 * 1024 * 1024 + 1234);
    // Chunk-like boundaries: none aligned, some ranges below the minimum, one larger than the staging buffer.
    const cuts = [0, 777, 70_001, 200_123, 1_400_321, 1_420_000, 2_999_999, content.length];
    const ranges = cuts.slice(1).map((to, i): [number, number] => [cuts[i], to]).reverse();
    assert.ok(writeRanges(w, content, ranges).equals(content));
    let direct = 0;
    for (const [from, to] of ranges) {
      const middle = Math.floor(to / DIRECT_ALIGN) * DIRECT_ALIGN - Math.ceil(from / DIRECT_ALIGN) * DIRECT_ALIGN;
      if (middle >= DIRECT_MIN_BYTES) direct += middle;
    }
    assert.ok(direct > 0);
    assert.equal(w.directBytes, direct);
  });

  it('leaves small files to the page cache without opening a direct descriptor', () => {
    let opened = 0;
    const w = new DirectWriter({ openDirect: (p) => (opened++, openSync(p, DIRECT_OPEN_FLAGS!)) });
    const content = randomBytes(DIRECT_MIN_BYTES - 1);
    assert.ok(writeRanges(w, content, [[0, content.length]]).equals(content));
    assert.equal(opened, 0);
    assert.equal(w.directBytes, 0);
  });

  it('falls back to the page cache for good when the file system refuses O_DIRECT at open', () => {
    let asked = 0;
    const w = new DirectWriter({
      openDirect: () => {
        asked++;
        throw errno('EINVAL');
      },
    });
    const content = randomBytes(4 * DIRECT_MIN_BYTES + 5);
    assert.ok(writeRanges(w, content, [[0, content.length]]).equals(content));
    assert.ok(writeRanges(w, content, [[0, content.length]]).equals(content));
    assert.equal(asked, 1, 'not asked again after a refusal');
    assert.equal(w.directBytes, 0);
  });

  it('passes on other errors of the open', () => {
    const w = new DirectWriter({
      openDirect: () => {
        throw errno('EMFILE');
      },
    });
    assert.throws(() => w.open(Buffer.from(join(dir, 'x')), 1 << 20), /EMFILE/);
  });

  it('rewrites a range through the page cache when a direct write is refused, and stays there', () => {
    // A staging buffer one byte off page alignment: the kernel refuses the direct write (EINVAL).
    const misaligned = Buffer.from(alignedBuffer(2 * DIRECT_MIN_BYTES + DIRECT_ALIGN).buffer, 1, 2 * DIRECT_MIN_BYTES);
    const w = new DirectWriter({ staging: misaligned });
    const content = randomBytes(5 * DIRECT_MIN_BYTES + 99);
    assert.ok(writeRanges(w, content, [[0, content.length]]).equals(content));
    assert.equal(w.directBytes, 0);
    let opened = 0;
    const again = new DirectWriter({ staging: misaligned, openDirect: (p) => (opened++, openSync(p, DIRECT_OPEN_FLAGS!)) });
    assert.ok(writeRanges(again, content, [[0, content.length]]).equals(content));
    assert.ok(writeRanges(again, content, [[0, content.length]]).equals(content));
    assert.equal(opened, 1, 'no direct descriptor after the refused write');
  });
});
