/** The mapping of S3 failures to EnvsnapError codes and messages, on errors shaped as the SDK throws them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvsnapError } from '../../core/errors.ts';
import { isMissingObject, isNetworkError, mapS3Error, type S3ErrorContext } from './s3-errors.ts';

const ctx: S3ErrorContext = { action: 'read config', bucket: 'shop-backups', location: 's3://shop-backups/prod', endpoint: 'http://127.0.0.1:8080' };

/** An error as the SDK throws for an S3 answer: name = the S3 code, $metadata with the status. */
function sdkError(name: string, status: number, message = `${name} message`, attempts = 1): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, attempts } });
}

function netError(code: string, message = `connect ${code} 127.0.0.1:8080`): Error {
  return Object.assign(new Error(message), { code, $metadata: { attempts: 3 } });
}

describe('mapS3Error', () => {
  const cases: [string, unknown, string, RegExp[]][] = [
    ['NoSuchKey', sdkError('NoSuchKey', 404), 'NOT_FOUND', [/read config/, /s3:\/\/shop-backups\/prod/]],
    ['a bodiless 404 (HEAD)', sdkError('NotFound', 404), 'NOT_FOUND', []],
    ['NoSuchBucket', sdkError('NoSuchBucket', 404), 'NO_REPOSITORY', [/bucket shop-backups does not exist at http:\/\/127\.0\.0\.1:8080/, /envsnap init --repo s3:\/\/shop-backups\/prod/]],
    ['InvalidAccessKeyId', sdkError('InvalidAccessKeyId', 403), 'STORAGE_DENIED', [/bucket shop-backups/, /credentials were refused;/, /AWS_ACCESS_KEY_ID/]],
    ['SignatureDoesNotMatch', sdkError('SignatureDoesNotMatch', 403), 'STORAGE_DENIED', [/\(SignatureDoesNotMatch\)/, /credentials were refused;/]],
    ['AccessDenied', sdkError('AccessDenied', 403), 'STORAGE_DENIED', [/refused or lack permission/]],
    ['a bodiless 403 (HEAD)', sdkError('Unknown', 403), 'STORAGE_DENIED', [/\(HTTP 403\)/]],
    ['no credentials anywhere', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'STORAGE_DENIED', [/no S3 credentials found for bucket shop-backups \(to read config\)/, /AWS_PROFILE/]],
    ['connection refused', netError('ECONNREFUSED'), 'IO', [/cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:8080 \(ECONNREFUSED after 3 attempts\)/, /read config in bucket shop-backups \(s3:\/\/shop-backups\/prod\)/]],
    ['a reset connection', netError('ECONNRESET', 'socket hang up'), 'IO', [/cannot reach the S3 endpoint .* in bucket shop-backups/]],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'IO', [/cannot reach the S3 endpoint .* \(TimeoutError\)/]],
    ['503 SlowDown after retries', sdkError('SlowDown', 503, 'Please reduce your request rate.', 8), 'IO', [/failed to read config in bucket shop-backups .*\(SlowDown after 8 attempts\): try again later/]],
    ['500', sdkError('InternalError', 500), 'IO', [/\(InternalError\)/]],
    ['a full bucket', sdkError('InsufficientStorage', 507), 'NO_SPACE', [/no space left in bucket shop-backups/]],
    ['BadDigest', sdkError('BadDigest', 400), 'IO', [/received damaged data/, /nothing was stored/]],
    ['another region', sdkError('PermanentRedirect', 301), 'IO', [/AWS_REGION/]],
    ['a bad bucket name', sdkError('InvalidBucketName', 400), 'INVALID_ARGUMENT', [/does not accept the bucket name shop-backups/]],
    ['another 4xx', sdkError('InvalidArgument', 400, 'Bad thing\nwith lines'), 'IO', [/S3 error, cannot read config in bucket shop-backups \(s3:\/\/shop-backups\/prod\) \(InvalidArgument\): Bad thing with lines/]],
  ];
  for (const [what, err, code, messages] of cases) {
    it(`maps ${what} to ${code}`, () => {
      const mapped = mapS3Error(err, ctx);
      assert.equal(mapped.code, code, mapped.message);
      for (const m of messages) assert.match(mapped.message, m);
      assert.doesNotMatch(mapped.message, /\n/, 'one line');
      assert.equal(mapped.cause, err);
    });
  }

  it('passes an EnvsnapError through unchanged', () => {
    const original = new EnvsnapError('CORRUPT', 'bad');
    assert.equal(mapS3Error(original, ctx), original);
  });

  it('classifies network failures and missing objects', () => {
    assert.equal(isNetworkError(netError('ECONNREFUSED')), true);
    assert.equal(isNetworkError(Object.assign(new Error('wrapped'), { cause: netError('EPIPE') })), true);
    assert.equal(isNetworkError(sdkError('InternalError', 500)), false, 'the server answered');
    assert.equal(isMissingObject(sdkError('NoSuchKey', 404)), true);
    assert.equal(isMissingObject(sdkError('NoSuchBucket', 404)), false);
  });
});
