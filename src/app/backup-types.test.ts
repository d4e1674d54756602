/**
 * Magento's backup types (system, system without media, db-media, db) through the use cases: which
 * sources and which mount paths end up in the snapshot, what the manifest records, the parent used
 * for incremental reading across types, and restoring a db snapshot.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { parseProjectConfig } from '../config/project-config.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { BlobType } from '../repo/blob.ts';
import type { Repository } from '../repo/repository.ts';
import { backupScope, type EnvironmentBackupType } from '../policy/backup-types.ts';
import type { Snapshot } from '../snapshot/manifest.ts';
import { decodeTree } from '../snapshot/tree.ts';
import { FakeSink, FakeSource } from '../testing/fake-source.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';
import { createEnvironmentSnapshot, type MaintenanceRunner } from './create-environment-snapshot.ts';
import type { SourceSpec } from './environment-sources.ts';
import { restoreEnvironment, snapshotEnvironment } from './environment-snapshots.ts';
import { restoreEnvironmentSnapshot } from './restore-environment-snapshot.ts';

function runner(calls: string[]): MaintenanceRunner {
  return {
    description: 'test flag',
    async run(fn) {
      calls.push('maintenance:on');
      try {
        return { result: await fn(), onMs: 5 };
      } finally {
        calls.push('maintenance:off');
      }
    },
  };
}

const DB_FILES = { 'meta.json': '{"tables":1}', 'data/t/00000.tsv': '1\tone\n' };

function specs(calls: string[], sinks = new Map<string, FakeSink>()): SourceSpec[] {
  const make = (kind: 'mysql' | 'redis', id: string): SourceSpec => ({
    kind,
    id,
    name: `${kind} ${id}`,
    create: async () => new FakeSource({ kind, name: `${kind} ${id}`, files: kind === 'mysql' ? DB_FILES : { 'keys.bin': 'k' }, calls }),
    createSink: async () => sinks.get(`${kind}/${id}`)!,
  });
  return [make('mysql', 'default'), make('redis', 'cache')];
}

/** Every file path under a snapshot's files/ directory ("var/import/a.csv"), sorted; [] without one. */
async function filePaths(repo: Repository, snap: Snapshot): Promise<string[]> {
  await repo.loadIndex();
  const out: string[] = [];
  const walk = async (id: string, prefix: string) => {
    for (const n of decodeTree(await repo.loadBlob(BlobType.tree, Buffer.from(id, 'hex')), id).nodes) {
      const p = prefix ? `${prefix}/${n.name}` : n.name;
      if (n.type === 'dir') await walk(n.subtree!, p);
      else out.push(p);
    }
  };
  const root = decodeTree(await repo.loadBlob(BlobType.tree, Buffer.from(snap.tree, 'hex')), snap.tree);
  const files = root.nodes.find((n) => n.name === 'files');
  if (files) await walk(files.subtree!, '');
  return out.sort();
}

const SHOP = {
  'var/import/a.csv': 'sku,qty\n1,2\n',
  'pub/media/catalog/p.jpg': Buffer.alloc(3000, 7),
  'pub/static/s.css': 'body{}',
  'app/etc/env.php': "<?php return ['db' => 'prod'];",
};

describe('backup types (use cases, fake sources)', () => {
  let fx: TempRepo;
  let root: string;
  const MOUNTS = ['var', 'pub', 'app/etc'];

  /** What snapshotEnvironment does with a type: the scope's mounts, excludes and sources. */
  const take = (project: string, type: EnvironmentBackupType, excludeMedia = false, calls: string[] = []) => {
    const scope = backupScope({ name: 'production', mounts: MOUNTS }, type, excludeMedia);
    return createEnvironmentSnapshot(quietContext, fx.repo, {
      project,
      env: { name: 'production', type: 'production', plan: 'pro', root, mounts: scope.mounts, exclude: scope.exclude },
      sources: specs(calls).filter((s) => scope.redis || s.kind !== 'redis'),
      maintenance: runner(calls),
      backupType: scope.type,
      excludeMedia: scope.excludeMedia,
    });
  };

  before(async () => {
    fx = await tempRepo('envsnap-types');
    root = join(fx.dir, 'shop');
    await writeFiles(root, SHOP);
  });
  after(() => fx.dispose());

  it('system: databases, Redis and every mount', async () => {
    const snap = await take('system', 'system');
    const e = snap.environment!;
    assert.equal(e.backupType, 'system');
    assert.equal(e.excludeMedia, undefined);
    assert.deepEqual(e.sources.map((s) => s.path), ['files', 'mysql/default', 'redis/cache']);
    assert.deepEqual(await filePaths(fx.repo, snap), Object.keys(SHOP).sort());
  });

  it('system --exclude-media: pub/media left out, even under a wider mount (pub)', async () => {
    const snap = await take('nomedia', 'system', true);
    const e = snap.environment!;
    assert.equal(e.backupType, 'system');
    assert.equal(e.excludeMedia, true);
    assert.deepEqual(e.sources.map((s) => s.path), ['files', 'mysql/default', 'redis/cache']);
    assert.deepEqual(await filePaths(fx.repo, snap), ['app/etc/env.php', 'pub/static/s.css', 'var/import/a.csv']);
  });

  it('db-media: databases and pub/media, no Redis', async () => {
    const snap = await take('dbmedia', 'db-media');
    const e = snap.environment!;
    assert.equal(e.backupType, 'db-media');
    assert.deepEqual(e.sources.map((s) => s.path), ['files', 'mysql/default']);
    assert.deepEqual(e.sources[0].details!.mounts, ['pub/media']);
    assert.deepEqual(snap.paths, ['pub/media']);
    assert.deepEqual(await filePaths(fx.repo, snap), ['pub/media/catalog/p.jpg']);
  });

  it('db: databases only, no files/ and maintenance mode only around the pin', async () => {
    const calls: string[] = [];
    const snap = await take('db', 'db', false, calls);
    const e = snap.environment!;
    assert.equal(e.backupType, 'db');
    assert.deepEqual(e.sources.map((s) => s.path), ['mysql/default']);
    assert.deepEqual(snap.paths, []);
    assert.deepEqual(await filePaths(fx.repo, snap), []);
    assert.deepEqual(calls, ['mysql default:open', 'maintenance:on', 'mysql default:pin', 'maintenance:off', 'mysql default:capture', 'mysql default:close']);
    assert.equal(snap.summary.files, 0);
    assert.equal(snap.summary.bytes, e.sources[0].bytes);
    assert.equal(snap.partial, false);
  });

  it('a db-media parent does not cost a following system snapshot any file; a db snapshot is no parent', async () => {
    // Same project/environment: db-media, then db (latest, no files tree), then system.
    const media = await take('parent', 'db-media');
    await take('parent', 'db');
    const full = await take('parent', 'system');
    assert.deepEqual(await filePaths(fx.repo, full), Object.keys(SHOP).sort());
    const files = full.environment!.sources.find((s) => s.kind === 'files')!.details!;
    // pub/media was found unchanged in the db-media parent; the rest was read.
    assert.equal(files.unchangedFiles, 1);
    assert.equal(files.newFiles, 3);
    assert.equal(media.summary.newFiles, 1);
    // A later system snapshot prefers the system parent (same mounts): nothing read again.
    await take('parent', 'db-media');
    const again = await take('parent', 'system');
    assert.equal(again.summary.unchangedFiles, 4);
    assert.equal(again.summary.newFiles + again.summary.changedFiles, 0);
  });

  it('restoring a db snapshot restores the database and refuses --only mounts / --include clearly', async () => {
    const snap = await take('restore', 'db');
    const calls: string[] = [];
    const db = new FakeSink({ kind: 'mysql', name: 'db', calls });
    const sinks = new Map([['mysql/default', db]]);
    const target = { name: 'production', root: join(fx.dir, 'restore-target') };
    const r = await restoreEnvironmentSnapshot(quietContext, fx.repo, { snapshot: snap, target, targetSources: specs(calls, sinks) }, async () => true);
    assert.deepEqual(r.map((x) => x.part), ['database']);
    assert.deepEqual([...db.target.keys()].sort(), Object.keys(DB_FILES).sort());
    for (const extra of [{ only: ['mounts' as const] }, { include: ['var'] }, { only: ['database' as const, 'mounts' as const] }]) {
      await assert.rejects(
        restoreEnvironmentSnapshot(quietContext, fx.repo, { snapshot: snap, target, targetSources: specs(calls, sinks), ...extra }, async () => true),
        (err: unknown) =>
          isEnvsnapError(err, 'INVALID_ARGUMENT') &&
          err.message.startsWith(`snapshot ${snap.id.slice(0, 8)} has no mounts (backup type db: it holds mysql default): restore its databases with --only database`),
      );
    }
  });
});

describe('backup types (snapshotEnvironment, SQLite and an unreachable Redis)', () => {
  let fx: TempRepo;
  const yaml = `project: shop
repository: repo
environments:
  production:
    type: integration
    root: shop
    mounts: [var, pub/media, app/etc]
    database: { type: sqlite, path: data/shop.db }
    redis: [{ url: "redis://127.0.0.1:1", role: sessions }]
  nomedia:
    type: integration
    root: shop
    mounts: [var, app/etc]
    database: { type: sqlite, path: data/shop.db }
  filesonly:
    type: integration
    root: shop
    mounts: [var]
`;
  const project = () => parseProjectConfig(yaml, join(fx.dir, 'envsnap.yaml'));

  before(async () => {
    fx = await tempRepo('envsnap-types-env');
    await writeFiles(join(fx.dir, 'shop'), { ...SHOP, 'data/.keep': '' });
    const db = new DatabaseSync(join(fx.dir, 'shop', 'data', 'shop.db'));
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('one');");
    db.close();
    await writeFile(join(fx.dir, 'envsnap.yaml'), yaml);
  });
  after(() => fx.dispose());

  it('db: the SQLite database only; Redis never connected', async () => {
    const p = project();
    const snap = await snapshotEnvironment(quietContext, fx.repo, { project: p, env: p.environments.get('production')!, backupType: 'db' });
    assert.equal(snap.environment!.backupType, 'db');
    assert.deepEqual(snap.environment!.sources.map((s) => s.path), ['sqlite/default']);
    assert.deepEqual(snap.environment!.skipped, []);
    // Restoring its mounts is refused before anything is asked.
    await assert.rejects(
      restoreEnvironment(quietContext, fx.repo, { project: p, snapshot: snap.id, only: ['mounts'] }, async () => true),
      (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT') && /has no mounts \(backup type db: it holds database default\)/.test(err.message),
    );
  });

  it('db-media: SQLite and pub/media; Redis never connected', async () => {
    const p = project();
    const snap = await snapshotEnvironment(quietContext, fx.repo, { project: p, env: p.environments.get('production')!, backupType: 'db-media' });
    assert.deepEqual(snap.environment!.sources.map((s) => s.path), ['files', 'sqlite/default']);
    assert.deepEqual(await filePaths(fx.repo, snap), ['pub/media/catalog/p.jpg']);
  });

  it('db-media without pub/media among the mounts, and db without a database: refused before anything runs', async () => {
    const p = project();
    await assert.rejects(
      snapshotEnvironment(quietContext, fx.repo, { project: p, env: p.environments.get('nomedia')!, backupType: 'db-media' }),
      (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT') && /^environment nomedia has no pub\/media among its mounts \(var, app\/etc\)/.test(err.message),
    );
    await assert.rejects(
      snapshotEnvironment(quietContext, fx.repo, { project: p, env: p.environments.get('filesonly')!, backupType: 'db' }),
      (err: unknown) => isEnvsnapError(err, 'CONFIG') && /^environment filesonly has no databases/.test(err.message),
    );
  });

  it('system --exclude-media records it and leaves pub/media out', async () => {
    const p = project();
    const env = { ...p.environments.get('production')!, redis: [] };
    const snap = await snapshotEnvironment(quietContext, fx.repo, { project: p, env, excludeMedia: true });
    assert.equal(snap.environment!.backupType, 'system');
    assert.equal(snap.environment!.excludeMedia, true);
    assert.deepEqual(await filePaths(fx.repo, snap), ['app/etc/env.php', 'var/import/a.csv']);
  });
});
