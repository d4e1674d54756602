import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { formatS3Location, isS3Url, parseS3Url } from './s3-location.ts';

describe('parseS3Url', () => {
  const good: [string, string, string, string][] = [
    ['s3://bucket', 'bucket', '', 's3://bucket'],
    ['s3://bucket/', 'bucket', '', 's3://bucket'],
    ['s3://bucket/repo', 'bucket', 'repo/', 's3://bucket/repo'],
    ['s3://bucket/shop/prod/', 'bucket', 'shop/prod/', 's3://bucket/shop/prod'],
    ['s3://bucket//shop//prod', 'bucket', 'shop/prod/', 's3://bucket/shop/prod'],
    ['S3://my.bucket-1/x', 'my.bucket-1', 'x/', 's3://my.bucket-1/x'],
  ];
  for (const [url, bucket, prefix, location] of good) {
    it(`parses ${url}`, () => {
      const loc = parseS3Url(url);
      assert.deepEqual(loc, { bucket, prefix });
      assert.equal(formatS3Location(loc), location);
    });
  }

  const bad: [string, RegExp][] = [
    ['s3://', /not a valid bucket name/],
    ['s3://ab/x', /not a valid bucket name/],
    ['s3://Bucket/x', /not a valid bucket name/],
    ['s3://under_score/x', /not a valid bucket name/],
    ['s3://-bucket/x', /not a valid bucket name/],
    ['s3://a..b/x', /not a valid bucket name/],
    ['s3://bucket:9000/x', /port, query or fragment/],
    ['s3://bucket/x?versionId=1', /port, query or fragment/],
    ['s3://bucket/../x', /"\." or "\.\." segments/],
    ['/var/backups', /not an s3:\/\/ location/],
  ];
  for (const [url, message] of bad) {
    it(`refuses ${url} with INVALID_ARGUMENT`, () => {
      assert.throws(() => parseS3Url(url), (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'INVALID_ARGUMENT'), String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('refuses credentials in the URL without repeating them', () => {
    assert.throws(() => parseS3Url('s3://AKIAEXAMPLE:s3cr3t-value@bucket/x'), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'INVALID_ARGUMENT'));
      assert.match(err.message, /must not contain credentials/);
      assert.doesNotMatch(err.message, /s3cr3t-value|AKIAEXAMPLE/);
      return true;
    });
  });

  it('tells s3:// locations from directories', () => {
    assert.equal(isS3Url('s3://b/x'), true);
    assert.equal(isS3Url('S3://b'), true);
    assert.equal(isS3Url('/srv/s3://x'), false);
    assert.equal(isS3Url('./s3'), false);
  });
});
