/**
 * Object digests for S3 integrity checks: Content-MD5 (base64 MD5 of a request body, checked by the
 * server, which refuses a body that arrived different) and the SHA-256 the store keeps in an
 * object's `x-amz-meta-sha256` and checks whole-object reads against. See docs/FORMAT.md.
 */
import { createHash } from 'node:crypto';
import type { BlobData } from '../blob-store.ts';

/** Metadata key (sent as the header x-amz-meta-sha256) holding the lowercase hex SHA-256 of the object. */
export const SHA256_METADATA = 'sha256';

function digest(algorithm: 'md5' | 'sha256', data: BlobData): ReturnType<typeof createHash> {
  const h = createHash(algorithm);
  for (const part of data instanceof Uint8Array ? [data] : data) h.update(part);
  return h;
}

export function contentMd5(data: BlobData): string {
  return digest('md5', data).digest('base64');
}

export function sha256Hex(data: BlobData): string {
  return digest('sha256', data).digest('hex');
}
