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
 * Where the file system refuses O_DIRECT (EINVAL), everything goes through the ordinary descriptor.
 */
import { constants, openSync } from 'node:fs';
import { errnoCode } from './errors.ts';
import { writeAllAt } from './fd-write.ts';

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
export function isDirectRefused(err: unknown): boolean {
  return errnoCode(err) === 'EINVAL';
}

/** Whether a file of this size gets a direct descriptor at all. */
export function wantsDirect(size: number): boolean {
  return DIRECT_OPEN_FLAGS !== undefined && size >= DIRECT_MIN_BYTES;
}

/** WebAssembly memory, the one allocation JavaScript can get that is always page-aligned. */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum?: number }) => { readonly buffer: ArrayBuffer } };
const WASM_PAGE = 64 * 1024;

/** A page-aligned buffer of at least `bytes` (rounded up to 64 KiB). */
export function alignedBuffer(bytes: number): Buffer {
  return Buffer.from(new WebAssembly.Memory({ initial: Math.ceil(bytes / WASM_PAGE) }).buffer);
}

/** The staging buffer: a 1 MiB piece is a device write of a size that keeps the device busy. */
const STAGING_BYTES = 1024 * 1024;

const alignDown = (n: number) => n - (n % DIRECT_ALIGN);
const alignUp = (n: number) => alignDown(n + DIRECT_ALIGN - 1);

/**
 * One thread's direct writing: its aligned staging buffer and whether the file system took direct
 * I/O so far. Writes are synchronous (worker threads); the main thread only opens descriptors.
 */
export class DirectWriter {
  /** Bytes written through direct descriptors so far. */
  directBytes = 0;
  private usable = DIRECT_OPEN_FLAGS !== undefined;
  private staging: Buffer | undefined;
  private readonly openDirect: (path: Buffer) => number;

  /**
   * `staging`: the aligned buffer data is copied into for a direct write (default: 1 MiB, made on
   * first use; larger ranges go in pieces of its size). `openDirect`: opens the direct descriptor.
   */
  constructor(opts: { staging?: Buffer; openDirect?: (path: Buffer) => number } = {}) {
    this.staging = opts.staging;
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

  private wants(size: number): boolean {
    return this.usable && wantsDirect(size);
  }

  private refused(err: unknown): undefined {
    if (!isDirectRefused(err)) throw err;
    this.usable = false;
    return undefined;
  }

  /** Writes all of `data` at `pos`: its aligned middle through `directFd` when given, the rest through `fd`. */
  write(fd: number, directFd: number | undefined, data: Uint8Array, pos: number): void {
    const end = pos + data.byteLength;
    const from = alignUp(pos);
    const to = alignDown(end);
    if (directFd === undefined || !this.usable || to - from < DIRECT_MIN_BYTES) return writeAllAt(fd, data, 0, data.byteLength, pos);
    if (from > pos) writeAllAt(fd, data, 0, from - pos, pos);
    this.writeMiddle(fd, directFd, data, from - pos, to - pos, from);
    if (end > to) writeAllAt(fd, data, to - pos, data.byteLength, to);
  }

  /** data[start, stop) → file offset `at`, all aligned, in staging-sized pieces. */
  private writeMiddle(fd: number, directFd: number, data: Uint8Array, start: number, stop: number, at: number): void {
    this.staging ??= alignedBuffer(STAGING_BYTES);
    const staging = this.staging;
    for (let off = start; off < stop; off += staging.byteLength) {
      const n = Math.min(staging.byteLength, stop - off);
      staging.set(data.subarray(off, off + n));
      try {
        writeAllAt(directFd, staging, 0, n, at + (off - start));
        this.directBytes += n;
      } catch (err) {
        if (!isDirectRefused(err)) throw err;
        // Accepted at open, refused at write (an alignment the device does not take): this and
        // every later range go through the page cache.
        this.usable = false;
        writeAllAt(fd, data, off, stop, at + (off - start));
        return;
      }
    }
  }
}
