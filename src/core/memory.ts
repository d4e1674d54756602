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
 * Releases the whole ArrayBuffer under `d`, even when `d` is a view of part of it — for a result
 * whose producer is gone (the output of a one-shot zstd call is a view into the compressor's output
 * chunk), never for a view into a buffer that is still used.
 */
export function releaseBacking(d: Uint8Array): void {
  // Buffer's pool slabs (Buffer.poolSize bytes) are shared by unrelated small Buffers.
  if (d.buffer.byteLength > Buffer.poolSize) detach(d.buffer);
}
