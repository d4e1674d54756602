import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DIRECT_ALIGN, DIRECT_MIN_BYTES, DIRECT_OPEN_FLAGS, DirectWriter, alignedBuffer, directFsType, directWritesSuit } from './direct-write.ts';

const errno = (code: string) => Object.assign(new Error(`${code}: refused`), { code });

describe('DirectWriter', () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'envsnap-direct-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Writes `ranges` of `content` through `w`, all started at once in the given order; returns the
   * file's bytes. Checks that every range's data is made once and disposed of once.
   */
  async function writeRanges(w: DirectWriter, content: Buffer, ranges: [number, number][]): Promise<Buffer> {
    const path = Buffer.from(join(dir, `f${++n}`));
    const fd = openSync(path, 'wx', 0o600);
    const directFd = w.open(path, content.length);
    let made = 0;
    const disposed = new Set<Uint8Array>();
    try {
      await Promise.all(
        ranges.map(([from, to]) =>
          w.write(
            fd,
            directFd,
            from,
            to - from,
            () => (made++, Buffer.from(content.subarray(from, to))),
            (d) => disposed.add(d),
          ),
        ),
      );
    } finally {
      if (directFd !== undefined) closeSync(directFd);
      closeSync(fd);
    }
    assert.equal(made, ranges.length);
    assert.equal(disposed.size, ranges.length);
    return readFileSync(path);
  }

  it('gives page-aligned buffers (the kernel refuses direct writes from others)', async () => {
    const w = new DirectWriter();
    const content = randomBytes(3 * DIRECT_MIN_BYTES);
    assert.ok((await writeRanges(w, content, [[0, content.length]])).equals(content));
    assert.equal(w.directBytes, content.length, 'an aligned file is written direct in full');
    assert.equal(alignedBuffer(1).byteLength, 64 * 1024);
  });

  it('writes unaligned ranges in any order byte for byte, the aligned middles direct', async () => {
    // Small staging buffers, one at a time: the ranges wait for each other, one range needs several pieces.
    const w = new DirectWriter({ staging: () => alignedBuffer(DIRECT_MIN_BYTES * 2), depth: 1 });
    const content = randomBytes(3 * 1024 * 1024 + 1234);
    // Chunk-like boundaries: none aligned, some ranges below the minimum, one larger than the staging buffer.
    const cuts = [0, 777, 70_001, 200_123, 1_400_321, 1_420_000, 2_999_999, content.length];
    const ranges = cuts.slice(1).map((to, i): [number, number] => [cuts[i], to]).reverse();
    assert.ok((await writeRanges(w, content, ranges)).equals(content));
    let direct = 0;
    for (const [from, to] of ranges) {
      const middle = Math.floor(to / DIRECT_ALIGN) * DIRECT_ALIGN - Math.ceil(from / DIRECT_ALIGN) * DIRECT_ALIGN;
      if (middle >= DIRECT_MIN_BYTES) direct += middle;
    }
    assert.ok(direct > 0);
    assert.equal(w.directBytes, direct);
  });

  it('makes a range only when a staging buffer is free, so at most `depth` are held while the device writes', async () => {
    let stagings = 0;
    const w = new DirectWriter({ staging: () => (stagings++, alignedBuffer(DIRECT_MIN_BYTES)), depth: 2 });
    const content = randomBytes(8 * 2 * DIRECT_MIN_BYTES);
    const path = Buffer.from(join(dir, `f${++n}`));
    const fd = openSync(path, 'wx', 0o600);
    const directFd = w.open(path, content.length);
    let held = 0;
    let most = 0;
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => {
          const from = i * 2 * DIRECT_MIN_BYTES;
          const make = () => {
            most = Math.max(most, ++held);
            return content.subarray(from, from + 2 * DIRECT_MIN_BYTES);
          };
          return w.write(fd, directFd, from, 2 * DIRECT_MIN_BYTES, make, () => held--);
        }),
      );
    } finally {
      if (directFd !== undefined) closeSync(directFd);
      closeSync(fd);
    }
    assert.ok(readFileSync(path).equals(content));
    assert.equal(w.directBytes, content.length);
    assert.equal(stagings, 2);
    assert.equal(most, 2);
  });

  it('leaves small files to the page cache without opening a direct descriptor', async () => {
    let opened = 0;
    const w = new DirectWriter({ openDirect: (p) => (opened++, openSync(p, DIRECT_OPEN_FLAGS!)) });
    const content = randomBytes(DIRECT_MIN_BYTES - 1);
    assert.ok((await writeRanges(w, content, [[0, content.length]])).equals(content));
    assert.equal(opened, 0);
    assert.equal(w.directBytes, 0);
  });

  it('falls back to the page cache for good when the file system refuses O_DIRECT at open', async () => {
    let asked = 0;
    const w = new DirectWriter({
      openDirect: () => {
        asked++;
        throw errno('EINVAL');
      },
    });
    const content = randomBytes(4 * DIRECT_MIN_BYTES + 5);
    assert.ok((await writeRanges(w, content, [[0, content.length]])).equals(content));
    assert.ok((await writeRanges(w, content, [[0, content.length]])).equals(content));
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

  it('rewrites a range through the page cache when a direct write is refused, and stays there', async () => {
    // A staging buffer one byte off page alignment: the kernel refuses the direct write (EINVAL).
    const misaligned = () => Buffer.from(alignedBuffer(2 * DIRECT_MIN_BYTES + DIRECT_ALIGN).buffer, 1, 2 * DIRECT_MIN_BYTES);
    const w = new DirectWriter({ staging: misaligned });
    const content = randomBytes(5 * DIRECT_MIN_BYTES + 99);
    assert.ok((await writeRanges(w, content, [[0, content.length]])).equals(content));
    assert.equal(w.directBytes, 0);
    let opened = 0;
    const again = new DirectWriter({ staging: misaligned, openDirect: (p) => (opened++, openSync(p, DIRECT_OPEN_FLAGS!)) });
    assert.ok((await writeRanges(again, content, [[0, content.length]])).equals(content));
    assert.ok((await writeRanges(again, content, [[0, content.length]])).equals(content));
    assert.equal(opened, 1, 'no direct descriptor after the refused write');
  });

  it('suits local block-device file systems only', async () => {
    for (const [name, type] of [['ext4', 0xef53], ['xfs', 0x58465342], ['btrfs', 0x9123683e], ['f2fs', 0xf2f52010]] as const) assert.equal(directFsType(type), true, name);
    for (const [name, type] of [['nfs', 0x6969], ['smb2', 0xfe534d42], ['cifs', 0xff534d42], ['tmpfs', 0x01021994], ['overlay', 0x794c7630], ['fuse', 0x65735546], ['zfs', 0x2fc12fc1]] as const) {
      assert.equal(directFsType(type), false, name);
    }
    assert.equal(await directWritesSuit('/dev/shm'), false, 'tmpfs');
    assert.equal(await directWritesSuit(join(dir, 'missing')), false, 'a path that cannot be looked at');
  });
});
