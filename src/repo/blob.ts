/**
 * Blobs: the units stored inside packs. A data blob is one file chunk, a tree blob one directory
 * listing. A blob's id is the keyed hash of its plaintext, so equal content is stored once.
 */

export const BlobType = { data: 0, tree: 1 } as const;
export type BlobType = (typeof BlobType)[keyof typeof BlobType];

/** Flag bits of a stored blob. */
export const BlobFlags = { zstd: 1 } as const;

/** Where a blob lives and how it is stored. */
export interface BlobLocation {
  type: BlobType;
  flags: number;
  /** 32-byte keyed hash of the plaintext. */
  id: Buffer;
  packId: string;
  offset: number;
  /** Stored (sealed) length. */
  length: number;
  /** Plaintext length. */
  rawLength: number;
}

/** Associated data of a sealed blob: its type byte and id, so a blob cannot be swapped for another. */
export function blobAd(type: BlobType, id: Uint8Array): Buffer {
  const ad = Buffer.allocUnsafe(33);
  ad[0] = type;
  ad.set(id, 1);
  return ad;
}
