/**
 * S3 error mapping: every failure of an S3 call becomes one EnvsnapError with a stable code and a
 * one-line message naming the bucket (or the endpoint, for network failures) and what to do next.
 * The one place that reads SDK error shapes (`name`, `$metadata.httpStatusCode`, Node's `code`).
 * Messages never carry credentials: the SDK's error text is the server's <Message>, and endpoints
 * are shown without user info (describeEndpoint).
 */
import { EnvsnapError, errnoCode } from '../../core/errors.ts';

export interface S3ErrorContext {
  /** What was being done, as a verb phrase: "read data/1a2b…", "list keys/", "create the bucket". */
  action: string;
  bucket: string;
  /** The repository location, `s3://bucket/prefix`. */
  location: string;
  /** The endpoint as shown to users (describeEndpoint). */
  endpoint: string;
}

/** Node's codes for a connection that failed or broke (the SDK retries these first). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const DENIED = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidSecurity',
]);

/** The credentials themselves were not accepted (as opposed to: accepted, but without permission). */
const BAD_CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired']);

function errorName(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const e = err as { name?: unknown; Code?: unknown };
  // The SDK names an error by the S3 code in the body; bodiless answers (HEAD) get a generic name.
  if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
  return typeof e.name === 'string' ? e.name : '';
}

/** The HTTP status of an SDK error, or undefined when no answer came (a network failure). */
export function httpStatus(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Whether a failure is the connection's (refused, reset, timed out, name not resolved), not an answer of the server. */
export function isNetworkError(err: unknown): boolean {
  if (httpStatus(err) !== undefined) return false;
  const code = errnoCode(err);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  const name = errorName(err);
  if (name === 'TimeoutError' || name === 'RequestTimeout') return true;
  const message = err instanceof Error ? err.message : '';
  return /socket hang up|aborted|premature close|other side closed/i.test(message) || (err instanceof Error && err.cause !== undefined && isNetworkError(err.cause));
}

/** Whether an error means "no such object" (GET/HEAD of a missing key), as opposed to a missing bucket. */
export function isMissingObject(err: unknown): boolean {
  const name = errorName(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(err) === 404;
}

/** Whether an error means the bucket does not exist. */
export function isMissingBucket(err: unknown): boolean {
  return errorName(err) === 'NoSuchBucket';
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

function attemptsNote(err: unknown): string {
  const attempts = (err as { $metadata?: { attempts?: unknown } } | null)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 1 ? ` after ${attempts} attempts` : '';
}

/** NO_REPOSITORY for a bucket that does not exist, saying how to create it. */
export function missingBucket(ctx: Omit<S3ErrorContext, 'action'>, opts?: { cause?: unknown }): EnvsnapError {
  return new EnvsnapError(
    'NO_REPOSITORY',
    `bucket ${ctx.bucket} does not exist at ${ctx.endpoint}: create the repository with "envsnap init --repo ${ctx.location}", or check --repo / ENVSNAP_REPO and AWS_ENDPOINT_URL_S3`,
    opts,
  );
}

export function mapS3Error(err: unknown, ctx: S3ErrorContext): EnvsnapError {
  if (err instanceof EnvsnapError) return err;
  const name = errorName(err);
  const status = httpStatus(err);
  const detail = oneLine(err instanceof Error ? err.message : String(err));
  const why = name && name !== 'Unknown' && name !== 'UnknownError' ? name : status !== undefined ? `HTTP ${status}` : 'no answer';
  const opts = { cause: err };
  const where = `bucket ${ctx.bucket} (${ctx.location})`;

  if (name === 'CredentialsProviderError' || name === 'CredentialsProviderErrorMissing') {
    return new EnvsnapError(
      'STORAGE_DENIED',
      `no S3 credentials found for bucket ${ctx.bucket} (to ${ctx.action}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`,
      opts,
    );
  }
  if (status === undefined && isNetworkError(err)) {
    const code = errnoCode(err) ?? (name || 'connection failed');
    return new EnvsnapError(
      'IO',
      `cannot reach the S3 endpoint ${ctx.endpoint} (${code}${attemptsNote(err)}) to ${ctx.action} in ${where}: check that the server is up, the endpoint (AWS_ENDPOINT_URL_S3, or s3.endpoint in envsnap.yaml) and the network, then run again`,
      opts,
    );
  }
  if (name === 'NoSuchBucket') {
    return missingBucket(ctx, opts);
  }
  if (DENIED.has(name) || status === 401 || status === 403) {
    const what = BAD_CREDENTIALS.has(name) ? 'the credentials were refused' : 'the credentials were refused or lack permission for it';
    return new EnvsnapError(
      'STORAGE_DENIED',
      `${ctx.endpoint} denied access to bucket ${ctx.bucket} (${why}) to ${ctx.action}: ${what}; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and the bucket's policy`,
      opts,
    );
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || status === 404) {
    return new EnvsnapError('NOT_FOUND', `cannot ${ctx.action}: it does not exist in ${ctx.location}`, opts);
  }
  if (name === 'InvalidBucketName') {
    return new EnvsnapError('INVALID_ARGUMENT', `${ctx.endpoint} does not accept the bucket name ${ctx.bucket}: choose another name in --repo`, opts);
  }
  if (name === 'BucketAlreadyExists') {
    return new EnvsnapError('INVALID_ARGUMENT', `bucket name ${ctx.bucket} is taken by another account at ${ctx.endpoint}: choose another name in --repo`, opts);
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || name === 'IllegalLocationConstraintException' || status === 301) {
    return new EnvsnapError('IO', `bucket ${ctx.bucket} is in another region than the one configured (${why}): set AWS_REGION to the bucket's region`, opts);
  }
  if (name === 'RequestTimeTooSkewed') {
    return new EnvsnapError('IO', `${ctx.endpoint} refused to ${ctx.action} because this machine's clock is off (${why}): set the system time (NTP) and run again`, opts);
  }
  if (name === 'QuotaExceeded' || name === 'InsufficientStorage' || status === 507) {
    return new EnvsnapError('NO_SPACE', `no space left in bucket ${ctx.bucket} at ${ctx.endpoint} (${why}) to ${ctx.action}: free space or raise the quota, and run again`, opts);
  }
  if (name === 'BadDigest' || name === 'InvalidDigest') {
    return new EnvsnapError('IO', `${ctx.endpoint} received damaged data when asked to ${ctx.action} in ${where} (${why}): nothing was stored; run again`, opts);
  }
  if (status !== undefined && status >= 500) {
    return new EnvsnapError(
      'IO',
      `the S3 endpoint ${ctx.endpoint} failed to ${ctx.action} in ${where} (${why}${attemptsNote(err)}): try again later`,
      opts,
    );
  }
  return new EnvsnapError('IO', `S3 error, cannot ${ctx.action} in ${where} (${why}): ${detail}`, opts);
}
