/**
 * `snapshot:export` through the real CLI: an environment snapshot (MariaDB + mounts) exported as
 * Magento's archives — <t>_snapshot.tgz / _nomedia.tgz unpacked by GNU tar give the mounts
 * byte-identical at their paths under the root and var/<t>_db.sql, which the mariadb client loads
 * with equal checksums; <t>_db.sql.gz for a db snapshot; <t>_media.tgz of a db-media snapshot holds
 * only var/<t>_db.sql and pub/media; `--format tar --path` of a mount lists its files with their
 * modes and sizes; a whole file snapshot as a tar stream on stdout, piped into GNU tar, unpacks into the
 * source tree byte for byte with its modes and mtimes; a file snapshot to Magento or an unknown format
 * is refused with one error line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, lutimes, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import mysql from 'mysql2/promise';
import { testMariaDb, uniqueName, type MariaDbInfo } from '../../src/testing/servers.ts';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { assertTreesEqual, mariadbClient, oneErrorLine, pseudoRandom, runCli, runJson, runOk, spawnCli, walkTree } from './helpers.ts';

describe('snapshot:export (CLI, MariaDB)', () => {
  let dir: string;
  let db: MariaDbInfo;
  let dbName: string;
  let admin: mysql.Connection;
  const copies: string[] = [];
  const env = () => ({ SHOP_DB_PASSWORD: db.password });
  const files: Record<string, string | Buffer> = {
    'app/etc/env.php': "<?php return ['db' => []];",
    'pub/media/catalog/product/a.jpg': Buffer.alloc(300_000, 7),
    'var/import/x.csv': 'sku,qty\nA,1\n',
  };

  async function checksum(database: string): Promise<string> {
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE \`${database}\`.sales_order EXTENDED`);
    return String(rows[0].Checksum);
  }

  async function loadInto(sql: Buffer): Promise<string> {
    const copy = uniqueName('expcopy');
    copies.push(copy);
    await admin.query(`CREATE DATABASE ${copy}`);
    mariadbClient(db, copy, sql);
    return copy;
  }

  before(async () => {
    db = await testMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-export-'));
    dbName = uniqueName('expshop');
    admin = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, multipleStatements: true });
    await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4;
      USE ${dbName};
      CREATE TABLE ${dbName}.sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, note TEXT, total DECIMAL(12,4)) ENGINE=InnoDB;
      INSERT INTO ${dbName}.sales_order (note, total) SELECT IF(seq % 2, 'Grüße 🎁', NULL), seq * 1.5 FROM seq_1_to_1000;`);
    await writeFiles(join(dir, 'shop'), files);
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
    database: { type: mysql, host: 127.0.0.1, port: ${db.port}, user: ${db.user}, password_env: SHOP_DB_PASSWORD, name: ${dbName} }
`,
    );
    await runOk(['init'], { cwd: dir });
  });

  after(async () => {
    for (const c of [dbName, ...copies]) await admin?.query(`DROP DATABASE IF EXISTS \`${c}\``);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('a system snapshot becomes <time>_snapshot.tgz: GNU tar unpacks the mounts byte-identical and var/<time>_db.sql loads with equal checksums', async () => {
    const snap = await runJson<{ snapshotId: string; time: string }>(['-e', 'production', 'snapshot:create', '--live'], { cwd: dir, env: env() });
    const out = join(dir, 'backups');
    await mkdir(out);
    const r = await runJson<{ path: string; type: string }>(['-e', 'production', 'snapshot:export', snap.snapshotId, '--format', 'magento', '-o', out], { cwd: dir });
    const time = Math.floor(Date.parse(snap.time) / 1000);
    assert.equal(r.path, join(out, `${time}_snapshot.tgz`));
    assert.deepEqual(await readdir(out), [`${time}_snapshot.tgz`], 'no temporary file may be left');

    const unpacked = join(dir, 'unpacked');
    await mkdir(unpacked);
    const tar = spawnSync('tar', ['-xzf', r.path, '-C', unpacked]);
    assert.equal(tar.status, 0, tar.stderr.toString('utf8'));
    for (const [path, content] of Object.entries(files)) {
      assert.deepEqual(await readFile(join(unpacked, path)), Buffer.from(content), path);
      assert.equal((await stat(join(unpacked, path))).mode & 0o777, (await stat(join(dir, 'shop', path))).mode & 0o777, `${path}: mode`);
    }
    const copy = await loadInto(await readFile(join(unpacked, 'var', `${time}_db.sql`)));
    assert.equal(await checksum(copy), await checksum(dbName));
  });

  it('a db snapshot becomes <time>_db.sql.gz; a system one without media becomes _nomedia.tgz without pub/media', async () => {
    const dbSnap = await runJson<{ snapshotId: string; time: string }>(['-e', 'production', 'snapshot:create', '--live', '--type', 'db'], { cwd: dir, env: env() });
    const out = join(dir, 'db-only');
    await mkdir(out);
    const r = await runJson<{ path: string }>(['-e', 'production', 'snapshot:export', dbSnap.snapshotId, '--format', 'magento', '-o', out], { cwd: dir });
    assert.equal(r.path, join(out, `${Math.floor(Date.parse(dbSnap.time) / 1000)}_db.sql.gz`));
    const copy = await loadInto(gunzipSync(await readFile(r.path)));
    assert.equal(await checksum(copy), await checksum(dbName));

    const noMedia = await runJson<{ snapshotId: string; time: string }>(['-e', 'production', 'snapshot:create', '--live', '--exclude-media'], { cwd: dir, env: env() });
    const r2 = await runJson<{ path: string }>(['-e', 'production', 'snapshot:export', noMedia.snapshotId, '--format', 'magento', '-o', out], { cwd: dir });
    assert.match(r2.path, /_nomedia\.tgz$/);
    const list = spawnSync('tar', ['-tzf', r2.path]).stdout.toString('utf8').split('\n');
    assert.ok(list.includes('var/import/x.csv') && list.includes('app/etc/env.php'), list.join(' '));
    assert.ok(!list.some((l) => l.startsWith('pub/media')), 'pub/media should be left out');
  });

  it('a db-media snapshot becomes <time>_media.tgz holding only the database at var/<time>_db.sql and pub/media', async () => {
    const snap = await runJson<{ snapshotId: string; time: string }>(['-e', 'production', 'snapshot:create', '--live', '--type', 'db-media'], { cwd: dir, env: env() });
    const out = join(dir, 'db-media');
    await mkdir(out);
    const r = await runJson<{ path: string }>(['-e', 'production', 'snapshot:export', snap.snapshotId, '--format', 'magento', '-o', out], { cwd: dir });
    const time = Math.floor(Date.parse(snap.time) / 1000);
    assert.equal(r.path, join(out, `${time}_media.tgz`));
    const listed = spawnSync('tar', ['-tzf', r.path]);
    assert.equal(listed.status, 0, listed.stderr.toString('utf8'));
    const members = listed.stdout.toString('utf8').split('\n').filter((l) => l !== '' && !l.endsWith('/'));
    assert.deepEqual(members.sort(), [`var/${time}_db.sql`, 'pub/media/catalog/product/a.jpg'].sort());

    const unpacked = join(dir, 'media-unpacked');
    await mkdir(unpacked);
    const tar = spawnSync('tar', ['-xzf', r.path, '-C', unpacked]);
    assert.equal(tar.status, 0, tar.stderr.toString('utf8'));
    assert.deepEqual(await readFile(join(unpacked, 'pub/media/catalog/product/a.jpg')), files['pub/media/catalog/product/a.jpg']);
    const copy = await loadInto(await readFile(join(unpacked, 'var', `${time}_db.sql`)));
    assert.equal(await checksum(copy), await checksum(dbName));
  });

  it('--format tar of a whole snapshot to stdout, piped into tar -x, gives the source tree byte for byte with modes and mtimes', async () => {
    const src = join(dir, 'tree');
    await writeFiles(src, {
      'big.bin': pseudoRandom(5_000_000, 'export-tar'),
      'empty.txt': '',
      'bin/run.sh': '#!/bin/sh\necho run\n',
      'etc/secret.conf': 'key=value\n',
      'deep/a/b/c/note.txt': 'deep\n',
    });
    await mkdir(join(src, 'empty-dir'));
    await symlink('deep/a/b/c/note.txt', join(src, 'link'));
    await chmod(join(src, 'bin/run.sh'), 0o755);
    await chmod(join(src, 'etc/secret.conf'), 0o600);
    await chmod(join(src, 'deep/a'), 0o750);
    // Whole seconds: a tar header holds the mtime in seconds.
    const when = (i: number) => new Date(Date.UTC(2024, 0, 1 + i, 12, 0, 0));
    const paths = ['big.bin', 'empty.txt', 'bin/run.sh', 'etc/secret.conf', 'deep/a/b/c/note.txt', 'deep/a/b/c', 'deep/a/b', 'deep/a', 'deep', 'bin', 'etc', 'empty-dir'];
    for (const [i, p] of paths.entries()) await utimes(join(src, p), when(i), when(i));
    await lutimes(join(src, 'link'), when(20), when(20));
    const expected = await walkTree(src);
    const snap = await runJson<{ snapshotId: string }>(['snapshot:create', 'tree'], { cwd: dir });

    const out = join(dir, 'tree-from-tar');
    await mkdir(out);
    const cli = spawnCli(['snapshot:export', snap.snapshotId, '--format', 'tar'], { cwd: dir });
    const tar = spawn('tar', ['-x', '-C', out], { stdio: ['pipe', 'ignore', 'pipe'] });
    let tarErr = '';
    tar.stderr!.on('data', (b: Buffer) => (tarErr += b.toString('utf8')));
    cli.child.stdout!.pipe(tar.stdin!);
    const [exported, tarStatus] = await Promise.all([cli.done, new Promise<number | null>((ok) => tar.on('close', ok))]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(tarStatus, 0, tarErr);
    assert.match(exported.stderr, new RegExp(`exported snapshot ${snap.snapshotId.slice(0, 8)}: 5 files, 8 directories`));
    assert.deepEqual(await readdir(out), ['tree'], 'the members are at their paths under the snapshot root');
    await assertTreesEqual(expected, join(out, 'tree'));
  });

  it('--format tar --path -z -o writes that part of the snapshot as a .tgz file', async () => {
    const snap = await runJson<{ snapshotId: string }>(['-e', 'production', 'snapshot:create', '--live'], { cwd: dir, env: env() });
    const out = join(dir, 'media.tgz');
    await runOk(['-e', 'production', 'snapshot:export', snap.snapshotId, '--format', 'tar', '--path', 'files/pub/media', '-z', '-o', out], { cwd: dir });
    const listed = spawnSync('tar', ['-tzvf', out]);
    assert.equal(listed.status, 0, listed.stderr.toString('utf8'));
    const lines = listed.stdout.toString('utf8').trim().split('\n');
    assert.match(lines.find((l) => l.endsWith('files/pub/media/catalog/product/a.jpg')) ?? '', /^-rw-r--r-- .* 300000 /);
    assert.ok(lines.every((l) => / files\/pub\/media\//.test(l)), lines.join('\n'));
  });

  it('a file snapshot to Magento, an unknown format and a missing folder are each one clear error', async () => {
    await writeFiles(join(dir, 'plain'), { 'a.txt': 'a' });
    await runOk(['snapshot:create', 'plain'], { cwd: dir });
    const file = await runCli(['snapshot:export', 'latest', '--format', 'magento', '-o', dir], { cwd: dir });
    assert.equal(file.code, 1, file.stderr);
    assert.match(oneErrorLine(file), /is a file snapshot: a Magento backup holds a database; export it with --format tar instead/);
    const zip = await runCli(['snapshot:export', 'latest', '--format', 'zip'], { cwd: dir });
    assert.match(oneErrorLine(zip), /--format zip is not known: pass --format tar or --format magento/);
    const missing = await runCli(['snapshot:export', 'latest', '--format', 'magento', '-o', join(dir, 'nope')], { cwd: dir });
    assert.match(oneErrorLine(missing), /the output folder .*nope does not exist/);
  });
});
