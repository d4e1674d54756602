/**
 * End to end, through the real CLI: `env:discover` writes a Magento environment into envsnap.yaml
 * that loadProjectConfig accepts, updates it in place on a second run (user comments, edits and
 * other environments kept), never prints a password, and fails with one error line on a directory
 * that is not a Magento root; `env:list` shows what was written.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { loadProjectConfig } from '../../src/config/project-config.ts';
import { oneErrorLine, runCli, runJson, runOk, tempDir } from './helpers.ts';

const ENV_PHP = new URL('../../src/sources/magento/testdata/env.php', import.meta.url);
/** Every password in the fixture env.php (as written there and as PHP reads it). */
const PASSWORDS = ['S3cr', 'quote\tpw', 'quote\\tpw', 'cache-pw', 'sess-pw'];

/** A temp dir with a Magento root `shop/` (app/etc/env.php from the fixture) and an empty working dir `work/`. */
async function setup(t: TestContext) {
  const dir = await tempDir(t);
  const shop = join(dir, 'shop');
  const work = join(dir, 'work');
  await mkdir(join(shop, 'app', 'etc'), { recursive: true });
  await mkdir(work);
  await copyFile(ENV_PHP, join(shop, 'app', 'etc', 'env.php'));
  return { dir, shop, work, config: join(work, 'envsnap.yaml') };
}

function assertNoPasswords(output: string): void {
  for (const pw of PASSWORDS) assert.ok(!output.includes(pw), `a password (${JSON.stringify(pw)}) was printed:\n${output}`);
}

describe('env:discover', () => {
  it('creates envsnap.yaml that loads, and prints the variables to set but no password', async (t) => {
    const { shop, work, config } = await setup(t);
    const r = await runOk(['env:discover', '--root', '../shop'], { cwd: work });
    assertNoPasswords(r.stdout + r.stderr);
    for (const v of ['ENVSNAP_DB_PASSWORD', 'ENVSNAP_DB_CHECKOUT_PASSWORD', 'ENVSNAP_REDIS_CACHE_PASSWORD', 'ENVSNAP_REDIS_SESSIONS_PASSWORD']) assert.ok(r.stdout.includes(v), `${v} not named in:\n${r.stdout}`);
    assertNoPasswords(await readFile(config, 'utf8'));

    const cfg = await loadProjectConfig({ cwd: work });
    assert.equal(cfg.project, 'shop');
    assert.equal(cfg.repository, join(work, '.envsnap', 'repo'));
    const env = cfg.environments.get('production')!;
    assert.deepEqual([env.type, env.plan, env.root], ['production', 'starter', shop]);
    assert.deepEqual(env.mounts, ['var', 'pub/media', 'app/etc']);
    assert.deepEqual(
      env.databases.map((d) => d.kind === 'mysql' && [d.id, d.socket ?? `${d.host}:${d.port}`, d.database, d.password]),
      [
        ['default', '10.0.0.5:3307', 'magento', { env: 'ENVSNAP_DB_PASSWORD' }],
        ['checkout', '/var/run/mysqld/mysqld.sock', 'magento_quote', { env: 'ENVSNAP_DB_CHECKOUT_PASSWORD' }],
        ['sales', 'db-sales:3306', 'magento_sales', {}],
      ],
    );
    assert.deepEqual(
      env.redis.map((x) => [x.id, x.url]),
      [
        ['cache', 'redis://127.0.0.1:6379/0'],
        ['page_cache', 'redis://redis-fpc:6380/1'],
        ['sessions', 'redis://127.0.0.1:6379/2'],
      ],
    );
    assert.equal(env.maintenance.kind === 'flag' && env.maintenance.flag, join(shop, 'var', '.maintenance.flag'));
  });

  it('updates the environment on a second run, keeping comments, edits and other environments', async (t) => {
    const { shop, work, config } = await setup(t);
    await runOk(['env:discover', '--root', '../shop', '--plan', 'pro'], { cwd: work });
    // The user annotates the file, adds an exclude, chooses their own variable, and adds an environment.
    const edited = (await readFile(config, 'utf8'))
      .replace('project: shop', '# Backups of the shop, reviewed weekly\nproject: shop # keep this name')
      .replace('      - generated/**\n', '      - generated/**\n      - pub/media/catalog/product/cache/**\n')
      .replace('password_env: ENVSNAP_DB_PASSWORD', 'password_env: SHOP_DB_PW # from the vault')
      .concat('  staging: # the copy on the second server\n    type: staging\n    root: /srv/staging\n');
    await writeFile(config, edited);
    // env.php changes: the main database moves.
    const envPhp = join(shop, 'app', 'etc', 'env.php');
    await writeFile(envPhp, (await readFile(envPhp, 'utf8')).replace("'10.0.0.5:3307'", "'10.0.0.9:3308'"));

    const r = await runOk(['env:discover', '--root', shop], { cwd: work });
    assertNoPasswords(r.stdout + r.stderr);
    assert.match(r.stdout, /SHOP_DB_PW/);
    const text = await readFile(config, 'utf8');
    for (const kept of ['# Backups of the shop, reviewed weekly', 'project: shop # keep this name', '# from the vault', '# the copy on the second server', 'pub/media/catalog/product/cache/**']) {
      assert.ok(text.includes(kept), `lost ${JSON.stringify(kept)}:\n${text}`);
    }
    assert.equal(text.match(/^ {2}production:/gm)?.length, 1, `production written twice:\n${text}`);

    const cfg = await loadProjectConfig({ cwd: work });
    assert.deepEqual([...cfg.environments.keys()], ['production', 'staging']);
    const env = cfg.environments.get('production')!;
    assert.equal(env.plan, 'pro', 'the plan chosen on the first run was reset');
    const main = env.databases[0];
    assert.ok(main.kind === 'mysql');
    assert.deepEqual([main.host, main.port, main.password], ['10.0.0.9', 3308, { env: 'SHOP_DB_PW' }]);
    assert.equal(env.databases.length, 3);
    assert.equal(env.redis.length, 3);
    assert.equal(env.exclude.at(-1), 'pub/media/catalog/product/cache/**');
  });

  it('writes to --config with --env and --type; env:list shows it', async (t) => {
    const { dir, shop, work } = await setup(t);
    const file = join(dir, 'conf', 'shop.yaml');
    await mkdir(join(dir, 'conf'));
    await runOk(['env:discover', '--root', shop, '--env', 'stage-2', '--type', 'staging', '--config', file], { cwd: work });
    const list = await runJson<{ name: string; type: string; root: string; databases: { id: string; password: unknown }[] }[]>(['env:list', '-c', file], { cwd: work });
    assert.deepEqual(
      list.map((e) => [e.name, e.type, e.root]),
      [['stage-2', 'staging', shop]],
    );
    assert.deepEqual(list[0].databases[0].password, { env: 'ENVSNAP_DB_PASSWORD' });
    const text = await runOk(['--config', file, 'env:list'], { cwd: work });
    assert.match(text.stdout, /^stage-2 +staging +starter +\S+ +mysql\(default,checkout,sales\) redis\(cache,page_cache,sessions\) files\(var,pub\/media,app\/etc\)$/m);
  });

  it('fails with one error line and writes nothing when the root has no env.php', async (t) => {
    const { dir, work, config } = await setup(t);
    await mkdir(join(dir, 'empty'));
    const r = await runCli(['env:discover', '--root', join(dir, 'empty')], { cwd: work });
    assert.notEqual(r.code, 0);
    assert.match(oneErrorLine(r), /^error: \S+\/empty\/app\/etc\/env\.php does not exist, so \S+\/empty is not a Magento root: pass the directory holding app\/ and pub\/ with --root$/);
    await assert.rejects(readFile(config), { code: 'ENOENT' });
  });
});

describe('env:list', () => {
  it('says how to create a missing configuration (exit 20)', async (t) => {
    const { work } = await setup(t);
    const r = await runCli(['env:list'], { cwd: work });
    assert.equal(r.code, 20);
    assert.match(oneErrorLine(r), /^error: no envsnap\.yaml in \S+: create one, run `envsnap env:discover --root DIR` to write it, or pass --config FILE$/);
  });
});
