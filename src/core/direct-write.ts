/**
 * Direct writes: restored file content that bypasses the page cache (O_DIRECT). A restore writes
 * gigabytes the system will not read again soon; through the page cache every byte is first copied
 * into freshly allocated cache pages (most of a restore's system time), and the shop's own cached
 * files are pushed out to make room. A direct write hands the bytes to the device from our buffer.
 *
 * The device wants the memory, the file offset and the length aligned to its block size, so only
 * the aligned middle of a range goes direct, through a second descriptor opened with O_DIRECT; the
 * unaligned ends (a partial block at each side) go through the ordinary descriptor. The two never
 * touch the same block, and the kernel keeps the page cache coherent with direct writes anyway.
 * Only local block-device file systems get direct writes (directWritesSuit); where one refuses
 * O_DIRECT all the same (EINVAL), everything goes through the ordinary descriptor.
 */
import { constants, openSync, write } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { errnoCode } from './errors.ts';
import { writeAllAt } from './fd-write.ts';
import { BufferPool } from './buffer-pool.ts';

/** Alignment of direct writes: memory, file offset and length (a page; a multiple of common block sizes). */
export const DIRECT_ALIGN = 4096;
/**
 * Ranges with less than this in their aligned middle go through the page cache: a direct write
 * waits for the device, which costs more than copying a few pages.
 */
export const DIRECT_MIN_BYTES = 64 * 1024;
/** open(2) flags of the direct descriptor; undefined where the platform has no O_DIRECT. */
export const DIRECT_OPEN_FLAGS: number | undefined = constants.O_DIRECT === undefined ? undefined : constants.O_WRONLY | constants.O_DIRECT;

/** Whether an error says the file system does not do direct I/O (or not with this alignment). */
function isDirectRefused(err: unknown): boolean {
  return errnoCode(err) === 'EINVAL';
}

/**
 * File systems on local block devices, by statfs(2) type: ext2/3/4, XFS, btrfs, F2FS. Elsewhere a
 * direct write gains nothing or costs more: on NFS or SMB each one is a synchronous round trip to the
 * server (buffered writes are gathered and sent behind), tmpfs and overlay keep the data in memory or
 * hand it on, FUSE file systems may not support it at all.
 */
const DIRECT_FS_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0xf2f52010]);

/** Whether the file system of `dir` is one that direct writes suit (false when it cannot be told). */
export async function directWritesSuit(dir: Buffer | string): Promise<boolean> {
  if (DIRECT_OPEN_FLAGS === undefined) return false;
  try {
    return directFsType((await statfs(dir)).type);
  } catch {
    return false;
  }
}

export function directFsType(type: number): boolean {
  return DIRECT_FS_TYPES.has(type);
}

/** WebAssembly memory, the one allocation JavaScript can get that is always page-aligned. */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum?: number }) => { readonly buffer: ArrayBuffer } };
const WASM_PAGE = 64 * 1024;

/** A page-aligned buffer of at least `bytes` (rounded up to 64 KiB). */
export function alignedBuffer(bytes: number): Buffer {
  return Buffer.from(new WebAssembly.Memory({ initial: Math.ceil(bytes / WASM_PAGE) }).buffer);
}

/** A staging buffer: a 1 MiB piece is a device write of a size that keeps the device busy. */
const STAGING_BYTES = 1024 * 1024;
/**
 * Staging buffers per thread, so several direct writes are in flight: while they wait for the
 * device, the thread decrypts and verifies the next chunks. On the benchmark's restore 4 was about
 * 6% faster than 2 for 5 MiB more peak memory; 8 gained little more for another 7 MiB.
 */
const STAGING_DEPTH = 4;

const alignDown = (n: number) => n - (n % DIRECT_ALIGN);
const alignUp = (n: number) => alignDown(n + DIRECT_ALIGN - 1);

/** Writes buf[0, n) at `pos` through the thread pool, all of it (a short write is continued). */
function writeAllAtAsync(fd: number, buf: Buffer, n: number, pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= n) return resolve();
      write(fd, buf, done, n - done, pos + done, (err, written) => (err ? reject(err) : step(done + written)));
    };
    step(0);
  });
}

/**
 * One thread's direct writing: its aligned staging buffers and whether the file system took direct
 * I/O so far. The ends of a range are written synchronously, the middle through the thread pool, so
 * the calling thread goes on with other work while the device writes.
 */
export class DirectWriter {
  /** Bytes written through direct descriptors so far. */
  directBytes = 0;
  private usable = DIRECT_OPEN_FLAGS !== undefined;
  private readonly staging: BufferPool;
  private readonly openDirect: (path: Buffer) => number;

  /**
   * `staging`: makes an aligned buffer data is copied into for a direct write (default: 1 MiB;
   * larger ranges go in pieces of its size), made on first use, `depth` of them at most (default 4).
   * `openDirect`: opens the direct descriptor.
   */
  constructor(opts: { staging?: () => Buffer; depth?: number; openDirect?: (path: Buffer) => number } = {}) {
    this.staging = new BufferPool(opts.staging ?? (() => alignedBuffer(STAGING_BYTES)), opts.depth ?? STAGING_DEPTH);
    this.openDirect = opts.openDirect ?? ((path) => openSync(path, DIRECT_OPEN_FLAGS!));
  }

  /**
   * A direct descriptor on `path` (already created) for a file of `size` bytes, or undefined: file
   * too small, no O_DIRECT, or the file system refused it (then never asked again).
   */
  open(path: Buffer, size: number): number | undefined {
    if (!this.wants(size)) return undefined;
    try {
      return this.openDirect(path);
    } catch (err) {
      return this.refused(err);
    }
  }

  /** open() for a thread that must not block: `open` opens the direct descriptor (DIRECT_OPEN_FLAGS). */
  async openAsync(size: number, open: () => Promise<number>): Promise<number | undefined> {
    if (!this.wants(size)) return undefined;
    try {
      return await open();
    } catch (err) {
      return this.refused(err);
    }
  }

  /** Whether a file of this size gets a direct descriptor (`usable` is false where there is no O_DIRECT). */
  private wants(size: number): boolean {
    return this.usable && size >= DIRECT_MIN_BYTES;
  }

  private refused(err: unknown): undefined {
    if (!isDirectRefused(err)) throw err;
    this.usable = false;
    return undefined;
  }

  /**
   * Writes the `length` bytes that `produce` makes at `pos`: their aligned middle through `directFd`
   * when given, the rest through `fd`. When the middle goes direct, `produce` runs only once a
   * staging buffer is free (so a thread never holds more made data than it has staging buffers), and
   * `dispose` gets the data as soon as it is copied. Resolves when everything is written.
   */
  async write(fd: number, directFd: number | undefined, pos: number, length: number, produce: () => Uint8Array, dispose: (data: Uint8Array) => void): Promise<void> {
    const end = pos + length;
    const from = alignUp(pos);
    const to = alignDown(end);
    if (directFd === undefined || !this.usable || to - from < DIRECT_MIN_BYTES) {
      const data = produce();
      try {
        writeAllAt(fd, data, 0, data.byteLength, pos);
      } finally {
        dispose(data);
      }
      return;
    }
    const staging = await this.staging.take();
    try {
      const data = produce();
      let held = true;
      try {
        if (from > pos) writeAllAt(fd, data, 0, from - pos, pos);
        if (end > to) writeAllAt(fd, data, to - pos, length, to);
        for (let at = from; at < to; at += staging.byteLength) {
          const n = Math.min(staging.byteLength, to - at);
          staging.set(data.subarray(at - pos, at - pos + n));
          if (at + n >= to) {
            held = false;
            dispose(data);
          }
          await this.writePiece(fd, directFd, staging, n, at);
        }
      } finally {
        if (held) dispose(data);
      }
    } finally {
      this.staging.give(staging);
    }
  }

  /** staging[0, n) → file offset `at`: direct, or through the page cache once direct I/O was refused. */
  private async writePiece(fd: number, directFd: number, staging: Buffer, n: number, at: number): Promise<void> {
    if (this.usable) {
      try {
        await writeAllAtAsync(directFd, staging, n, at);
        this.directBytes += n;
        return;
      } catch (err) {
        if (!isDirectRefused(err)) throw err;
        // Accepted at open, refused at write (an alignment the device does not take): this and
        // every later range go through the page cache.
        this.usable = false;
      }
    }
    writeAllAt(fd, staging, 0, n, at);
  }
}
