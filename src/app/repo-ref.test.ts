/**
 * Which s3: block a repository location gets: a copy_to's own block for its repository, the
 * project's block for the other s3:// repositories the file names, none for anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProjectConfig } from '../config/project-config.ts';
import { repoRef } from './repo-ref.ts';

const project = parseProjectConfig(
  [
    'project: shop',
    'repository: s3://primary/shop',
    's3:',
    '  endpoint: http://127.0.0.1:9000',
    'environments:',
    '  production:',
    '    type: production',
    '    root: /srv/prod',
    '    copy_to:',
    '      repository: s3://offsite/shop/',
    '      password_env: OFFSITE_PASSWORD',
    '      s3:',
    '        endpoint: https://s3.eu.example.com',
    '        profile: offsite',
    '  staging:',
    '    type: staging',
    '    root: /srv/staging',
    '    copy_to:',
    '      repository: s3://second/shop',
    '      password_env: SECOND_PASSWORD',
    '',
  ].join('\n'),
  '/etc/shop/envsnap.yaml',
);

describe('repoRef', () => {
  it("gives a copy_to repository its own s3: block, however its location is written", () => {
    const offsite = { endpoint: 'https://s3.eu.example.com', profile: 'offsite' };
    assert.deepEqual(repoRef('s3://offsite/shop', 'pw', project).s3, offsite);
    assert.deepEqual(repoRef('s3://offsite/shop/', 'pw', project).s3, offsite);
  });

  it("gives the project's s3: block to its repository and to a copy_to without a block of its own", () => {
    assert.deepEqual(repoRef('s3://primary/shop', 'pw', project).s3, { endpoint: 'http://127.0.0.1:9000' });
    assert.deepEqual(repoRef('s3://second/shop', 'pw', project).s3, { endpoint: 'http://127.0.0.1:9000' });
  });

  it('gives no block to a location the file does not name, to a directory, or without a project file', () => {
    assert.equal(repoRef('s3://elsewhere/shop', 'pw', project).s3, undefined);
    assert.equal(repoRef('/var/backups/shop', 'pw', project).s3, undefined);
    assert.equal(repoRef('s3://primary/shop', 'pw', undefined).s3, undefined);
    assert.deepEqual(repoRef('s3://elsewhere/shop', 'pw', project), { location: 's3://elsewhere/shop', password: 'pw' });
  });
});
