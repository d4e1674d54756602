/**
 * Prompt release of large buffers. The hot path allocates a buffer per chunk (read, compressed,
 * encrypted) and hands some of them to another thread. V8 frees an ArrayBuffer's memory only when a
 * garbage collection finds it unreachable, and with a JavaScript heap of a few MiB that collection
 * comes late: peak memory would follow the data volume, and forcing collections costs more CPU than
 * the rest of a worker's work. Detaching an ArrayBuffer (transferring it to length 0) drops its
 * memory at once, so the hot path releases each large buffer the moment it is done with it.
 *
 * The caller must hold the only reference still in use; a pending asynchronous write that reads the
 * buffer counts as one.
 */

function detach(ab: ArrayBufferLike): void {
  if (!(ab instanceof SharedArrayBuffer) && !ab.detached) ab.transfer(0);
}

/**
 * Releases buffers that alone span their whole ArrayBuffer. Views into Buffer's shared pool (or into
 * any larger allocation) are left to the collector.
 */
export function release(...buffers: (Uint8Array | undefined)[]): void {
  for (const d of buffers) if (d && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength) detach(d.buffer);
}

/** Releases every buffer of a list (pack parts written, say). */
export function releaseAll(buffers: readonly Uint8Array[]): void {
  for (const d of buffers) release(d);
}

/**
 * The smallest size Buffer.allocUnsafe serves from its own allocation rather than a slice of its
 * shared pool (zlib allocates its output chunks that way): give one-shot zlib calls at least this
 * chunk size and their output can be released.
 */
export const UNPOOLED_BYTES = Buffer.poolSize >>> 1;

/**
 * Releases the whole ArrayBuffer under `d`, even when `d` is a view of part of it — for a result
 * whose producer is gone (the output of a one-shot zstd call is a view into the compressor's output
 * chunk), never for a view into a buffer that is still used. Small results left unreleased become
 * garbage that only a collection frees, and the collector, seeing a small heap, comes late: across
 * thousands of small files that was tens of MiB per worker.
 */
export function releaseBacking(d: Uint8Array): void {
  if (ownsBacking(d)) detach(d.buffer);
}

/**
 * Whether the ArrayBuffer under `d` belongs to `d` alone, given that its producer is gone: anything
 * but a slab of Buffer's pool (exactly Buffer.poolSize bytes, shared by unrelated small Buffers) or
 * shared memory. Such a buffer can be released, or transferred to another thread whole.
 */
export function ownsBacking(d: Uint8Array): boolean {
  const ab = d.buffer;
  if (ab instanceof SharedArrayBuffer) return false;
  return (d.byteOffset === 0 && d.byteLength === ab.byteLength) || ab.byteLength !== Buffer.poolSize;
}
