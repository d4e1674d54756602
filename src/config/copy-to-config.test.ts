/** The copy_to setting of an environment: resolved paths and password, and the mistakes it refuses. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isEnvsnapError } from '../core/errors.ts';
import { parseProjectConfig } from './project-config.ts';

const FILE = '/srv/shop/envsnap.yaml';

const config = (copyTo: string) => `project: shop
repository: .envsnap/repo
environments:
  production:
    type: production
    plan: pro
    root: /var/www/shop
${copyTo}`;

function fails(text: string): string {
  let message = '';
  assert.throws(
    () => parseProjectConfig(text, FILE),
    (e: unknown) => {
      assert.ok(isEnvsnapError(e, 'CONFIG'), `expected a CONFIG error, got ${String(e)}`);
      message = e.message;
      return true;
    },
  );
  assert.ok(!message.includes('\n'), message);
  return message;
}

describe('copy_to', () => {
  it('resolves a directory beside the file, keeps an s3:// URL, and names where the password comes from', () => {
    const local = parseProjectConfig(config('    copy_to: { repository: ../offsite, password_file: secrets/offsite }\n'), FILE).environments.get('production')!;
    assert.deepEqual(local.copyTo, { repository: '/srv/offsite', password: { file: '/srv/shop/secrets/offsite' } });
    const s3 = parseProjectConfig(config('    copy_to:\n      repository: s3://backups/shop\n      password_env: OFFSITE_PASSWORD\n'), FILE).environments.get('production')!;
    assert.deepEqual(s3.copyTo, { repository: 's3://backups/shop', password: { env: 'OFFSITE_PASSWORD' } });
    assert.equal(parseProjectConfig(config(''), FILE).environments.get('production')!.copyTo, undefined);
  });

  it('refuses a missing password, the project repository itself, unknown keys and other URLs', () => {
    assert.match(fails(config('    copy_to: { repository: /srv/offsite }\n')), /line 8: environments\.production\.copy_to: no password for the copy repository: add password_env \(password_env: ENVSNAP_PASSWORD when/);
    assert.match(fails(config('    copy_to: { repository: ./.envsnap/repo/, password_env: X }\n')), /environments\.production\.copy_to\.repository: this is the project's own repository: name a second repository/);
    assert.match(fails(config('    copy_to: { repository: /srv/offsite, password_env: X, password: y }\n')), /copy_to\.password: passwords are not stored in envsnap\.yaml/);
    assert.match(fails(config('    copy_to: { repository: /srv/offsite, password_env: X, repo: y }\n')), /copy_to\.repo: unknown key: .*allowed here: repository, password_env, password_file/);
    assert.match(fails(config('    copy_to: { repository: ftp://host/x, password_env: X }\n')), /copy_to\.repository: unsupported repository URL/);
    assert.match(fails(config('    copy_to: { repository: /srv/offsite, password_env: X, password_file: y }\n')), /copy_to\.password_file: both password_env and password_file are set/);
    assert.match(fails(config('    copy_to: { password_env: X }\n')), /copy_to\.repository/);
  });
});
