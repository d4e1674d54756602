import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isEnvsnapError } from '../core/errors.ts';
import { listSnapshots } from '../snapshot/manifest.ts';
import { FakeClock } from '../core/clock.ts';
import type { SourceKind } from '../sources/source.ts';
import { FakeSink, FakeSource, type FakeStep } from '../testing/fake-source.ts';
import { quietContext, tempRepo, writeFiles, type TempRepo } from '../testing/temp-repo.ts';
import { createEnvironmentSnapshot, type MaintenanceRunner } from './create-environment-snapshot.ts';
import type { SourceSpec } from './environment-sources.ts';
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

const DB_FILES = { 'meta.json': '{"tables":1}', 'data/t/00000.tsv': '1\tone\n2\ttwo\n' };
const REDIS_FILES = { 'keys.bin': Buffer.from([0, 1, 2, 255]) };

function specs(calls: string[], fail: { id: string; at: FakeStep } | undefined, sinks: Map<string, FakeSink>): SourceSpec[] {
  const make = (kind: 'mysql' | 'redis', id: string, files: Record<string, string | Buffer>): SourceSpec => ({
    kind,
    id,
    name: `${kind} ${id}`,
    create: async () => new FakeSource({ kind, name: `${kind} ${id}`, files, calls, failAt: fail?.id === id ? fail.at : undefined }),
    createSink: async () => sinks.get(`${kind}/${id}`)!,
  });
  return [make('mysql', 'default', DB_FILES), make('redis', 'cache', REDIS_FILES)];
}

describe('environment snapshots (use cases, fake sources)', () => {
  let fx: TempRepo;
  let root: string;
  const env = () => ({ name: 'production', type: 'production', plan: 'pro', root, mounts: ['var', 'pub/media', 'app/etc'], exclude: ['var/cache/**'] });

  before(async () => {
    fx = await tempRepo('envsnap');
    root = join(fx.dir, 'shop');
    await writeFiles(root, {
      'var/import/a.csv': 'sku,qty\n1,2\n',
      'var/cache/skip.me': 'cache',
      'pub/media/catalog/p.jpg': Buffer.alloc(3000, 7),
      'app/etc/env.php': "<?php return ['db' => 'prod'];",
      'app/code/not-a-mount.php': 'x',
    });
  });
  after(() => fx.dispose());

  it('opens every source before maintenance, pins inside it, captures after it, and records every source', async () => {
    const calls: string[] = [];
    const snap = await createEnvironmentSnapshot(quietContext, fx.repo, { project: 'shop', env: env(), sources: specs(calls, undefined, new Map()), maintenance: runner(calls) });
    assert.deepEqual(calls.slice(0, 6), ['mysql default:open', 'redis cache:open', 'maintenance:on', 'mysql default:pin', 'redis cache:pin', 'maintenance:off']);
    assert.deepEqual(calls.slice(6, 8).sort(), ['mysql default:capture', 'redis cache:capture']);
    assert.deepEqual(calls.slice(8).sort(), ['mysql default:close', 'redis cache:close']);
    const e = snap.environment!;
    assert.equal(e.mode, 'consistent');
    assert.equal(e.maintenanceMs, 5);
    assert.deepEqual(e.sources.map((s) => s.path), ['files', 'mysql/default', 'redis/cache']);
    assert.equal(e.sources[1].bytes, Buffer.byteLength(DB_FILES['meta.json']) + Buffer.byteLength(DB_FILES['data/t/00000.tsv']));
    assert.deepEqual(e.sources[1].point, { position: 42 });
    assert.equal((await listSnapshots(fx.repo)).filter((s) => s.id === snap.id).length, 1);
  });

  it('records each source\'s point in time and the skew between them by the injected clock', async () => {
    const calls: string[] = [];
    const clock = new FakeClock(Date.UTC(2026, 2, 1, 3, 0, 0));
    const t0 = clock.now();
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const source = (kind: SourceKind, id: string, o: { consistent?: boolean; during?: (step: FakeStep) => void | Promise<void> }): SourceSpec => ({
      kind,
      id,
      name: `${kind} ${id}`,
      create: async () => new FakeSource({ kind, name: `${kind} ${id}`, files: { 'meta.json': id }, calls, ...o }),
      createSink: async () => new FakeSink({ kind, name: id, calls }),
    });
    const sources = [
      // The database pins 1.0 s in; the SQLite backup pins 3.5 s in (pins run together, this one ends
      // after the database's); Redis has no point: its live capture runs from then for 0.7 s.
      source('mysql', 'default', { during: (step) => void (step === 'pin' && clock.advance(1000)) }),
      source('sqlite', 'demo', { during: async (step) => void (step === 'pin' && (await new Promise(setImmediate), clock.advance(2500))) }),
      source('redis', 'cache', { consistent: false, during: (step) => void (step === 'capture' && clock.advance(700)) }),
    ];
    const snap = await createEnvironmentSnapshot({ ...quietContext, clock }, fx.repo, { project: 'shop', env: env(), sources, maintenance: runner(calls) });
    const e = snap.environment!;
    assert.deepEqual(
      e.sources.map((s) => [s.path, s.pointFrom, s.pointTo]),
      [
        ['files', at(3500), at(3500)],
        ['mysql/default', at(1000), at(1000)],
        ['sqlite/demo', at(3500), at(3500)],
        ['redis/cache', at(3500), at(4200)],
      ],
    );
    // From the earliest point (the database's pin) to the latest (the end of the Redis capture).
    assert.equal(e.skewMs, 4200 - 1000);
    assert.equal(snap.time, at(0));
  });

  for (const at of ['open', 'pin', 'capture'] as const) {
    it(`a source failing at ${at}: no snapshot saved, maintenance off, every source closed`, async () => {
      const calls: string[] = [];
      const before = (await listSnapshots(fx.repo)).length;
      await assert.rejects(
        createEnvironmentSnapshot(quietContext, fx.repo, { project: 'shop', env: env(), sources: specs(calls, { id: 'cache', at }, new Map()), maintenance: runner(calls) }),
        (err: unknown) => isEnvsnapError(err) && err.message.includes('redis cache'),
      );
      assert.equal((await listSnapshots(fx.repo)).length, before);
      if (calls.includes('maintenance:on')) assert.equal(calls.at(calls.indexOf('maintenance:on') + 3), 'maintenance:off');
      assert.equal(calls.filter((c) => c === 'maintenance:off').length, calls.filter((c) => c === 'maintenance:on').length);
      assert.ok(calls.includes('mysql default:close') && calls.includes('redis cache:close'));
    });
  }

  it('a second snapshot of unchanged sources adds nothing to the repository', async () => {
    const calls: string[] = [];
    await createEnvironmentSnapshot(quietContext, fx.repo, { project: 'shop', env: env(), sources: specs(calls, undefined, new Map()) });
    const again = await createEnvironmentSnapshot(quietContext, fx.repo, { project: 'shop', env: env(), sources: specs(calls, undefined, new Map()) });
    assert.equal(again.environment!.mode, 'live');
    assert.equal(again.summary.addedBytes, 0);
    assert.equal(again.summary.unchangedFiles, 3);
  });

  it('restores every part into another environment, asking before replacing data, keeping its env.php', async () => {
    const calls: string[] = [];
    const snap = await createEnvironmentSnapshot(quietContext, fx.repo, { project: 'shop', env: env(), sources: specs(calls, undefined, new Map()) });
    const stagingRoot = join(fx.dir, 'staging');
    await writeFiles(stagingRoot, { 'app/etc/env.php': "<?php return ['db' => 'staging'];", 'var/import/a.csv': 'old' });
    const sinks = new Map([
      ['mysql/default', new FakeSink({ kind: 'mysql', name: 'staging db', calls, target: new Map([['old', Buffer.from('x')]]) })],
      ['redis/cache', new FakeSink({ kind: 'redis', name: 'staging redis', calls })],
    ]);
    const asked: string[][] = [];
    const results = await restoreEnvironmentSnapshot(
      quietContext,
      fx.repo,
      { snapshot: snap, target: { name: 'staging', root: stagingRoot }, targetSources: specs(calls, undefined, sinks) },
      async (lines) => (asked.push(lines), true),
    );
    assert.deepEqual(results.map((r) => r.part), ['database', 'redis', 'mounts']);
    assert.equal(asked.length, 1);
    assert.equal(asked[0].length, 2, `one line for the database with data, one for the files: ${asked[0].join(' | ')}`);
    assert.deepEqual([...sinks.get('mysql/default')!.target.keys()].sort(), Object.keys(DB_FILES).sort());
    assert.equal(sinks.get('mysql/default')!.target.get('data/t/00000.tsv')!.toString(), DB_FILES['data/t/00000.tsv']);
    assert.ok(sinks.get('redis/cache')!.target.get('keys.bin')!.equals(REDIS_FILES['keys.bin']));
    assert.equal(await readFile(join(stagingRoot, 'var/import/a.csv'), 'utf8'), 'sku,qty\n1,2\n');
    assert.deepEqual(await readFile(join(stagingRoot, 'pub/media/catalog/p.jpg')), Buffer.alloc(3000, 7));
    assert.equal(await readFile(join(stagingRoot, 'app/etc/env.php'), 'utf8'), "<?php return ['db' => 'staging'];");
    await assert.rejects(readFile(join(stagingRoot, 'var/cache/skip.me')), /ENOENT/);
    await assert.rejects(readFile(join(stagingRoot, 'app/code/not-a-mount.php')), /ENOENT/);
  });

  it('a cancelled confirmation changes nothing; --only restores one part', async () => {
    const calls: string[] = [];
    const snap = await createEnvironmentSnapshot(quietContext, fx.repo, { project: 'shop', env: env(), sources: specs(calls, undefined, new Map()) });
    const target = join(fx.dir, 'cancel');
    await mkdir(join(target, 'var'), { recursive: true });
    await writeFile(join(target, 'var/keep.txt'), 'mine');
    const db = new FakeSink({ kind: 'mysql', name: 'db', calls, target: new Map([['old', Buffer.from('x')]]) });
    const sinks = new Map([['mysql/default', db], ['redis/cache', new FakeSink({ kind: 'redis', name: 'r', calls })]]);
    await assert.rejects(
      restoreEnvironmentSnapshot(quietContext, fx.repo, { snapshot: snap, target: { name: 'production', root: target }, targetSources: specs(calls, undefined, sinks) }, async () => false),
      (err: unknown) => isEnvsnapError(err, 'TARGET_NOT_EMPTY'),
    );
    assert.deepEqual([...db.target.keys()], ['old']);
    assert.equal(await readFile(join(target, 'var/keep.txt'), 'utf8'), 'mine');
    await assert.rejects(readFile(join(target, 'var/import/a.csv')), /ENOENT/);
    const r = await restoreEnvironmentSnapshot(quietContext, fx.repo, { snapshot: snap, target: { name: 'production', root: target }, targetSources: specs(calls, undefined, sinks), only: ['redis'] }, async () => true);
    assert.deepEqual(r.map((x) => x.part), ['redis']);
    assert.deepEqual([...db.target.keys()], ['old']);
  });
});
