/** Redis URLs as users write them in the configuration, and the mistakes refused before connecting. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { describeAddress, parseRedisUrl } from './settings.ts';

const parse = (url: string) => parseRedisUrl({ name: 'redis cache', url });

describe('parseRedisUrl', () => {
  it('reads host, port, db, TLS and the ACL user, with the defaults Redis clients use', () => {
    assert.deepEqual(parse('redis://127.0.0.1:6380/2'), { host: '127.0.0.1', port: 6380, db: 2, tls: false });
    assert.deepEqual(parse('redis://cache.internal'), { host: 'cache.internal', port: 6379, db: 0, tls: false });
    assert.deepEqual(parse('redis://cache.internal/'), { host: 'cache.internal', port: 6379, db: 0, tls: false });
    assert.deepEqual(parse('rediss://backup@[::1]:6390/15'), { host: '::1', port: 6390, db: 15, tls: true, username: 'backup' });
  });

  it('describes an address for messages', () => {
    assert.equal(describeAddress(parse('redis://127.0.0.1/2')), '127.0.0.1:6379 db 2');
    assert.equal(describeAddress(parse('redis://[::1]:7000')), '[::1]:7000 db 0');
  });

  it('refuses a password in the URL, another scheme and a path that is no db number, naming the source', () => {
    for (const [url, why] of [
      ['redis://:s3cret@127.0.0.1/0', /contains a password/],
      ['redis://user:s3cret@127.0.0.1/0', /contains a password/],
      ['http://127.0.0.1:6379/0', /scheme "http:"/],
      ['redis://127.0.0.1/cache', /not a database number/],
      ['127.0.0.1:6379', /scheme|not a valid URL/],
    ] as const) {
      assert.throws(
        () => parse(url),
        (err: unknown) => isEnvsnapError(err, 'CONFIG') && err.message.startsWith('redis cache: ') && why.test(err.message) && !err.message.includes('s3cret'),
        url,
      );
    }
  });
});
