/**
 * The other dbs of a Redis server that a project's environments use, which a restore into one of
 * them must never take as its scratch db.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProjectConfig } from '../config/project-config.ts';
import { otherRedisDbs } from './environment-sources.ts';

const project = parseProjectConfig(
  [
    'project: shop',
    'repository: /var/backups/shop',
    'environments:',
    '  production:',
    '    type: production',
    '    root: /srv/prod',
    '    redis: [ { url: "redis://10.0.0.5:6379/0", role: cache }, { url: "redis://10.0.0.5:6379/1", role: sessions } ]',
    '  staging:',
    '    type: staging',
    '    root: /srv/staging',
    '    redis: [ { url: "redis://10.0.0.5/4", role: cache }, { url: "redis://10.0.0.6:6379/7", role: sessions } ]',
    '',
  ].join('\n'),
  '/etc/shop/envsnap.yaml',
);

describe('otherRedisDbs', () => {
  it("lists the dbs of the same server (host and port) that any environment uses, without the target's own", () => {
    assert.deepEqual(otherRedisDbs(project, 'redis://10.0.0.5:6379/4'), [0, 1]);
    assert.deepEqual(otherRedisDbs(project, 'redis://10.0.0.5:6379/0'), [1, 4]);
    assert.deepEqual(otherRedisDbs(project, 'redis://10.0.0.6:6379/7'), []);
    assert.deepEqual(otherRedisDbs(project, 'redis://10.0.0.5:6380/0'), []);
  });
});
