/**
 * Many hosts, one repository in an S3 bucket: three writer processes, each with a cache directory of
 * its own (as on separate hosts), take snapshots at the same time while a fourth deletes a snapshot
 * and prunes, all with --retry-lock so they wait for each other's locks instead of failing. Then
 * check --read-data is clean and every snapshot still listed restores byte for byte. A second host
 * opening the repository reads its index from its own cache after the first run.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { s3Env, testS3, uniqueBucket } from '../../src/testing/servers.ts';
import { assertTreesEqual, pseudoRandom, runJson, runOk, tempDir, type RunOptions } from './helpers.ts';

const HOSTS = ['alpha', 'bravo', 'charlie'];
const VERSIONS = 3;

describe('many hosts writing to one S3 repository', () => {
  it('concurrent writers and a prune: nothing lost, check --read-data clean, every snapshot restores identically', async (t) => {
    const info = await testS3();
    const repo = `s3://${uniqueBucket()}/shared`;
    const dir = await tempDir(t);
    const host = (h: string): RunOptions => ({ repo, env: { ...s3Env(info), ENVSNAP_CACHE_DIR: join(dir, `cache-${h}`) } });
    await runOk(['init'], host('admin'));

    // Each host's versions of its tree: a file every host has (stored once), and files of its own.
    const common = pseudoRandom(1 << 20, 'common');
    for (const h of HOSTS) {
      for (let v = 1; v <= VERSIONS; v++) {
        const d = join(dir, h, `v${v}`);
        await mkdir(join(d, 'media'), { recursive: true });
        await writeFile(join(d, 'common.bin'), common);
        for (let i = 0; i <= v; i++) await writeFile(join(d, 'media', `img${i}.bin`), pseudoRandom(300_000, `${h}-${i}`));
        await writeFile(join(d, 'version.txt'), `${h} version ${v}\n`);
      }
    }

    const snapshot = (h: string, v: number) => runJson<{ snapshotId: string }>(['--retry-lock', '10m', 'snapshot:create', '--tag', `${h}-v${v}`], { ...host(h), cwd: join(dir, h, `v${v}`) });
    const taken = new Map<string, string>();
    const writers = HOSTS.map(async (h) => {
      for (let v = 1; v <= VERSIONS; v++) taken.set((await snapshot(h, v)).snapshotId, join(dir, h, `v${v}`));
    });
    // The pruner: as soon as alpha's first snapshot exists, delete it and prune, while the others write.
    const pruner = (async () => {
      let first: string | undefined;
      while (!first) {
        await new Promise((r) => setTimeout(r, 200));
        first = [...taken].find(([, d]) => d === join(dir, 'alpha', 'v1'))?.[0];
      }
      await runOk(['--retry-lock', '10m', 'snapshot:delete', first], host('pruner'));
      taken.delete(first);
      await runOk(['--retry-lock', '10m', 'prune'], host('pruner'));
      return first;
    })();
    await Promise.all(writers);
    const deleted = await pruner;
    await runOk(['--retry-lock', '10m', 'prune'], host('pruner'));

    const check = await runOk(['check', '--read-data'], host('checker'));
    assert.match(check.stdout + check.stderr, /check found 0 error\(s\)/);
    const listed = await runJson<{ id: string }[]>(['snapshot:list'], host('checker'));
    assert.deepEqual(listed.map((s) => s.id).sort(), [...taken.keys()].sort(), 'every snapshot taken is listed, the deleted one is not');
    assert.ok(!listed.some((s) => s.id === deleted));
    for (const [id, source] of taken) {
      const target = join(dir, 'restore', id.slice(0, 8));
      await runOk(['snapshot:restore', id, '--target', target], host('checker'));
      await assertTreesEqual(source, target);
      await rm(target, { recursive: true, force: true });
    }

    // A host's cache holds the index and manifests it has seen; a new listing downloads none of them again.
    // (Beside it, repositories/ holds what this host found of each snapshot's data: see app/local-records.ts.)
    const cached = (await readdir(join(dir, 'cache-checker'))).filter((name) => name !== 'repositories');
    assert.equal(cached.length, 1, 'one folder per repository');
    const files = await readdir(join(dir, 'cache-checker', cached[0]!, 'snapshots'));
    assert.equal(files.length, taken.size);
  });
});
