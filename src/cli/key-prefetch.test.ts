import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pendingPrefetches } from '../crypto/kdf.ts';
import { Repository } from '../repo/repository.ts';
import { LocalStore } from '../storage/local/local-store.ts';
import { systemClock } from '../core/clock.ts';
import { prefetchRepositoryKey } from './key-prefetch.ts';

const kdf = { name: 'scrypt' as const, N: 1 << 10, r: 8, p: 1, salt: Buffer.from('prefetch-test').toString('base64') };

describe('prefetchRepositoryKey', () => {
  let dir: string;
  let repo: string;
  const saved = { ENVSNAP_PASSWORD: process.env.ENVSNAP_PASSWORD, ENVSNAP_REPO: process.env.ENVSNAP_REPO, ENVSNAP_SERVER: process.env.ENVSNAP_SERVER };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'envsnap-prefetch-'));
    repo = join(dir, 'repo');
    await Repository.init(new LocalStore(repo), 'right password', { clock: systemClock, kdf });
    delete process.env.ENVSNAP_REPO;
    delete process.env.ENVSNAP_SERVER;
    process.env.ENVSNAP_PASSWORD = 'right password';
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('derives the key of --repo with ENVSNAP_PASSWORD ahead, and opening the repository takes it', async () => {
    const before = pendingPrefetches();
    prefetchRepositoryKey(['--repo', repo, 'snapshot:list']);
    assert.equal(pendingPrefetches(), before + 1);
    const opened = await Repository.open(new LocalStore(repo), 'right password', { clock: systemClock });
    assert.equal(pendingPrefetches(), before);
    await opened.close();
  });

  it('reads ENVSNAP_REPO, --repo=PATH, -r PATH and --password-file', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'right password\n');
    delete process.env.ENVSNAP_PASSWORD;
    for (const args of [['snapshot:list', '--repo=' + repo, '--password-file', file], ['-r', repo, 'check', `--password-file=${file}`]]) {
      const before = pendingPrefetches();
      prefetchRepositoryKey(args);
      assert.equal(pendingPrefetches(), before + 1, args.join(' '));
      await (await Repository.open(new LocalStore(repo), 'right password', { clock: systemClock })).close();
      assert.equal(pendingPrefetches(), before);
    }
    process.env.ENVSNAP_REPO = repo;
    process.env.ENVSNAP_PASSWORD = 'right password';
    const before = pendingPrefetches();
    prefetchRepositoryKey(['snapshot:list']);
    assert.equal(pendingPrefetches(), before + 1);
    await (await Repository.open(new LocalStore(repo), 'right password', { clock: systemClock })).close();
    assert.equal(pendingPrefetches(), before);
  });

  it('starts nothing without a password, for --help, through a server, for S3 or where no repository is', () => {
    const before = pendingPrefetches();
    delete process.env.ENVSNAP_PASSWORD;
    prefetchRepositoryKey(['--repo', repo, 'snapshot:list']);
    process.env.ENVSNAP_PASSWORD = 'right password';
    prefetchRepositoryKey(['--repo', repo, 'snapshot:list', '--help']);
    prefetchRepositoryKey(['--repo', repo, '--server', 'http://127.0.0.1:1', 'snapshot:list']);
    prefetchRepositoryKey(['--repo', 's3://bucket/prefix', 'snapshot:list']);
    prefetchRepositoryKey(['--repo', join(dir, 'missing'), 'snapshot:list']);
    prefetchRepositoryKey(['--repo', repo, '--password-file', join(dir, 'missing-file'), 'snapshot:list']);
    prefetchRepositoryKey(['snapshot:list', '--', '--repo', repo]);
    assert.equal(pendingPrefetches(), before);
  });

  it('does not read a password file that is a pipe, which only the command may read', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // A writer waits on the pipe: a prefetch that read it would take the password from the command.
    const writer = spawn('sh', ['-c', `echo 'right password' > '${fifo}'`], { stdio: 'ignore' });
    try {
      const before = pendingPrefetches();
      prefetchRepositoryKey(['--repo', repo, '--password-file', fifo, 'snapshot:list']);
      assert.equal(pendingPrefetches(), before);
    } finally {
      writer.kill();
    }
  });

  it('leaves a wrong password to opening the repository, which reports it', async () => {
    process.env.ENVSNAP_PASSWORD = 'wrong password';
    prefetchRepositoryKey(['--repo', repo, 'snapshot:list']);
    await assert.rejects(Repository.open(new LocalStore(repo), 'wrong password', { clock: systemClock }), /wrong password/);
  });
});
