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

/**
 * The SHA-256 of request bodies whose hash the store already computed, for the request signer:
 * Signature V4 signs the payload's SHA-256 (x-amz-content-sha256), and when that header is set the
 * signer takes it instead of hashing a body of up to 32 MiB again.
 */
export const payloadSha256 = new WeakMap<Uint8Array, string>();

/**
 * The digests of an upload's body: Content-MD5, and the SHA-256 — computed on the thread pool
 * (WebCrypto) meanwhile, off the event loop — which is also remembered for the request signer.
 */
export async function uploadDigests(body: Uint8Array): Promise<{ md5: string; sha256: string }> {
  const hashing = crypto.subtle.digest('SHA-256', body);
  const md5 = contentMd5(body);
  const sha256 = Buffer.from(await hashing).toString('hex');
  payloadSha256.set(body, sha256);
  return { md5, sha256 };
}
