import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, describeEndpoint, isLocalOrIpHost, resolveS3Settings } from './s3-settings.ts';

describe('resolveS3Settings', () => {
  it('leaves the endpoint to the SDK and uses virtual-hosted addressing when nothing is set', () => {
    assert.deepEqual(resolveS3Settings({}), {
      endpoint: undefined,
      forcePathStyle: false,
      concurrency: DEFAULT_CONCURRENCY,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
    });
  });

  it('takes AWS_ENDPOINT_URL_S3 before AWS_ENDPOINT_URL, unless configured endpoints are ignored', () => {
    assert.equal(resolveS3Settings({ AWS_ENDPOINT_URL: 'https://all.example.com' }).endpoint, 'https://all.example.com');
    assert.equal(
      resolveS3Settings({ AWS_ENDPOINT_URL: 'https://all.example.com', AWS_ENDPOINT_URL_S3: 'https://s3.example.com' }).endpoint,
      'https://s3.example.com',
    );
    assert.equal(resolveS3Settings({ AWS_ENDPOINT_URL_S3: 'https://s3.example.com', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }).endpoint, undefined);
  });

  const pathStyle: [string, Record<string, string>, boolean][] = [
    ['an IPv4 endpoint', { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:8080' }, true],
    ['an IPv6 endpoint', { AWS_ENDPOINT_URL_S3: 'http://[::1]:9000' }, true],
    ['localhost', { AWS_ENDPOINT_URL_S3: 'http://localhost:9000' }, true],
    ['a name under .localhost', { AWS_ENDPOINT_URL_S3: 'http://minio.localhost:9000' }, true],
    ['a host name', { AWS_ENDPOINT_URL_S3: 'https://s3.example.com' }, false],
    ['a host name with ENVSNAP_S3_PATH_STYLE=true', { AWS_ENDPOINT_URL_S3: 'https://s3.example.com', ENVSNAP_S3_PATH_STYLE: 'true' }, true],
    ['an IP with ENVSNAP_S3_PATH_STYLE=false', { AWS_ENDPOINT_URL_S3: 'http://10.0.0.5', ENVSNAP_S3_PATH_STYLE: 'false' }, false],
    ['no endpoint with ENVSNAP_S3_PATH_STYLE=1', { ENVSNAP_S3_PATH_STYLE: '1' }, true],
  ];
  for (const [what, env, expected] of pathStyle) {
    it(`uses ${expected ? 'path-style' : 'virtual-hosted'} addressing for ${what}`, () => {
      assert.equal(resolveS3Settings(env).forcePathStyle, expected);
    });
  }

  it('reads ENVSNAP_S3_CONCURRENCY and AWS_MAX_ATTEMPTS', () => {
    const s = resolveS3Settings({ ENVSNAP_S3_CONCURRENCY: '3', AWS_MAX_ATTEMPTS: '1' });
    assert.equal(s.concurrency, 3);
    assert.equal(s.maxAttempts, 1);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ AWS_ENDPOINT_URL_S3: 'not a url' }, /AWS_ENDPOINT_URL_S3 is not a URL/],
    [{ AWS_ENDPOINT_URL: 'ftp://files.example.com' }, /AWS_ENDPOINT_URL must start with http/],
    [{ ENVSNAP_S3_PATH_STYLE: 'maybe' }, /ENVSNAP_S3_PATH_STYLE/],
    [{ ENVSNAP_S3_CONCURRENCY: '0' }, /ENVSNAP_S3_CONCURRENCY .* from 1 to 256/],
    [{ AWS_MAX_ATTEMPTS: 'lots' }, /AWS_MAX_ATTEMPTS/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with INVALID_ARGUMENT`, () => {
      assert.throws(() => resolveS3Settings(env), (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT') && message.test(err.message));
    });
  }
});

describe('describeEndpoint', () => {
  it('shows scheme, host and port only', () => {
    assert.equal(describeEndpoint('http://user:secret@127.0.0.1:8080/some/path?x=1'), 'http://127.0.0.1:8080');
    assert.equal(describeEndpoint('https://s3.example.com'), 'https://s3.example.com');
    assert.equal(describeEndpoint(undefined), 'the AWS S3 endpoint');
  });

  it('knows IP addresses and localhost', () => {
    for (const h of ['127.0.0.1', '[::1]', '::1', 'localhost', 'LOCALHOST', 'a.localhost']) assert.equal(isLocalOrIpHost(h), true, h);
    for (const h of ['s3.amazonaws.com', 'minio', '127.0.0.1.nip.io']) assert.equal(isLocalOrIpHost(h), false, h);
  });
});
