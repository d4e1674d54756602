/**
 * Restoring a production snapshot into another environment through the real CLI, with real MariaDB
 * and Redis (`snapshot:restore ID -e production --target staging --yes`): staging's database, Redis
 * and mounts become production's as of the snapshot, staging keeps its own env.php, and production
 * — changed since the snapshot — is left exactly as it is. Then `--include PATH`: only that path of
 * the mounts is restored, and nothing else of staging changes.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { claimDb, fingerprint, type ClaimedDb } from '../../src/sources/redis/test-support.ts';
import { testRedis, uniqueName } from '../../src/testing/servers.ts';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { assertTreesEqual, runJson, runOk, walkTree } from './helpers.ts';
import { checksums, shopProject, type ShopProject } from './shop-project.ts';

/** A small shop schema with `n` products at prices of `factor`. */
const shopSchema = (db: string, n: number, factor: number) => `CREATE DATABASE ${db} CHARACTER SET utf8mb4;
  CREATE TABLE ${db}.catalog_product_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(255), price DECIMAL(12,4)) ENGINE=InnoDB;
  CREATE TABLE ${db}.sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, product_id INT UNSIGNED NOT NULL, note TEXT, FOREIGN KEY (product_id) REFERENCES ${db}.catalog_product_entity(entity_id)) ENGINE=InnoDB;
  INSERT INTO ${db}.catalog_product_entity (sku, name, price) SELECT CONCAT('SKU-', seq), CONCAT('Product ', seq, ' 🚀'), seq * ${factor} FROM ${db}.seq_1_to_${n};
  INSERT INTO ${db}.sales_order (product_id, note) SELECT entity_id, REPEAT('x', entity_id) FROM ${db}.catalog_product_entity;`;

describe('restoring a production snapshot into staging (CLI, MariaDB, Redis)', () => {
  let shop: ShopProject;
  const prodDb = uniqueName('prod');
  const stagingDb = uniqueName('staging');
  let prodRedis: ClaimedDb;
  let stagingRedis: ClaimedDb;
  let snapshotId: string;
  let prodChecksums: Record<string, string>;
  const prodRoot = () => join(shop.dir, 'production');
  const stagingRoot = () => join(shop.dir, 'staging');

  before(async () => {
    shop = await shopProject('target');
    const redis = await testRedis();
    prodRedis = await claimDb(redis);
    stagingRedis = await claimDb(redis);
    await shop.admin.query(`${shopSchema(prodDb, 400, 1.25)} ${shopSchema(stagingDb, 30, 9)}`);
    await prodRedis.client.set('session:abc', 'logged in');
    await prodRedis.client.set('ttl:key', 'expires', 'EX', 500);
    await prodRedis.client.hset('hash', { a: '1', b: '2' });
    await stagingRedis.client.set('session:staging', 'a staging session');
    await writeFiles(prodRoot(), {
      'app/etc/env.php': "<?php return ['db' => ['host' => 'prod-db']];",
      'pub/media/catalog/a.jpg': Buffer.alloc(4000, 1),
      'pub/media/wysiwyg/banner.png': Buffer.alloc(3000, 2),
      'var/import/stock.csv': 'sku,qty\nSKU-1,5\n',
    });
    await writeFiles(stagingRoot(), {
      'app/etc/env.php': "<?php return ['db' => ['host' => 'staging-db']];",
      'pub/media/catalog/a.jpg': 'a staging picture',
      'var/import/stock.csv': 'staging stock',
    });
    // Each environment's root is the folder of its name.
    const environment = (name: string, db: string, redis: ClaimedDb) =>
      [`  ${name}:`, `type: ${name}`, 'plan: starter', `root: ${name}`, 'mounts: [var, pub/media, app/etc]', `database: ${shop.database(db)}`, `redis: [ { url: "${redis.url}", role: sessions } ]`].join('\n    ');
    await shop.init(`${environment('production', prodDb, prodRedis)}\n${environment('staging', stagingDb, stagingRedis)}\n`);
    prodChecksums = await checksums(shop.db, prodDb);
    snapshotId = (await runJson(['-e', 'production', 'snapshot:create', '--live'], { cwd: shop.dir, env: shop.env })).shortId;
    // Production moves on after the snapshot: what staging gets is the snapshot, not today's production.
    await shop.admin.query(`UPDATE ${prodDb}.catalog_product_entity SET price = price + 1; DELETE FROM ${prodDb}.sales_order WHERE entity_id > 300`);
    await prodRedis.client.set('session:new', 'after the snapshot');
    await writeFile(join(prodRoot(), 'var/import/stock.csv'), 'sku,qty\nSKU-1,4\n');
  });

  after(async () => {
    await prodRedis?.release();
    await stagingRedis?.release();
    await shop?.dispose(prodDb, stagingDb);
  });

  it('--target staging: staging gets production as of the snapshot and keeps its env.php; production is untouched', async () => {
    const prodNow = await checksums(shop.db, prodDb);
    assert.notDeepEqual(prodNow, prodChecksums);
    const prodRedisNow = await fingerprint(prodRedis.client);
    const prodFiles = await walkTree(prodRoot());
    const stagingEnvPhp = await readFile(join(stagingRoot(), 'app/etc/env.php'), 'utf8');

    await runOk(['snapshot:restore', snapshotId, '-e', 'production', '--target', 'staging', '--yes'], { cwd: shop.dir, env: shop.env });

    assert.deepEqual(await checksums(shop.db, stagingDb), prodChecksums);
    assert.equal(await stagingRedis.client.get('session:abc'), 'logged in');
    assert.deepEqual(await stagingRedis.client.hgetall('hash'), { a: '1', b: '2' });
    const ttl = await stagingRedis.client.ttl('ttl:key');
    assert.ok(ttl > 400 && ttl <= 500, `ttl after restore: ${ttl}`);
    assert.equal(await stagingRedis.client.exists('session:staging', 'session:new'), 0, 'staging keeps keys the snapshot does not have');
    assert.deepEqual(await readFile(join(stagingRoot(), 'pub/media/catalog/a.jpg')), Buffer.alloc(4000, 1));
    assert.deepEqual(await readFile(join(stagingRoot(), 'pub/media/wysiwyg/banner.png')), Buffer.alloc(3000, 2));
    assert.equal(await readFile(join(stagingRoot(), 'var/import/stock.csv'), 'utf8'), 'sku,qty\nSKU-1,5\n');
    assert.equal(await readFile(join(stagingRoot(), 'app/etc/env.php'), 'utf8'), stagingEnvPhp);

    assert.deepEqual(await checksums(shop.db, prodDb), prodNow);
    assert.equal(await fingerprint(prodRedis.client), prodRedisNow);
    await assertTreesEqual(prodFiles, prodRoot());
  });

  it('--include PATH restores only that path of the mounts into staging', async () => {
    await writeFile(join(stagingRoot(), 'pub/media/catalog/a.jpg'), 'changed on staging');
    await writeFile(join(stagingRoot(), 'pub/media/wysiwyg/banner.png'), 'a staging banner');
    await writeFile(join(stagingRoot(), 'var/import/stock.csv'), 'staging stock again');
    await shop.admin.query(`UPDATE ${stagingDb}.catalog_product_entity SET price = 0`);
    await stagingRedis.client.set('session:staging', 'a staging session');
    const stagingDbNow = await checksums(shop.db, stagingDb);
    const stagingRedisNow = await fingerprint(stagingRedis.client);

    await runOk(['snapshot:restore', snapshotId, '-e', 'production', '--target', 'staging', '--include', 'pub/media/catalog', '--yes'], { cwd: shop.dir, env: shop.env });

    assert.deepEqual(await readFile(join(stagingRoot(), 'pub/media/catalog/a.jpg')), Buffer.alloc(4000, 1));
    assert.equal(await readFile(join(stagingRoot(), 'pub/media/wysiwyg/banner.png'), 'utf8'), 'a staging banner');
    assert.equal(await readFile(join(stagingRoot(), 'var/import/stock.csv'), 'utf8'), 'staging stock again');
    assert.deepEqual(await checksums(shop.db, stagingDb), stagingDbNow, 'a restore of one path replaced the database');
    assert.equal(await fingerprint(stagingRedis.client), stagingRedisNow, 'a restore of one path replaced Redis');
  });
});
