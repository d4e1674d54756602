/**
 * Environment snapshots through the real CLI against real MariaDB and Redis servers: a consistent
 * snapshot of database + Redis + mounts, a restore over changed data (checksums equal), the errors a
 * user meets (wrong password, non-empty target without --yes), the confirmation asked on a terminal,
 * and maintenance mode ending on SIGINT and SIGTERM.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { claimDb, type ClaimedDb } from '../../src/sources/redis/test-support.ts';
import { testMariaDb, testRedis, uniqueName, type MariaDbInfo } from '../../src/testing/servers.ts';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { oneErrorLine, runCli, runCliOnTerminal, runJson, runOk, spawnCli, stopWhenSeen } from './helpers.ts';
import { checksums } from './shop-project.ts';

describe('environment snapshots (CLI, MariaDB, Redis)', () => {
  let dir: string;
  let db: MariaDbInfo;
  let dbName: string;
  let redis: ClaimedDb;
  let cache: ClaimedDb;
  let admin: mysql.Connection;
  const env = () => ({ SHOP_DB_PASSWORD: db.password });

  before(async () => {
    db = await testMariaDb();
    const r = await testRedis();
    redis = await claimDb(r);
    cache = await claimDb(r);
    await cache.client.set('cache:page', 'cached html');
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-env-'));
    dbName = uniqueName('shop');
    admin = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, multipleStatements: true });
    await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4;
      USE ${dbName};
      CREATE TABLE catalog_product_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(255), price DECIMAL(12,4)) ENGINE=InnoDB;
      CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, product_id INT UNSIGNED NOT NULL, note TEXT, FOREIGN KEY (product_id) REFERENCES catalog_product_entity(entity_id)) ENGINE=InnoDB;`);
    const values = Array.from({ length: 500 }, (_, i) => `('SKU-${i}', 'Product ${i} 🚀', ${(i * 1.25).toFixed(2)})`).join(',');
    await admin.query(`INSERT INTO ${dbName}.catalog_product_entity (sku, name, price) VALUES ${values}`);
    await admin.query(`INSERT INTO ${dbName}.sales_order (product_id, note) SELECT entity_id, REPEAT('x', entity_id) FROM ${dbName}.catalog_product_entity`);
    await redis.client.set('session:abc', 'data');
    await redis.client.set('ttl:key', 'v', 'EX', 500);
    await redis.client.hset('hash', { a: '1', b: '2' });
    const root = join(dir, 'shop');
    await writeFiles(root, { 'app/etc/env.php': '<?php return [];', 'pub/media/a.jpg': Buffer.alloc(5000, 1), 'var/import/x.csv': 'a,b\n', 'var/cache/skip': 'c' });
    await writeFile(
      join(dir, 'envsnap.yaml'),
      `project: e2e
repository: repo
environments:
  production:
    type: production
    plan: starter
    root: shop
    mounts: [var, pub/media, app/etc]
    exclude: [var/cache/**]
    database: { type: mysql, host: 127.0.0.1, port: ${db.port}, user: ${db.user}, password_env: SHOP_DB_PASSWORD, name: ${dbName} }
    redis: [ { url: "${redis.url}", role: sessions }, { url: "${cache.url}", role: cache } ]
    maintenance: { command_on: "touch on.marker && sleep \${SLOW_ON:-0}", command_off: "rm -f on.marker" }
  redisdown:
    type: integration
    plan: starter
    root: shop
    mounts: [var]
    redis: [ { url: "redis://127.0.0.1:1/0", role: sessions } ]
    maintenance: { command_on: "touch on.marker", command_off: "rm -f on.marker" }
`,
    );
    await runOk(['init'], { cwd: dir });
  });

  after(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin?.end();
    await redis?.release();
    await cache?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('snapshots database, Redis and mounts consistently and restores them over changed data', async () => {
    const want = await checksums(db, dbName);
    const snap = await runJson(['-e', 'production', 'snapshot:create'], { cwd: dir, env: env() });
    assert.equal(snap.mode, 'consistent');
    assert.deepEqual(snap.sources.map((s: { path: string }) => s.path), ['files', 'mysql/default', 'redis/sessions', 'redis/cache']);
    assert.ok(snap.sources[1].point.binlogFile || snap.sources[1].point.gtid !== undefined, `no binlog position recorded: ${JSON.stringify(snap.sources[1].point)}`);
    assert.equal(existsSync(join(dir, 'shop', 'on.marker')), false, 'maintenance mode was left on');

    const list = await runJson(['snapshot:list'], { cwd: dir });
    assert.equal(list.filter((s: { id: string; restorable: boolean }) => s.id === snap.snapshotId && s.restorable).length, 1);

    await admin.query(`UPDATE ${dbName}.catalog_product_entity SET price = 0; DELETE FROM ${dbName}.sales_order WHERE entity_id > 100`);
    await redis.client.flushdb();
    await redis.client.set('new', 'x');
    await writeFile(join(dir, 'shop', 'var/import/x.csv'), 'changed');

    const refused = await runCli(['snapshot:restore', snap.shortId], { cwd: dir, env: env() });
    assert.equal(refused.code, 23, refused.stderr);
    assert.match(oneErrorLine(refused), /--yes/);
    assert.equal(await redis.client.get('new'), 'x', 'a refused restore changed Redis');

    await runOk(['snapshot:restore', snap.shortId, '--yes'], { cwd: dir, env: env() });
    assert.deepEqual(await checksums(db, dbName), want);
    assert.equal(await redis.client.get('session:abc'), 'data');
    assert.equal(await redis.client.get('new'), null);
    const ttl = await redis.client.ttl('ttl:key');
    assert.ok(ttl > 400 && ttl <= 500, `ttl after restore: ${ttl}`);
    assert.deepEqual(await redis.client.hgetall('hash'), { a: '1', b: '2' });
    assert.equal(await readFile(join(dir, 'shop', 'var/import/x.csv'), 'utf8'), 'a,b\n');
  });

  it('on a terminal the restore asks first: anything but yes changes nothing (exit 23), yes restores', async () => {
    const want = await checksums(db, dbName);
    const snap = await runJson(['-e', 'production', 'snapshot:create'], { cwd: dir, env: env() });
    await admin.query(`UPDATE ${dbName}.catalog_product_entity SET price = 7 WHERE entity_id < 10`);
    const changed = await checksums(db, dbName);
    await redis.client.set('typed', 'after the snapshot');
    const csv = join(dir, 'shop', 'var/import/x.csv');
    await writeFile(csv, 'changed on the terminal');
    const restore = ['snapshot:restore', snap.shortId, '-e', 'production'];

    for (const answer of ['n', 'no', '', 'yes please']) {
      const r = await runCliOnTerminal(restore, 'Continue? [y/N]', answer, { cwd: dir, env: env() });
      assert.ok(r.prompted, `the restore did not ask on a terminal:\n${r.stdout}`);
      assert.match(r.stdout, /This restore replaces:/);
      assert.equal(r.code, 23, `answer ${JSON.stringify(answer)}: exit ${r.code}\n${r.stdout}`);
      assert.match(r.stdout, /error: restore cancelled: nothing was changed/);
      assert.deepEqual(await checksums(db, dbName), changed, `answer ${JSON.stringify(answer)} changed the database`);
      assert.equal(await redis.client.get('typed'), 'after the snapshot', `answer ${JSON.stringify(answer)} changed Redis`);
      assert.equal(await readFile(csv, 'utf8'), 'changed on the terminal', `answer ${JSON.stringify(answer)} changed the mounts`);
      assert.equal(existsSync(join(dir, 'shop', 'on.marker')), false, 'maintenance mode was left on');
    }

    const r = await runCliOnTerminal(restore, 'Continue? [y/N]', 'y', { cwd: dir, env: env() });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, new RegExp(`restored snapshot ${snap.shortId}`));
    assert.deepEqual(await checksums(db, dbName), want);
    assert.equal(await redis.client.get('typed'), null);
    assert.equal(await readFile(csv, 'utf8'), 'a,b\n');
  });

  it('a wrong database password fails before maintenance mode, naming the source, and saves nothing', async () => {
    const before = await runJson(['snapshot:list'], { cwd: dir });
    const r = await runCli(['-e', 'production', 'snapshot:create'], { cwd: dir, env: { SHOP_DB_PASSWORD: 'wrong' } });
    assert.equal(r.code, 21, r.stderr);
    assert.match(oneErrorLine(r), /database default/);
    assert.ok(!r.stderr.includes('wrong'), 'the password appears in the output');
    assert.equal(existsSync(join(dir, 'shop', 'on.marker')), false);
    assert.equal((await runJson(['snapshot:list'], { cwd: dir })).length, before.length);
  });

  it('--skip-cache leaves Redis caches out and says so', async () => {
    const snap = await runJson(['-e', 'production', 'snapshot:create', '--live', '--skip-cache'], { cwd: dir, env: env() });
    assert.equal(snap.mode, 'live');
    assert.deepEqual(snap.sources.map((s: { path: string }) => s.path), ['files', 'mysql/default', 'redis/sessions']);
    assert.equal(snap.skipped.length, 1);
    assert.match(snap.skipped[0], /redis cache/);
  });

  it('Redis down: the snapshot fails naming the source, before maintenance mode, and saves nothing', async () => {
    const before = await runJson(['snapshot:list'], { cwd: dir });
    const r = await runCli(['-e', 'redisdown', 'snapshot:create'], { cwd: dir });
    assert.equal(r.code, 21, r.stderr);
    assert.match(oneErrorLine(r), /redis sessions/);
    assert.equal(existsSync(join(dir, 'shop', 'on.marker')), false);
    assert.equal((await runJson(['snapshot:list'], { cwd: dir })).length, before.length);
  });

  it('an invalid envsnap.yaml is refused before anything runs, naming the key', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'project: x\nrepository: repo\nenvironments:\n  prod:\n    type: production\n    root: shop\n    mounts: [var]\n    databse: {}\n');
    const r = await runCli(['-c', bad, '-e', 'prod', 'snapshot:create'], { cwd: dir });
    assert.equal(r.code, 20, r.stderr);
    assert.match(oneErrorLine(r), /databse/);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while maintenance mode is on ends it, exits 130 and saves no snapshot; the repository checks clean and the next snapshot succeeds`, async () => {
      const before = await runJson(['snapshot:list'], { cwd: dir });
      const marker = join(dir, 'shop', 'on.marker');
      // The on-command touches the marker, then sleeps: the CLI is stopped the moment the marker
      // appears, so the signal arrives while maintenance mode is on, whatever the machine's speed.
      const run = spawnCli(['-e', 'production', 'snapshot:create'], { cwd: dir, env: { ...env(), SLOW_ON: '3' } });
      const seen = await stopWhenSeen(run, { dir: join(dir, 'shop'), name: /^on\.marker$/ }, 'maintenance mode to come on');
      assert.equal(seen, 'stopped', 'the run ended before maintenance mode was seen on');
      run.child.kill(signal);
      run.child.kill('SIGCONT');
      const r = await run.done;
      assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
      assert.match(r.stderr, /interrupted/);
      assert.equal(existsSync(marker), false, `maintenance mode stayed on after ${signal}`);
      assert.deepEqual(await runJson(['snapshot:list'], { cwd: dir }), before, `${signal} left a snapshot listed`);
      await runOk(['check'], { cwd: dir });

      const next = await runJson(['-e', 'production', 'snapshot:create'], { cwd: dir, env: env() });
      assert.equal(existsSync(marker), false, 'maintenance mode was left on by the next snapshot');
      const after = await runJson(['snapshot:list'], { cwd: dir });
      assert.equal(after.length, before.length + 1);
      assert.ok(after.some((s: { id: string; restorable: boolean }) => s.id === next.snapshotId && s.restorable), 'the next snapshot is not listed as restorable');
    });
  }
});
