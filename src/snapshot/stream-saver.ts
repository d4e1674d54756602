/**
 * saveStream: a byte stream (a table's rows, a Redis keyspace) → the chunk ids of one file. The
 * stream is cut on the main thread with the repository's content-defined chunker, so equal runs of
 * bytes give equal chunks wherever they sit in the stream, and each chunk goes to the BlobSaver
 * (hash, dedup, then compress and seal on a worker). Memory: one window of 2 × the maximum chunk
 * size; each byte is moved inside it at most once. Backpressure comes from the saver: `save`
 * resolves only when there is room for the chunk.
 */
import type { BlobSaver } from '../repo/blob-saver.ts';
import { BlobType } from '../repo/blob.ts';
import type { Chunker } from '../repo/chunker.ts';

export interface SavedStream {
  /** Hex chunk ids, in order. */
  content: string[];
  size: number;
}

export async function saveStream(saver: BlobSaver, chunker: Chunker, data: AsyncIterable<Uint8Array> | Uint8Array, onBytes?: (n: number) => void): Promise<SavedStream> {
  const max = chunker.params.max;
  const content: string[] = [];
  let size = 0;
  const emit = async (chunk: Uint8Array) => {
    // The saver may hand the bytes to a worker: give it a copy it owns.
    const { id } = await saver.save(BlobType.data, Buffer.from(chunk));
    content.push(id.toString('hex'));
    size += chunk.byteLength;
    onBytes?.(chunk.byteLength);
  };
  if (data instanceof Uint8Array) {
    for (let start = 0; start < data.byteLength; ) {
      const n = chunker.cut(data, start, data.byteLength);
      await emit(data.subarray(start, start + n));
      start += n;
    }
    return { content, size };
  }
  const window = Buffer.allocUnsafe(2 * max);
  let start = 0;
  let end = 0;
  for await (const piece of data) {
    let off = 0;
    while (off < piece.byteLength) {
      if (end === window.length) {
        window.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      const n = Math.min(piece.byteLength - off, window.length - end);
      window.set(piece.subarray(off, off + n), end);
      end += n;
      off += n;
      while (end - start >= max) {
        const len = chunker.cut(window, start, end);
        await emit(window.subarray(start, start + len));
        start += len;
      }
    }
  }
  while (start < end) {
    const len = chunker.cut(window, start, end);
    await emit(window.subarray(start, start + len));
    start += len;
  }
  return { content, size };
}
