import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEnvsnapError } from '../core/errors.ts';
import { ConfigDocument } from './config-document.ts';
import { loadProjectConfig } from './project-config.ts';

const ORIGINAL = `# Shop backups
project: shop
repository: /backup/shop # on the NAS

environments:
  # the live shop
  production:
    type: production # do not change
    plan: pro
    root: /var/www/shop
    mounts: [var, pub/media]
    redis:
      - { url: "redis://old:6379/0", role: cache }
  staging: # nightly copy
    type: staging
    root: /var/www/staging
`;

async function fileWith(t: TestContext, text: string | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-configdoc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'envsnap.yaml');
  if (text !== undefined) await writeFile(file, text);
  return file;
}

describe('ConfigDocument', () => {
  it('updates one environment key by key, keeping comments, unchanged keys and other environments', async (t) => {
    const file = await fileWith(t, ORIGINAL);
    const doc = (await ConfigDocument.read(file))!;
    assert.deepEqual(doc.environmentNames(), ['production', 'staging']);
    assert.deepEqual(doc.environment('production')?.mounts, ['var', 'pub/media']);
    doc.setEnvironment('production', {
      type: 'production',
      root: '/var/www/shop',
      database: { type: 'mysql', user: 'm', name: 'magento', password_env: 'ENVSNAP_DB_PASSWORD' },
      redis: null,
    });
    await doc.save();
    const text = await readFile(file, 'utf8');
    for (const kept of ['# Shop backups', '# on the NAS', '# the live shop', 'type: production # do not change', '# nightly copy', 'mounts: [var, pub/media]', 'plan: pro']) {
      assert.ok(text.includes(kept), `lost ${JSON.stringify(kept)}:\n${text}`);
    }
    assert.ok(!text.includes('redis'), `redis was not removed:\n${text}`);
    const cfg = await loadProjectConfig({ cwd: '/', file });
    assert.deepEqual([...cfg.environments.keys()], ['production', 'staging']);
    const prod = cfg.environments.get('production')!;
    assert.deepEqual(prod.databases, [{ kind: 'mysql', id: 'default', host: '127.0.0.1', port: 3306, user: 'm', database: 'magento', password: { env: 'ENVSNAP_DB_PASSWORD' } }]);
    assert.equal(cfg.environments.get('staging')!.root, '/var/www/staging');
  });

  it('adds a new environment after the existing ones, lists inline', async (t) => {
    const file = await fileWith(t, ORIGINAL);
    const doc = (await ConfigDocument.read(file))!;
    doc.setEnvironment('integration', { type: 'integration', root: '/srv/int', mounts: ['var', 'pub/media', 'app/etc'], redis: null });
    await doc.save();
    const text = await readFile(file, 'utf8');
    assert.ok(text.endsWith('  integration:\n    type: integration\n    root: /srv/int\n    mounts: [var, pub/media, app/etc]\n'), text);
  });

  it('creates a commented file that loads', async (t) => {
    const file = await fileWith(t, undefined);
    assert.equal(await ConfigDocument.read(file), undefined);
    const doc = ConfigDocument.create(file, 'shop', '.envsnap/repo');
    doc.setEnvironment('production', { type: 'production', root: '.' });
    await doc.save();
    const text = await readFile(file, 'utf8');
    assert.match(text, /^# envsnap project configuration/);
    const cfg = await loadProjectConfig({ cwd: '/', file });
    assert.equal(cfg.project, 'shop');
    assert.equal(cfg.environments.get('production')!.root, join(file, '..'));
  });

  it('fills project and repository into an empty file', async (t) => {
    const file = await fileWith(t, '# nothing yet\n');
    const doc = (await ConfigDocument.read(file))!;
    doc.setDefault('project', 'shop');
    doc.setDefault('repository', 'repo');
    doc.setEnvironment('production', { type: 'production', root: '/x' });
    const cfg = await doc.save();
    assert.deepEqual([cfg.project, cfg.repository, [...cfg.environments.keys()]], ['shop', join(file, '..', 'repo'), ['production']]);
  });

  it('refuses to save an invalid result and leaves the file as it was', async (t) => {
    const file = await fileWith(t, ORIGINAL);
    const doc = (await ConfigDocument.read(file))!;
    doc.setEnvironment('production', { mounts: ['../etc'] });
    await assert.rejects(doc.save(), (e: unknown) => isEnvsnapError(e, 'CONFIG') && /environments\.production\.mounts\[0\]: mount "\.\.\/etc" leaves the root/.test(e.message));
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
  });

  it('reports a YAML syntax error with its line', async (t) => {
    const file = await fileWith(t, 'project: shop\nenvironments: [\n');
    await assert.rejects(ConfigDocument.read(file), (e: unknown) => isEnvsnapError(e, 'CONFIG') && e.message.startsWith(`${file} line `) && e.message.includes('not valid YAML'));
  });
});
