/**
 * Blobs: the units stored inside packs. A data blob is one file chunk, a tree blob one directory
 * listing. A blob's id is the keyed hash of its plaintext, so equal content is stored once.
 */

import { createHmac } from 'node:crypto';
import { KeyedHash } from '../crypto/hmac.ts';

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

/**
 * Per-type keys for blob ids, derived from the master id key. Separate keys keep a data blob and a
 * tree blob with the same bytes apart (a file whose content is a tree's JSON must not be mistaken
 * for that tree), without any prefix trick a crafted file could imitate.
 */
export interface BlobIdKeys {
  data: KeyedHash;
  tree: KeyedHash;
}

export function deriveBlobIdKeys(idKey: Uint8Array): BlobIdKeys {
  return {
    data: new KeyedHash(createHmac('sha256', idKey).update('envsnap/blob-id/data').digest()),
    tree: new KeyedHash(createHmac('sha256', idKey).update('envsnap/blob-id/tree').digest()),
  };
}

/** The id of a blob: HMAC-SHA256 of its plaintext under its type's key. */
export function blobId(keys: BlobIdKeys, type: BlobType, data: Uint8Array): Buffer {
  return (type === BlobType.tree ? keys.tree : keys.data).digest(data);
}

/** Associated data of a sealed blob: its type byte and id, so a blob cannot be swapped for another. */
export function blobAd(type: BlobType, id: Uint8Array): Buffer {
  const ad = Buffer.allocUnsafe(33);
  ad[0] = type;
  ad.set(id, 1);
  return ad;
}
