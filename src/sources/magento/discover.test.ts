import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { isEnvsnapError } from '../../core/errors.ts';
import { discoverMagento } from './discover.ts';

const REALISTIC = await readFile(new URL('./testdata/env.php', import.meta.url), 'utf8');

/** A temp Magento root whose app/etc/env.php is `envPhp` (none when undefined). */
async function magentoRoot(t: TestContext, envPhp: string | undefined): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'envsnap-magento-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  if (envPhp !== undefined) {
    await mkdir(join(root, 'app', 'etc'), { recursive: true });
    await writeFile(join(root, 'app', 'etc', 'env.php'), envPhp);
  }
  return root;
}

const DB = `'db' => ['connection' => ['default' => ['host' => 'localhost', 'dbname' => 'm', 'username' => 'u', 'password' => '']]]`;
const envPhp = (...sections: string[]) => `<?php\nreturn [\n  ${sections.join(',\n  ')}\n];\n`;

describe('discoverMagento on a Magento 2.4 env.php', () => {
  it('finds the split databases with host:port and socket hosts', async (t) => {
    const found = await discoverMagento(await magentoRoot(t, REALISTIC));
    assert.deepEqual(found.databases, [
      { id: 'default', host: '10.0.0.5', port: 3307, user: 'magento', name: 'magento', passwordEnv: 'ENVSNAP_DB_PASSWORD' },
      { id: 'checkout', socket: '/var/run/mysqld/mysqld.sock', user: 'quote', name: 'magento_quote', passwordEnv: 'ENVSNAP_DB_CHECKOUT_PASSWORD' },
      { id: 'sales', host: 'db-sales', user: 'sales', name: 'magento_sales' },
    ]);
  });

  it('finds cache, full-page cache and session Redis as URLs without passwords', async (t) => {
    const found = await discoverMagento(await magentoRoot(t, REALISTIC));
    assert.deepEqual(found.redis, [
      { role: 'cache', url: 'redis://127.0.0.1:6379/0', passwordEnv: 'ENVSNAP_REDIS_CACHE_PASSWORD' },
      { role: 'page_cache', url: 'redis://redis-fpc:6380/1' },
      { role: 'sessions', url: 'redis://127.0.0.1:6379/2', passwordEnv: 'ENVSNAP_REDIS_SESSIONS_PASSWORD' },
    ]);
    assert.deepEqual(found.warnings, []);
  });

  it('returns Magento’s mounts, excludes and maintenance flag', async (t) => {
    const root = await magentoRoot(t, REALISTIC);
    const found = await discoverMagento(root);
    assert.equal(found.root, root);
    assert.deepEqual(found.mounts, ['var', 'pub/media', 'app/etc']);
    assert.deepEqual(found.exclude, ['var/cache/**', 'var/page_cache/**', 'var/session/**', 'var/log/**', 'var/report/**', 'var/view_preprocessed/**', 'generated/**']);
    assert.deepEqual(found.maintenance, { flag: 'var/.maintenance.flag' });
  });

  it('returns the passwords separately, hidden from JSON and inspect', async (t) => {
    const found = await discoverMagento(await magentoRoot(t, REALISTIC));
    assert.deepEqual(
      found.secrets.map((s) => [s.variable, s.what, s.found, s.reveal()]),
      [
        ['ENVSNAP_DB_PASSWORD', 'database default', true, 'S3cr\'et"pa$$'],
        ['ENVSNAP_DB_CHECKOUT_PASSWORD', 'database checkout', true, 'quote\tpwA'],
        ['ENVSNAP_REDIS_CACHE_PASSWORD', 'Redis cache', true, 'cache-pw'],
        ['ENVSNAP_REDIS_SESSIONS_PASSWORD', 'Redis sessions', true, 'sess-pw'],
      ],
    );
    const shown = JSON.stringify(found) + inspect(found, { depth: 10, showHidden: true });
    for (const pw of ['S3cr', 'quote\tpw', 'quote\\tpw', 'cache-pw', 'sess-pw']) assert.ok(!shown.includes(pw), `password ${pw} visible`);
  });

  it('uses the given variable prefix', async (t) => {
    const found = await discoverMagento(await magentoRoot(t, REALISTIC), { variablePrefix: 'ENVSNAP_STAGING_' });
    assert.deepEqual(
      found.secrets.map((s) => s.variable),
      ['ENVSNAP_STAGING_DB_PASSWORD', 'ENVSNAP_STAGING_DB_CHECKOUT_PASSWORD', 'ENVSNAP_STAGING_REDIS_CACHE_PASSWORD', 'ENVSNAP_STAGING_REDIS_SESSIONS_PASSWORD'],
    );
  });
});

describe('discoverMagento variants', () => {
  it('ignores file caches and file sessions', async (t) => {
    const php = envPhp(DB, `'session' => ['save' => 'files']`, `'cache' => ['frontend' => ['default' => ['id_prefix' => 'x_'], 'page_cache' => ['backend' => 'Cm_Cache_Backend_File']]]`);
    const found = await discoverMagento(await magentoRoot(t, php));
    assert.deepEqual(found.redis, []);
    assert.deepEqual(found.databases, [{ id: 'default', host: 'localhost', user: 'u', name: 'm' }]);
    assert.deepEqual(found.secrets, []);
  });

  it('reads the remote backend of the two-level cache, and tls:// as rediss://', async (t) => {
    const php = envPhp(
      DB,
      `'cache' => ['frontend' => ['default' => [
        'backend' => '\\\\Magento\\\\Framework\\\\Cache\\\\Backend\\\\RemoteSynchronizedCache',
        'backend_options' => [
          'remote_backend' => '\\\\Magento\\\\Framework\\\\Cache\\\\Backend\\\\Redis',
          'remote_backend_options' => ['server' => 'tls://cache.internal', 'port' => '6380', 'database' => '3'],
          'local_backend' => 'Cm_Cache_Backend_File',
        ],
      ]]]`,
    );
    const found = await discoverMagento(await magentoRoot(t, php));
    assert.deepEqual(found.redis, [{ role: 'cache', url: 'rediss://cache.internal:6380/3' }]);
  });

  it('skips with a warning what it cannot use: socket Redis, computed hosts, duplicates', async (t) => {
    const php = envPhp(
      `'db' => ['connection' => [
        'default' => ['host' => '127.0.0.1', 'dbname' => 'm', 'username' => 'u', 'password' => ''],
        'checkout' => ['host' => getenv('CHECKOUT_HOST'), 'dbname' => 'q', 'username' => 'u'],
        'sales' => ['host' => '127.0.0.1', 'dbname' => 'm', 'username' => 'u'],
      ]]`,
      `'session' => ['save' => 'redis', 'redis' => ['host' => '/run/redis/redis.sock', 'port' => '0']]`,
    );
    const found = await discoverMagento(await magentoRoot(t, php));
    assert.deepEqual(
      found.databases.map((d) => d.id),
      ['default'],
    );
    assert.deepEqual(found.redis, []);
    assert.equal(found.warnings.length, 3);
    assert.match(found.warnings[0], /^db\.connection\.checkout\.host is computed by PHP \(getenv\('CHECKOUT_HOST'\), env\.php line 5\), which envsnap cannot evaluate: add this source to envsnap\.yaml by hand$/);
    assert.match(found.warnings[1], /^db\.connection\.sales is the same database as default: not added twice$/);
    assert.match(found.warnings[2], /^session\.redis uses the Unix socket \/run\/redis\/redis\.sock, which envsnap cannot reach/);
  });

  it('still asks for a variable when the password is computed', async (t) => {
    const php = envPhp(`'db' => ['connection' => ['default' => ['host' => 'db', 'dbname' => 'm', 'username' => 'u', 'password' => getenv('DB_PASS')]]]`);
    const found = await discoverMagento(await magentoRoot(t, php));
    assert.equal(found.databases[0].passwordEnv, 'ENVSNAP_DB_PASSWORD');
    assert.deepEqual(
      found.secrets.map((s) => [s.variable, s.found, s.reveal()]),
      [['ENVSNAP_DB_PASSWORD', false, undefined]],
    );
    assert.match(found.warnings[0], /password is computed by PHP \(getenv\('DB_PASS'\), env\.php line 3\): set ENVSNAP_DB_PASSWORD/);
  });
});

describe('discoverMagento errors', () => {
  it('NOT_FOUND when the root has no app/etc/env.php', async (t) => {
    const root = await magentoRoot(t, undefined);
    for (const dir of [root, join(root, 'missing')]) {
      await assert.rejects(
        discoverMagento(dir),
        (e: unknown) => isEnvsnapError(e, 'NOT_FOUND') && e.message === `${dir}/app/etc/env.php does not exist, so ${dir} is not a Magento root: pass the directory holding app/ and pub/ with --root`,
      );
    }
  });

  it('CONFIG naming the file and line when env.php does not parse', async (t) => {
    const root = await magentoRoot(t, `<?php\nreturn [\n  'db' => [\n    'connection' => [\n  ]\n;\n`);
    await assert.rejects(discoverMagento(root), (e: unknown) => isEnvsnapError(e, 'CONFIG') && e.message.startsWith(`${root}/app/etc/env.php line 6: not valid PHP`));
  });
});
