/**
 * S3 locations: the `s3://BUCKET/PREFIX` form of a repository location, parsed into a bucket and a
 * key prefix, and printed back without anything secret. Credentials never belong in the URL (they
 * come from the SDK's standard chain), so a URL carrying them is refused without echoing it.
 */
import { EnvsnapError } from '../../core/errors.ts';

export interface S3Location {
  bucket: string;
  /** Key prefix of every object: "" (the bucket's root) or segments ending with "/", e.g. "shop/prod/". */
  prefix: string;
}

/** Whether a repository location names S3 storage (as opposed to a directory). */
export function isS3Url(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/**
 * Bucket names as S3 allows them for new buckets: 3–63 lowercase letters, digits, dots and hyphens,
 * starting and ending with a letter or digit. (Older, laxer names are not supported.)
 */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket` or `s3://bucket/some/prefix[/]`. */
export function parseS3Url(url: string): S3Location {
  const usage = 'write it as s3://BUCKET or s3://BUCKET/PREFIX, with credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE';
  if (!isS3Url(url)) throw new EnvsnapError('INVALID_ARGUMENT', `${url} is not an s3:// location: ${usage}`);
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  if (authority.includes('@')) {
    // userinfo in the URL would be a secret in shell history and in messages: do not repeat it
    throw new EnvsnapError('INVALID_ARGUMENT', `the s3:// repository location must not contain credentials: ${usage}`);
  }
  if (authority.includes(':') || /[?#]/.test(rest)) {
    throw new EnvsnapError('INVALID_ARGUMENT', `repository location ${url} has a port, query or fragment: ${usage}; the endpoint comes from AWS_ENDPOINT_URL_S3`);
  }
  const bucket = authority;
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new EnvsnapError(
      'INVALID_ARGUMENT',
      `"${bucket}" in ${url} is not a valid bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit`,
    );
  }
  const segments = (slash < 0 ? '' : rest.slice(slash + 1)).split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || s.includes('\\') || s.includes('\0'))) {
    throw new EnvsnapError('INVALID_ARGUMENT', `the prefix of ${url} contains "." or ".." segments or a backslash: name the folder plainly`);
  }
  return { bucket, prefix: segments.length === 0 ? '' : `${segments.join('/')}/` };
}

/** The canonical location string: `s3://bucket` or `s3://bucket/prefix` (no trailing slash). */
export function formatS3Location(loc: S3Location): string {
  return loc.prefix === '' ? `s3://${loc.bucket}` : `s3://${loc.bucket}/${loc.prefix.slice(0, -1)}`;
}
