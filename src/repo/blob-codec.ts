/**
 * Blob codec: plaintext ⇄ stored bytes. Sealing compresses with zstd unless a sample shows the data
 * does not compress (media files), then encrypts with the blob's type and id as associated data.
 * Opening decrypts, decompresses and re-computes the keyed hash, so every restored byte is checked
 * against the id it was asked for.
 */
import { zstdCompressSync, zstdDecompressSync, constants } from 'node:zlib';
import { seal, open } from '../crypto/aead.ts';
import { EnvsnapError } from '../core/errors.ts';
import { BlobFlags, blobAd, blobId, type BlobIdKeys, type BlobType } from './blob.ts';

const SAMPLE = 16 * 1024;
const ZSTD_LEVEL = 3;

function compressible(data: Uint8Array): boolean {
  if (data.byteLength <= SAMPLE * 2) return true;
  const mid = Math.floor(data.byteLength / 2);
  const sample = data.subarray(mid, mid + SAMPLE);
  const out = zstdCompressSync(sample, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });
  return out.length < SAMPLE * 0.9;
}

export function sealBlob(encKey: Uint8Array, type: BlobType, id: Uint8Array, data: Uint8Array): { sealed: Buffer; flags: number } {
  let body: Uint8Array = data;
  let flags = 0;
  if (data.byteLength > 64 && compressible(data)) {
    const z = zstdCompressSync(data, { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
    if (z.length < data.byteLength * 0.97) {
      body = z;
      flags |= BlobFlags.zstd;
    }
  }
  return { sealed: seal(encKey, body, blobAd(type, id)), flags };
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
  const plain = flags & BlobFlags.zstd ? zstdDecompressSync(body, { maxOutputLength: rawLength + 1 }) : body;
  if (plain.length !== rawLength || !blobId(keys.ids, type, plain).equals(Buffer.from(id))) {
    throw new EnvsnapError('CORRUPT', `blob ${hex} does not match its id: run "envsnap check --read-data"`);
  }
  return plain;
}
