/**
 * `snapshot:import` through the real CLI against a real MariaDB: a system snapshot exported as
 * Magento's <t>_snapshot.tgz, imported into another environment and restored there gives every
 * table with an equal CHECKSUM and every file byte-identical with its mode, mtime, owner, symlinks
 * and hardlinks; the imported snapshot lists as a manual system snapshot at the archive's time and
 * exports again. A plain .sql.gz from mariadb-dump (views, triggers, binary data) imports as a db
 * snapshot. Each bad input — a corrupt gzip, a truncated .tgz or .sql.gz, a member escaping the
 * root, an unknown kind of file, SQL the server rejects — is one error line with exit code 1, and
 * leaves the repository byte for byte as it was and no scratch database behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, link, lutimes, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import mysql from 'mysql2/promise';
import tar from 'tar-stream';
import { testMariaDb, uniqueName, type MariaDbInfo } from '../../src/testing/servers.ts';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { assertTreesEqual, oneErrorLine, repoState, runCli, runJson, spawnCli, waitFor } from './helpers.ts';

interface ListRow {
  id: string;
  created: string;
  type: string;
  backupType: string | null;
  automated: boolean | null;
  environment?: string;
}

describe('snapshot:import (CLI, MariaDB)', () => {
  let dir: string;
  let db: MariaDbInfo;
  let admin: mysql.Connection;
  const names = { source: uniqueName('impsrc'), target: uniqueName('imptgt'), dumped: uniqueName('impdump') };
  const TABLES = ['sales_order', 'media_blob', 'order_log'];
  const env = () => ({ SHOP_DB_PASSWORD: db.password });
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: env() });
  const json = <T>(args: string[]) => runJson<T>(args, { cwd: dir, env: env() });
  /** A fixed past time (whole seconds: tar carries mtimes to the second). */
  const T0 = 1_600_000_000;

  async function checksums(database: string): Promise<string[]> {
    const out: string[] = [];
    for (const t of TABLES) {
      const [rows] = await admin.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE \`${database}\`.\`${t}\` EXTENDED`);
      out.push(`${t}=${String(rows[0].Checksum)}`);
    }
    return out;
  }

  async function scratchDatabases(): Promise<string[]> {
    const [rows] = await admin.query<mysql.RowDataPacket[]>("SHOW DATABASES LIKE '%envsnap\\_import%'");
    return rows.map((r) => String(Object.values(r)[0]));
  }

  async function seed(database: string): Promise<void> {
    await admin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4;
      USE ${database};
      CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, note TEXT, total DECIMAL(12,4), created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;
      CREATE TABLE media_blob (id INT PRIMARY KEY, data LONGBLOB, flags BIT(5)) ENGINE=InnoDB;
      CREATE TABLE order_log (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT UNSIGNED, what VARCHAR(20)) ENGINE=InnoDB;
      INSERT INTO sales_order (note, total, created_at) SELECT IF(seq % 2, 'Grüße 🎁; it''s "quoted" \\\\ done', NULL), seq * 1.5, FROM_UNIXTIME(1700000000 + seq) FROM seq_1_to_3000;
      INSERT INTO media_blob VALUES (1, UNHEX('00FF27223B5C0D0A1A80FE'), b'10101'), (2, RANDOM_BYTES(1000), b'1'), (3, '', NULL);
      CREATE VIEW big_orders AS SELECT entity_id, total FROM sales_order WHERE total > 100;
      CREATE TRIGGER log_order AFTER INSERT ON sales_order FOR EACH ROW BEGIN INSERT INTO order_log (order_id, what) VALUES (NEW.entity_id, 'created'); END;`);
  }

  before(async () => {
    db = await testMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-import-'));
    admin = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, multipleStatements: true });
    await seed(names.source);
    const shop = join(dir, 'shop');
    await writeFiles(shop, {
      'app/etc/env.php': "<?php return ['db' => []];",
      'pub/media/catalog/product/a.jpg': Buffer.alloc(300_000, 7),
      'pub/media/wysiwyg/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]),
      'var/import/x.csv': 'sku,qty\nA,1\n',
      'var/private.key': 'secret\n',
    });
    await chmod(join(shop, 'var/private.key'), 0o600);
    await mkdir(join(shop, 'var/empty'), { mode: 0o750 });
    await chmod(join(shop, 'var/empty'), 0o750);
    await link(join(shop, 'var/import/x.csv'), join(shop, 'var/import/x-copy.csv'));
    await symlink('import/x.csv', join(shop, 'var/latest.csv'));
    // Whole seconds, children before their folders (writing into a folder changes its mtime).
    const stamp = async (rel: string, i: number) => utimes(join(shop, rel), T0 + i, T0 + i);
    for (const [i, rel] of ['app/etc/env.php', 'pub/media/catalog/product/a.jpg', 'pub/media/wysiwyg/logo.png', 'var/import/x.csv', 'var/private.key'].entries()) await stamp(rel, i);
    await lutimes(join(shop, 'var/latest.csv'), T0 + 20, T0 + 20);
    for (const [i, rel] of ['pub/media/catalog/product', 'pub/media/catalog', 'pub/media/wysiwyg', 'pub/media', 'pub', 'var/import', 'var/empty', 'var', 'app/etc', 'app'].entries()) await stamp(rel, 100 + i);
    const environment = (name: string, root: string, database: string) =>
      `  ${name}:\n    type: ${name}\n    plan: starter\n    root: ${root}\n    mounts: [var, pub/media, app/etc]\n` +
      `    database: { type: mysql, host: 127.0.0.1, port: ${db.port}, user: ${db.user}, password_env: SHOP_DB_PASSWORD, name: ${database} }\n`;
    await writeFile(join(dir, 'envsnap.yaml'), `project: e2e\nrepository: repo\nenvironments:\n${environment('production', 'shop', names.source)}${environment('staging', 'staging', names.target)}`);
    const init = await cli(['init']);
    assert.equal(init.code, 0, init.stderr);
  });

  after(async () => {
    for (const d of Object.values(names)) await admin?.query(`DROP DATABASE IF EXISTS \`${d}\``);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('a <time>_snapshot.tgz export imports into another environment and restores there: equal checksums, identical files and metadata; it lists and exports again', async () => {
    const snap = await json<{ snapshotId: string; time: string }>(['-e', 'production', 'snapshot:create', '--live']);
    const out = join(dir, 'exports');
    await mkdir(out);
    const exported = await json<{ path: string }>(['snapshot:export', snap.snapshotId, '--format', 'magento', '-o', out]);
    const time = Math.floor(Date.parse(snap.time) / 1000);
    assert.equal(exported.path, join(out, `${time}_snapshot.tgz`));

    const imported = await json<{ snapshotId: string; time: string; backupType: string; imported: { files: string[] }; database: { statements: number; from: string }; archive: { outside: number } }>([
      '-e',
      'staging',
      'snapshot:import',
      exported.path,
    ]);
    assert.equal(imported.backupType, 'system');
    assert.equal(imported.time, new Date(time * 1000).toISOString(), "the snapshot's time is the archive's");
    assert.deepEqual(imported.imported.files, [`${time}_snapshot.tgz`]);
    assert.equal(imported.database.from, `${exported.path}:var/${time}_db.sql`);
    assert.ok(imported.database.statements > 5);
    assert.equal(imported.archive.outside, 0);
    assert.deepEqual(await scratchDatabases(), []);

    const listed = (await json<ListRow[]>(['snapshot:list'])).find((r) => r.id === imported.snapshotId);
    assert.ok(listed, 'the imported snapshot is listed');
    assert.deepEqual({ type: listed.type, automated: listed.automated, environment: listed.environment }, { type: 'system', automated: false, environment: 'staging' });

    const restored = await cli(['snapshot:restore', imported.snapshotId, '--yes']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await checksums(names.target), await checksums(names.source));
    const [[view]] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${names.target}\`.big_orders`);
    assert.equal(Number(view.n), 2934);
    await admin.query(`INSERT INTO \`${names.target}\`.sales_order (note) VALUES ('after restore')`);
    const [[log]] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${names.target}\`.order_log`);
    assert.equal(Number(log.n), 1, 'the trigger was restored');
    // Every file and folder of the mounts, with mode, mtime, owner, symlinks and hardlinks — and no var/<time>_db.sql.
    await assertTreesEqual(join(dir, 'shop'), join(dir, 'staging'));

    const again = join(dir, 'again');
    await mkdir(again);
    const reexported = await json<{ path: string }>(['snapshot:export', imported.snapshotId, '--format', 'magento', '-o', again]);
    assert.equal(reexported.path, join(again, `${time}_snapshot.tgz`));
    const members = spawnSync('tar', ['-tzf', reexported.path]).stdout.toString('utf8').split('\n');
    assert.ok(members.includes('pub/media/catalog/product/a.jpg') && members.includes(`var/${time}_db.sql`), members.join(' '));
  });

  it("a plain .sql.gz from mariadb-dump imports as a db snapshot at the import's time and restores with equal checksums", async () => {
    await admin.query(`DROP DATABASE IF EXISTS \`${names.target}\``);
    const dump = spawnSync('mariadb-dump', ['--no-defaults', '-h', db.host, '-P', String(db.port), '-u', db.user, `-p${db.password}`, '--single-transaction', '--routines', '--triggers', names.source], { maxBuffer: 1 << 28 });
    assert.equal(dump.status, 0, dump.stderr.toString('utf8'));
    const file = join(dir, 'shop-dump.sql.gz');
    await writeFile(file, gzipSync(dump.stdout));
    const before = Date.now();
    const imported = await json<{ snapshotId: string; time: string; backupType: string; database: { skippedCount: number } }>(['-e', 'staging', 'snapshot:import', 'shop-dump.sql.gz']);
    assert.equal(imported.backupType, 'db');
    assert.ok(Date.parse(imported.time) >= before - 1000, `time ${imported.time} is the import's`);
    const restored = await cli(['snapshot:restore', imported.snapshotId, '--yes']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await checksums(names.target), await checksums(names.source));
    assert.deepEqual(await scratchDatabases(), []);
  });

  it("an archive made elsewhere: members outside the mounts are one warning, the database comes from the .sql.gz beside it, the type from what it holds", async () => {
    const dump = spawnSync('mariadb-dump', ['--no-defaults', '-h', db.host, '-P', String(db.port), '-u', db.user, `-p${db.password}`, names.source], { maxBuffer: 1 << 28 });
    assert.equal(dump.status, 0, dump.stderr.toString('utf8'));
    await writeFile(join(dir, '1700000000_db.sql.gz'), gzipSync(dump.stdout));
    const pack = tar.pack();
    const mtime = new Date(T0 * 1000);
    for (const name of ['./', 'app/', 'app/code/', 'pub/', 'pub/media/', 'pub/media/catalog/', 'vendor/']) pack.entry({ name, type: 'directory', mode: 0o755, mtime });
    pack.entry({ name: 'app/code/Module.php', mode: 0o644, mtime }, '<?php');
    pack.entry({ name: 'vendor/autoload.php', mode: 0o644, mtime }, '<?php');
    pack.entry({ name: 'pub/media/catalog/a.jpg', mode: 0o644, mtime }, Buffer.alloc(1000, 9));
    pack.finalize();
    const parts: Buffer[] = [];
    for await (const b of pack) parts.push(b as Buffer);
    await writeFile(join(dir, '1700000000_media.tgz'), gzipSync(Buffer.concat(parts)));

    const r = await cli(['--json', '-e', 'staging', 'snapshot:import', '1700000000_media.tgz', '1700000000_db.sql.gz']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { snapshotId: string; time: string; backupType: string; imported: { files: string[] }; archive: { files: number; outside: number } };
    assert.deepEqual(
      { time: out.time, type: out.backupType, files: out.imported.files, imported: out.archive.files, outside: out.archive.outside },
      { time: new Date(1_700_000_000_000).toISOString(), type: 'db-media', files: ['1700000000_media.tgz', '1700000000_db.sql.gz'], imported: 1, outside: 4 },
    );
    assert.match(r.stderr, /1700000000_media\.tgz: 4 outside the mounts of staging \(app, vendor\) — not imported/);
    const info = await json<{ paths: string[]; environment: { imported: { files: string[] }; sources: { kind: string; id: string }[] } }>(['snapshot:info', out.snapshotId]);
    assert.deepEqual(info.paths, ['pub/media']);
    assert.deepEqual(info.environment.sources.map((s) => `${s.kind}/${s.id}`), ['files/mounts', 'mysql/default']);

    await writeFile(join(dir, 'other.sql'), 'SELECT 1;\n');
    const both = await cli(['-e', 'staging', 'snapshot:import', '1700000000_media.tgz', '1700000000_db.sql.gz', 'other.sql']);
    assert.equal(both.code, 1);
    assert.match(oneErrorLine(both), /1700000000_db\.sql\.gz and other\.sql are both SQL dumps: one snapshot is made of at most one archive and one SQL dump/);
    const noDb = await cli(['-e', 'staging', 'snapshot:import', '1700000000_media.tgz']);
    assert.equal(noDb.code, 1);
    assert.match(oneErrorLine(noDb), /1700000000_media\.tgz holds no database \(var\/<time>_db\.sql\): give the database dump alongside/);
    assert.deepEqual(await scratchDatabases(), []);
  });

  it('Ctrl-C while the SQL loads: exit code 130, the scratch database dropped, no snapshot', async () => {
    const rows = Array.from({ length: 400_000 }, (_, i) => `INSERT INTO t VALUES (${i},'row ${i}');\n`).join('');
    await writeFile(join(dir, 'slow.sql'), `CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));\n${rows}`);
    const listBefore = await json<ListRow[]>(['snapshot:list']);
    const run = spawnCli(['-e', 'staging', 'snapshot:import', 'slow.sql'], { cwd: dir, env: env() });
    await waitFor(async () => (await scratchDatabases()).length > 0, 'the scratch database', 60_000, 20);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(await scratchDatabases(), []);
    assert.deepEqual(await json<ListRow[]>(['snapshot:list']), listBefore);
  });

  describe('bad input: one error line, exit code 1, the repository unchanged, no scratch database left', () => {
    let good: Buffer;
    before(async () => {
      const snap = await json<{ snapshotId: string }>(['-e', 'production', 'snapshot:create', '--live']);
      const out = join(dir, 'bad-src');
      await mkdir(out);
      good = await readFile((await json<{ path: string }>(['snapshot:export', snap.snapshotId, '--format', 'magento', '-o', out])).path);
    });

    async function evilTar(name: string): Promise<Buffer> {
      const pack = tar.pack();
      pack.entry({ name: 'var/ok.txt' }, 'fine');
      pack.entry({ name }, 'evil');
      pack.finalize();
      const parts: Buffer[] = [];
      for await (const b of pack) parts.push(b as Buffer);
      return gzipSync(Buffer.concat(parts));
    }

    const cases: { name: string; file: string; content: () => Buffer | Promise<Buffer>; message: RegExp }[] = [
      { name: 'a corrupt gzip', file: '1700000001_db.sql.gz', content: () => Buffer.from('this is not gzip at all, just text\n'), message: /1700000001_db\.sql\.gz is not a gzip file or is damaged \(.*\): check it with "gzip -t/ },
      { name: 'a truncated .tgz', file: '1700000002_snapshot.tgz', content: () => good.subarray(0, Math.floor(good.length * 0.6)), message: /1700000002_snapshot\.tgz is truncated \(its gzip stream ends early\): copy the complete file again/ },
      {
        name: 'a truncated .sql.gz',
        file: '1700000003_db.sql.gz',
        content: () => {
          const sql = Buffer.from(`CREATE TABLE t (a INT);\n${'INSERT INTO t VALUES (1),(2),(3);\n'.repeat(20_000)}`);
          const gz = gzipSync(sql);
          return gz.subarray(0, gz.length - 100);
        },
        message: /1700000003_db\.sql\.gz is truncated/,
      },
      { name: 'a member climbing out with ..', file: 'climb.tgz', content: () => evilTar('var/../../escape.txt'), message: /climb\.tgz: member "var\/\.\.\/\.\.\/escape\.txt" climbs out with "\.\."/ },
      { name: 'a member with an absolute path', file: 'absolute.tgz', content: () => evilTar('/etc/cron.d/evil'), message: /absolute\.tgz: member "\/etc\/cron\.d\/evil" is an absolute path/ },
      { name: 'an unknown kind of file', file: 'backup.zip', content: () => Buffer.from('PK'), message: /backup\.zip: unknown kind of file: snapshot:import reads SQL dumps/ },
      {
        name: 'SQL the server rejects',
        file: 'broken.sql',
        content: () => Buffer.from('-- a dump\nCREATE TABLE t (a INT);\nINSERT INTO t VALUES (1),(2);\nINSERT INTO t VALUES (3,;\n'),
        message: /broken\.sql: the server rejected the statement at line 4 \(error 1064: .*\): fix the dump there/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const repo = join(dir, 'repo');
        const before = await repoState(repo);
        const listBefore = await json<ListRow[]>(['snapshot:list']);
        await writeFile(join(dir, c.file), await c.content());
        const r = await cli(['-e', 'staging', 'snapshot:import', c.file]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(oneErrorLine(r), c.message);
        assert.deepEqual(await json<ListRow[]>(['snapshot:list']), listBefore);
        assert.deepEqual(await repoState(repo), before, 'the repository is unchanged');
        assert.deepEqual(await readdir(join(repo, 'locks')).catch(() => []), []);
        assert.deepEqual(await scratchDatabases(), []);
      });
    }
  });
});
