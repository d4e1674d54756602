/**
 * Magento's backup types through the real CLI, with an environment that needs no server (mounts and
 * SQLite): db and db-media snapshots, a system one without media; snapshot:list's Type column and
 * --json backupType, snapshot:info, a refused --type db-media, and restoring the mounts of a db
 * snapshot refused with one line.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { oneErrorLine, runCli, runJson, runOk } from './helpers.ts';

const CONFIG = `project: e2e
repository: repo
environments:
  dev:
    type: integration
    root: shop
    mounts: [var, pub/media]
    database: { type: sqlite, path: data/shop.db }
    maintenance: { flag: var/.maintenance.flag }
  nomedia:
    type: integration
    root: shop
    mounts: [var]
    database: { type: sqlite, path: data/shop.db }
`;

interface Listed {
  id: string;
  type: string;
  backupType: string | null;
  excludeMedia?: boolean;
  environment?: string;
}

describe('backup types (CLI)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-types-'));
    await writeFiles(join(dir, 'shop'), { 'var/import/a.csv': 'a,b\n', 'pub/media/catalog/p.jpg': Buffer.alloc(2000, 3), 'data/.keep': '' });
    const db = new DatabaseSync(join(dir, 'shop', 'data', 'shop.db'));
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('one'), ('two');");
    db.close();
    await writeFile(join(dir, 'envsnap.yaml'), CONFIG);
    await runOk(['init'], { cwd: dir });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('creates db, db-media and system-without-media snapshots, listed and shown with their type', async () => {
    const db = await runJson(['-e', 'dev', 'snapshot:create', '--type', 'db'], { cwd: dir });
    assert.equal(db.backupType, 'db');
    assert.deepEqual(db.sources.map((s: { path: string }) => s.path), ['sqlite/default']);
    const media = await runJson(['-e', 'dev', 'snapshot:create', '--type', 'db-media'], { cwd: dir });
    assert.deepEqual(media.sources.map((s: { path: string }) => s.path), ['files', 'sqlite/default']);
    assert.equal(media.summary.files, 1, 'only pub/media');
    const sys = await runJson(['-e', 'dev', 'snapshot:create', '--exclude-media'], { cwd: dir });
    assert.equal(sys.excludeMedia, true);

    const list = await runJson<Listed[]>(['-e', 'dev', 'snapshot:list'], { cwd: dir });
    assert.deepEqual(
      list.map((x) => [x.id, x.type, x.backupType, x.excludeMedia]),
      [
        [db.snapshotId, 'db', 'db', undefined],
        [media.snapshotId, 'db-media', 'db-media', undefined],
        [sys.snapshotId, 'system (no media)', 'system', true],
      ],
    );
    const table = await runOk(['-e', 'dev', 'snapshot:list'], { cwd: dir });
    assert.match(table.stdout, new RegExp(`${media.snapshotId.slice(0, 8)}\\s+yes\\s+db-media\\s`));
    assert.match(table.stdout, new RegExp(`${sys.snapshotId.slice(0, 8)}\\s+yes\\s+system \\(no media\\)\\s`));

    const info = await runOk(['snapshot:info', db.snapshotId.slice(0, 8)], { cwd: dir });
    assert.match(info.stdout, /^type\s+db$/m);
    assert.match(info.stdout, /^source\s+database default: /m);
    assert.doesNotMatch(info.stdout, /^source\s+mounts/m);
    const infoJson = await runJson(['snapshot:info', media.snapshotId], { cwd: dir });
    assert.equal(infoJson.environment.backupType, 'db-media');
    assert.deepEqual(infoJson.paths, ['pub/media']);
    const sysInfo = await runOk(['snapshot:info', sys.snapshotId], { cwd: dir });
    assert.match(sysInfo.stdout, /^type\s+system \(without pub\/media\)$/m);

    // Restoring the mounts of a db snapshot: one line, nothing asked.
    const r = await runCli(['-e', 'dev', 'snapshot:restore', db.snapshotId, '--only', 'mounts', '--yes'], { cwd: dir });
    assert.notEqual(r.code, 0);
    assert.match(oneErrorLine(r), new RegExp(`^error: snapshot ${db.snapshotId.slice(0, 8)} has no mounts \\(backup type db: it holds database default\\): restore its databases with --only database`));
    // Its database restores.
    await runOk(['-e', 'dev', 'snapshot:restore', db.snapshotId, '--yes'], { cwd: dir });
    const check = await runJson(['check'], { cwd: dir });
    assert.deepEqual(check.errors, []);
  });

  it('refuses db-media without pub/media and a bad --type, with one line each', async () => {
    const r = await runCli(['-e', 'nomedia', 'snapshot:create', '--type', 'db-media'], { cwd: dir });
    assert.notEqual(r.code, 0);
    assert.match(oneErrorLine(r), /^error: environment nomedia has no pub\/media among its mounts \(var\): add pub\/media to its mounts in envsnap\.yaml, or use --type db/);
    const bad = await runCli(['-e', 'dev', 'snapshot:create', '--type', 'full'], { cwd: dir });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /choose one of system, db-media, db/);
  });
});
