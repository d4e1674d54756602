/**
 * Blob codec: plaintext ⇄ stored bytes. Sealing compresses with zstd unless a sample shows the data
 * does not compress (media files), then encrypts with the blob's type and id as associated data.
 * Opening decrypts, decompresses and re-computes the keyed hash, so every restored byte is checked
 * against the id it was asked for.
 */
import { zstdCompressSync, zstdDecompressSync, constants } from 'node:zlib';
import { seal, open } from '../crypto/aead.ts';
import { EnvsnapError } from '../core/errors.ts';
import { releaseBacking, UNPOOLED_BYTES } from '../core/memory.ts';
import { BlobFlags, blobAd, blobId, type BlobIdKeys, type BlobType } from './blob.ts';

const SAMPLE = 16 * 1024;
/** Below this a byte histogram says little; such blobs are simply compressed. */
const MIN_SAMPLE = 1024;
const ZSTD_LEVEL = 3;
/**
 * Bits per byte above which a sample counts as already compressed. Text, SQL and JSON measure 4.5–6,
 * base64 6; JPEG, PNG, WebP, gzip and encrypted data 7.9–8.0.
 */
const INCOMPRESSIBLE_ENTROPY = 7.5;
const counts = new Uint32Array(256);

/**
 * Whether compressing is worth a try: the byte entropy of a sample from the middle of the chunk. It
 * costs a pass over 16 KiB and allocates nothing (a trial compression would allocate a compressor
 * for every chunk of every media file).
 */
function compressible(data: Uint8Array): boolean {
  const n = Math.min(SAMPLE, data.byteLength);
  if (n < MIN_SAMPLE) return true;
  const from = (data.byteLength - n) >> 1;
  counts.fill(0);
  for (let i = from; i < from + n; i++) counts[data[i]]++;
  let bits = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b];
    if (c !== 0) bits -= c * Math.log2(c / n);
  }
  return bits / n < INCOMPRESSIBLE_ENTROPY;
}

export function sealBlob(encKey: Uint8Array, type: BlobType, id: Uint8Array, data: Uint8Array): { sealed: Buffer; flags: number } {
  let body: Uint8Array = data;
  let flags = 0;
  if (data.byteLength > 64 && compressible(data)) {
    // One output chunk the size of the input: the result is a view into it, released below as a
    // whole (zlib's default 64 KiB chunks would leave a trail of them for the collector).
    const z = zstdCompressSync(data, { chunkSize: Math.max(UNPOOLED_BYTES, data.byteLength + 64), params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
    if (z.length < data.byteLength * 0.97) {
      body = z;
      flags |= BlobFlags.zstd;
    } else {
      releaseBacking(z);
    }
  }
  const sealed = seal(encKey, body, blobAd(type, id));
  if (body !== data) releaseBacking(body);
  return { sealed, flags };
}

export function openBlob(
  keys: { encrypt: Uint8Array; ids: BlobIdKeys },
  type: BlobType,
  id: Uint8Array,
  flags: number,
  rawLength: number,
  sealed: Uint8Array,
): Buffer {
  const hex = Buffer.from(id).toString('hex');
  const body = open(keys.encrypt, sealed, blobAd(type, id), `blob ${hex}`);
  let plain = body;
  if (flags & BlobFlags.zstd) {
    // One output chunk a byte larger than the expected size, not taken from Buffer's shared pool: the
    // result then owns its buffer (it can be handed to another thread without a copy, and released),
    // a longer output fails the check below, and zlib does not allocate a next chunk (as it would
    // after filling one exactly, leaving it to the collector).
    plain = zstdDecompressSync(body, { chunkSize: Math.max(UNPOOLED_BYTES, rawLength + 1), maxOutputLength: rawLength + 1 });
    releaseBacking(body);
  }
  if (plain.length !== rawLength || !blobId(keys.ids, type, plain).equals(Buffer.from(id))) {
    throw new EnvsnapError('CORRUPT', `blob ${hex} does not match its id: run "envsnap check --read-data"`);
  }
  return plain;
}
