/**
 * End to end, through the real CLI: what goes wrong outside envsnap's control — wrong or missing
 * password, no repository, a repository from a newer version, a missing source path, a non-empty
 * init target, a damaged pack, locks of live and dead processes, a full disk — gives the documented
 * exit code and one `error:` line, and leaves the repository as it was.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it, type TestContext } from 'node:test';
import {
  assertTreesEqual,
  linesStartingWith,
  lockFiles,
  oneErrorLine,
  packFiles,
  packsWritten,
  pseudoRandom,
  repoState,
  runCli,
  runJson,
  runOk,
  sha256File,
  spawnCli,
  stopWhenSeen,
  tempDir,
  walkTree,
  writePseudoRandomFile,
  type Spawned,
} from './helpers.ts';

const exec = promisify(execFile);

/** A temp dir with an initialized repository `repo` and a small source tree `src` (src/small/*). */
async function setup(t: { after(fn: () => unknown): void }) {
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  const src = join(dir, 'src');
  await mkdir(join(src, 'small', 'sub'), { recursive: true });
  for (let i = 0; i < 6; i++) await writeFile(join(src, 'small', `f${i}.bin`), pseudoRandom(2000 + i * 100, `small ${i}`));
  await writeFile(join(src, 'small', 'sub', 'note.txt'), 'a note\n');
  await runOk(['init'], { repo });
  return { dir, repo, src };
}

/** Asserts the repository holds exactly `before` (locks/ aside) and no lock is left. */
async function assertRepoUnchanged(repo: string, before: Map<string, string>, after: string): Promise<void> {
  assert.deepEqual(await repoState(repo), before, `the repository changed after ${after}`);
  assert.deepEqual(await lockFiles(repo), [], `a lock was left after ${after}`);
}

/** Lock objects (not temp files) in repo/locks. */
async function lockObjects(repo: string): Promise<string[]> {
  return (await lockFiles(repo)).filter((n) => /^[0-9a-f]{64}$/.test(n));
}

/** Fails the test because `sp` ended before the test could catch it at work, showing how it ended. */
async function failFinished(sp: Spawned, what: string): Promise<never> {
  const r = await sp.done;
  assert.fail(`${what} (exit ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** `count` 20 MB pseudo-random files under src/big. */
async function addBigFiles(src: string, count = 3): Promise<void> {
  await mkdir(join(src, 'big'), { recursive: true });
  for (let i = 0; i < count; i++) await writePseudoRandomFile(join(src, 'big', `b${i}.bin`), 20 * 1024 * 1024, `big ${i}`);
}

/**
 * Makes every lock acquisition slow, independently of how fast the machine is: a command writes its
 * lock object, then lists locks/ to look for conflicts, and listing walks every folder below locks/.
 * 8000 empty folders keep a new lock object in place, its process inside acquireLock, for a few
 * hundred milliseconds — time to stop, kill or interrupt it there. Returns a function removing them.
 * Folders are made and removed by child processes: thousands of fs calls here would fill this
 * process's thread pool and delay the polling that watches the CLI.
 */
async function slowLockListing(t: { after(fn: () => unknown): void }, repo: string): Promise<() => Promise<void>> {
  const pad = join(repo, 'locks', 'pad');
  await mkdir(pad);
  await exec('sh', ['-c', 'seq 0 7999 | xargs mkdir'], { cwd: pad });
  const remove = async () => {
    await exec('rm', ['-rf', pad]);
  };
  t.after(remove);
  return remove;
}

describe('bad input and failures', { concurrency: 2 }, () => {
  it('wrong password: exit 12, one error line, repository unchanged', async (t) => {
    const { repo, src } = await setup(t);
    await runOk(['snapshot:create'], { repo, cwd: src });
    const before = await repoState(repo);
    for (const args of [['snapshot:list'], ['snapshot:create'], ['snapshot:restore', 'latest', '--target', join(src, '..', 'out')]]) {
      const r = await runCli(args, { repo, cwd: src, password: 'not the password' });
      assert.equal(r.code, 12, `${args[0]}: ${r.stderr}`);
      assert.match(oneErrorLine(r), /wrong password/);
      assert.equal(r.stderr.trim().split('\n').length, 1, `more than the error on stderr:\n${r.stderr}`);
      assert.equal(r.stdout, '');
      await assertRepoUnchanged(repo, before, `${args[0]} with a wrong password`);
    }
    await assert.rejects(stat(join(src, '..', 'out')), { code: 'ENOENT' });
  });

  it('no repository: a missing directory and a directory that is not a repository give exit 10', async (t) => {
    const dir = await tempDir(t);
    const missing = join(dir, 'missing');
    let r = await runCli(['snapshot:list'], { repo: missing });
    assert.equal(r.code, 10, r.stderr);
    assert.match(oneErrorLine(r), /no repository at .*missing/);
    await assert.rejects(stat(missing), { code: 'ENOENT' }, 'a read command created the repository directory');

    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'notes.txt'), 'not a repository\n');
    r = await runCli(['snapshot:list'], { repo: other });
    assert.equal(r.code, 10, r.stderr);
    assert.match(oneErrorLine(r), /not an envsnap repository/);
    assert.deepEqual(await readdir(other), ['notes.txt']);

    // --repo wins over ENVSNAP_REPO, and no repository at all is the same exit code.
    r = await runCli(['--repo', missing, 'snapshot:list'], { repo: other });
    assert.equal(r.code, 10);
    assert.match(oneErrorLine(r), /missing/);
    r = await runCli(['snapshot:list'], {});
    assert.equal(r.code, 10);
    assert.match(oneErrorLine(r), /ENVSNAP_REPO/);
  });

  it('a repository of a newer format: exit 1 naming the version and asking to upgrade', async (t) => {
    const { repo, src } = await setup(t);
    await runOk(['snapshot:create'], { repo, cwd: src });
    await writeFile(join(repo, 'envsnap'), JSON.stringify({ repository: 'envsnap', version: 99 }) + '\n');
    const before = await repoState(repo);
    for (const args of [['snapshot:list'], ['snapshot:create']]) {
      const r = await runCli(args, { repo, cwd: src });
      assert.equal(r.code, 1, r.stderr);
      const line = oneErrorLine(r);
      assert.match(line, /\b99\b/);
      assert.match(line, /upgrade/);
      await assertRepoUnchanged(repo, before, `${args[0]} on a newer repository`);
    }
  });

  it('a missing source path: exit 1 naming it, no snapshot, repository unchanged', async (t) => {
    const { repo, src } = await setup(t);
    await runOk(['snapshot:create', 'small'], { repo, cwd: src });
    const before = await repoState(repo);
    const listBefore = await runJson<{ id: string }[]>(['snapshot:list'], { repo });

    let r = await runCli(['snapshot:create', 'small', 'no-such-dir'], { repo, cwd: src });
    assert.equal(r.code, 1, r.stderr);
    assert.match(oneErrorLine(r), /no-such-dir/);
    r = await runCli(['snapshot:create', '../outside'], { repo, cwd: src });
    assert.equal(r.code, 1, r.stderr);
    assert.match(oneErrorLine(r), /outside/);

    assert.deepEqual(await runJson(['snapshot:list'], { repo }), listBefore);
    await assertRepoUnchanged(repo, before, 'a snapshot of a missing path');
  });

  it('init refuses a non-empty directory and an existing repository', async (t) => {
    const dir = await tempDir(t);
    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'keep.txt'), 'mine\n');
    let r = await runCli(['init'], { repo: other });
    assert.equal(r.code, 1, r.stderr);
    assert.match(oneErrorLine(r), /not empty/);
    assert.deepEqual(await readdir(other), ['keep.txt']);

    const repo = join(dir, 'repo');
    await runOk(['init'], { repo });
    const before = await repoState(repo);
    r = await runCli(['init'], { repo });
    assert.equal(r.code, 1, r.stderr);
    assert.match(oneErrorLine(r), /already holds an envsnap repository/);
    await assertRepoUnchanged(repo, before, 'init on an existing repository');

    // An empty password is refused.
    r = await runCli(['init'], { repo: join(dir, 'repo2'), password: '', env: { ENVSNAP_PASSWORD: '' } });
    assert.equal(r.code, 1);
    assert.equal(linesStartingWith(r.stderr, 'error:').length, 1, r.stderr);
  });

  it('no password and no terminal: exit 1 naming ENVSNAP_PASSWORD', async (t) => {
    const { repo } = await setup(t);
    const r = await runCli(['snapshot:list'], { repo, password: null });
    assert.equal(r.code, 1, r.stderr);
    assert.match(oneErrorLine(r), /ENVSNAP_PASSWORD/);

    // --password-file works instead, and a missing one is named.
    const pwFile = join(repo, '..', 'pw.txt');
    await writeFile(pwFile, 'correct horse battery staple\n');
    await runOk(['--password-file', pwFile, 'snapshot:list'], { repo, password: null });
    const bad = await runCli(['--password-file', join(repo, '..', 'nope.txt'), 'snapshot:list'], { repo, password: null });
    assert.equal(bad.code, 1);
    assert.match(oneErrorLine(bad), /nope\.txt/);
  });

  it('a damaged pack: restore fails naming authentication and check, leaves only complete files, changes nothing', async (t) => {
    const { dir, repo, src } = await setup(t);
    // The small files go into one pack; the big file (and the trees) into another, so damage in the
    // middle of the big pack hits the big file's data, not the small files or a tree.
    await runOk(['snapshot:create', 'small'], { repo, cwd: src });
    const smallPacks = new Set((await packFiles(repo)).map((p) => p.name));
    await writePseudoRandomFile(join(src, 'big.bin'), 8 * 1024 * 1024, 'damaged pack');
    const created = await runJson<{ snapshotId: string }>(['snapshot:create'], { repo, cwd: src });
    const bigPack = (await packFiles(repo)).filter((p) => !smallPacks.has(p.name)).sort((a, b) => b.size - a.size)[0];
    assert.ok(bigPack && bigPack.size > 8 * 1024 * 1024, 'the big file is not in a pack of its own');
    const fh = await open(join(repo, bigPack.name), 'r+');
    const at = Math.floor(bigPack.size / 2);
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] ^= 0x01;
    await fh.write(b, 0, 1, at);
    await fh.close();

    const before = await repoState(repo);
    const target = join(dir, 'restore');
    const r = await runCli(['snapshot:restore', created.snapshotId, '--target', target], { repo });
    assert.notEqual(r.code, 0, 'a restore of damaged data succeeded');
    assert.equal(r.code, 1, r.stderr);
    const line = oneErrorLine(r);
    assert.match(line, /authentication|damaged/);
    assert.match(line, /check/);
    await assertRepoUnchanged(repo, before, 'a failed restore');

    // No half-written file under its real name: big.bin is absent, every file present is complete.
    await assert.rejects(stat(join(target, 'big.bin')), { code: 'ENOENT' });
    const restored = await walkTree(target).catch(() => new Map());
    const source = await walkTree(src);
    for (const [k, e] of restored) {
      assert.doesNotMatch(e.display, /\.envsnap-[0-9a-f]+\.tmp$/, 'a temporary file was left behind');
      if (e.type !== 'file') continue;
      assert.equal(e.sha256, source.get(k)?.sha256, `${e.display} was restored incomplete or wrong`);
    }

    // Data in other packs is still fine.
    const smallTarget = join(dir, 'small-restore');
    await runOk(['snapshot:restore', 'latest', '--target', smallTarget, '--include', 'small'], { repo });
    await assertTreesEqual(join(src, 'small'), join(smallTarget, 'small'));
  });

  it('a damaged pack is found by check --read-data, not passed as clean', async (t) => {
    const { repo, src } = await setup(t);
    await runOk(['snapshot:create'], { repo, cwd: src });
    await runOk(['check', '--read-data'], { repo });
    const [pack] = await packFiles(repo);
    const path = join(repo, pack.name);
    const data = await readFile(path);
    data[Math.floor(data.length / 3)] ^= 0x80;
    await writeFile(path, data);
    const before = await repoState(repo);
    const r = await runCli(['check', '--read-data'], { repo });
    assert.notEqual(r.code, 0, `check passed a damaged pack:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, new RegExp(pack.name.slice(-64, -56)));
    await assertRepoUnchanged(repo, before, 'check');
  });

  it('a lock of a live process: shared operations coexist, prune gets exit 11', async (t) => {
    const { dir, repo, src } = await setup(t);
    await addBigFiles(src, 3);
    const unpad = await slowLockListing(t, repo);
    // The snapshot is stopped as soon as its lock exists: it stays alive and holds the lock as long as needed.
    const running = await snapshotHoldingItsLock(t, repo, src, 'the snapshot to take its lock', 'the snapshot finished before it could be caught holding its lock');
    await unpad();
    try {
      const r = await runCli(['prune'], { repo });
      assert.equal(r.code, 11, `prune while a snapshot runs: ${r.stderr}`);
      const line = oneErrorLine(r);
      assert.match(line, /locked/);
      assert.match(line, new RegExp(`pid ${running.child.pid}\\b`));
      // Another snapshot (a shared lock) runs meanwhile.
      await runOk(['snapshot:create', 'small'], { repo, cwd: src });
    } finally {
      running.child.kill('SIGCONT');
    }
    const done = await running.done;
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(await lockFiles(repo), []);
    await runOk(['check'], { repo });
    // Both snapshots, written side by side, restore completely.
    const list = await runJson<{ id: string; paths: string[] }[]>(['snapshot:list'], { repo });
    assert.equal(list.length, 2);
    for (const s of list) {
      const target = join(dir, `restore-${s.id.slice(0, 8)}`);
      await runOk(['snapshot:restore', s.id, '--target', target], { repo });
      await assertTreesEqual(src, target, { only: (rel) => s.paths.includes('.') || rel === 'small' || rel.startsWith('small/') });
    }
  });

  it('SIGINT during a snapshot: exit 130, locks released, nothing listed, the next run succeeds', async (t) => {
    const { repo, src } = await setup(t);
    // 160 MB: after its first 16 MB pack, most of the run is still ahead when the signal comes.
    await addBigFiles(src, 8);
    const running = spawnCli(['snapshot:create'], { repo, cwd: src });
    t.after(() => {
      running.child.kill('SIGKILL');
    });
    // A written pack means the run is well past taking its lock.
    await stopAtWork(running, packsWritten(repo), 'the snapshot to write a pack', 'the snapshot finished before it could be interrupted: make the tree bigger');
    running.child.kill('SIGINT');
    running.child.kill('SIGCONT');
    const r = await running.done;
    assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
    assert.match(r.stderr, /interrupted/);
    assert.deepEqual(await lockFiles(repo), [], 'an interrupted run left its lock');
    assert.deepEqual(await runJson(['snapshot:list'], { repo }), []);
    await runOk(['check'], { repo });
    await runOk(['snapshot:create'], { repo, cwd: src });
  });

  it('SIGINT during a restore: exit 130, lock released, no temporary file, only complete files; the next restore finishes the job', async (t) => {
    const { dir, repo, src } = await setup(t);
    // Large files (written chunk by chunk, direct) and many medium ones (written whole by the workers, direct).
    await addBigFiles(src, 8);
    await mkdir(join(src, 'media'));
    for (let i = 0; i < 200; i++) await writePseudoRandomFile(join(src, 'media', `m${i}.jpg`), 256 * 1024 + i, `media ${i}`);
    await runOk(['snapshot:create'], { repo, cwd: src });
    const target = join(dir, 'restore');
    const running = spawnCli(['snapshot:restore', 'latest', '--target', target], { repo });
    t.after(() => {
      running.child.kill('SIGKILL');
    });
    await stopAtWork(running, { dir: target, name: /./ }, 'the restore to start writing', 'the restore finished before it could be interrupted: make the tree bigger');
    running.child.kill('SIGINT');
    running.child.kill('SIGCONT');
    const r = await running.done;
    assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
    assert.deepEqual(await lockFiles(repo), [], 'an interrupted restore left its lock');
    const source = await walkTree(src);
    const restored = await walkTree(target);
    assert.ok(restored.size < source.size, 'everything was restored before the signal: nothing was interrupted');
    for (const [k, e] of restored) {
      assert.doesNotMatch(e.display, /\.envsnap-.*\.tmp$/, 'a temporary file was left behind');
      if (e.type === 'file') assert.equal(e.sha256, source.get(k)?.sha256, `${e.display} was restored incomplete or wrong`);
    }
    await runOk(['snapshot:restore', 'latest', '--target', target], { repo });
    await assertTreesEqual(src, target);
  });

  it('SIGINT just after the lock object is written (while conflicts are looked for) still releases it', async (t) => {
    const { repo, src } = await setup(t);
    // Widen the window between writing the lock object and registering it as held.
    await slowLockListing(t, repo);
    const running = await snapshotHoldingItsLock(t, repo, src, 'the snapshot to write its lock', 'the snapshot finished before it could be interrupted');
    running.child.kill('SIGINT');
    running.child.kill('SIGCONT');
    const r = await running.done;
    assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
    assert.deepEqual(await lockObjects(repo), [], 'the interrupted run left its lock behind: the next prune would be refused until "unlock"');
  });

  it('a stale lock of a killed process is reported as a warning and removed by unlock', async (t) => {
    const { dir, repo, src } = await setup(t);
    await addBigFiles(src, 3);
    const unpad = await slowLockListing(t, repo);
    const running = await snapshotHoldingItsLock(t, repo, src, 'the snapshot to take its lock', 'the snapshot finished before it could be killed holding its lock');
    running.child.kill('SIGKILL');
    const killed = await running.done;
    await unpad();
    assert.equal(killed.signal, 'SIGKILL');
    const stale = await lockObjects(repo);
    assert.equal(stale.length, 1, 'the killed process left no lock');
    const pid = running.child.pid;

    // The next locking command warns about it and goes ahead.
    const r = await runCli(['snapshot:create', 'small'], { repo, cwd: src });
    assert.equal(r.code, 0, r.stderr);
    const warnings = linesStartingWith(r.stderr, 'warning:').filter((l) => /stale/.test(l));
    assert.equal(warnings.length, 1, `no stale-lock warning:\n${r.stderr}`);
    assert.match(warnings[0], new RegExp(`pid ${pid}\\b`));
    assert.match(warnings[0], /unlock/);
    assert.deepEqual(await lockObjects(repo), stale, 'the stale lock went away without unlock (or another was left)');
    // Restore is a locking command too.
    const rr = await runCli(['snapshot:restore', 'latest', '--target', join(dir, 'out')], { repo });
    assert.equal(rr.code, 0, rr.stderr);
    assert.match(rr.stderr, /warning: .*stale/);

    const u = await runOk(['unlock'], { repo });
    assert.match(u.stdout, new RegExp(`removed .*pid ${pid}\\b`));
    assert.deepEqual(await lockFiles(repo), []);
    const again = await runOk(['snapshot:create', 'small'], { repo, cwd: src });
    assert.doesNotMatch(again.stderr, /stale/);
    const u2 = await runOk(['unlock'], { repo });
    assert.match(u2.stdout, /no stale locks/);
    await runOk(['check'], { repo });
  });

  it('a full disk: exit 1 with one "no space" line; the repository stays consistent', async (t) => {
    const { dir, src } = await setup(t);
    // The mount point has a temp dir of its own, unmounted before it is removed (setup's dir is removed independently).
    const mnt = await mkdtemp(join(tmpdir(), 'envsnap-e2e-mnt-'));
    try {
      await exec('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
    } catch (err) {
      await rm(mnt, { recursive: true, force: true });
      // A real full disk is the point of this test: without one it fails rather than pretending to pass.
      assert.fail(`cannot mount a 2 MB tmpfs (${(err as Error).message.trim()}): the test suite runs as root, as CI does`);
    }
    t.after(async () => {
      await exec('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
    });
    const repo = join(mnt, 'repo');
    await runOk(['init'], { repo });
    const first = await runJson<{ snapshotId: string }>(['snapshot:create', 'small'], { repo, cwd: src });
    await writePseudoRandomFile(join(src, 'ten.bin'), 10 * 1024 * 1024, 'full disk');

    const r = await runCli(['snapshot:create'], { repo, cwd: src });
    assert.equal(r.code, 1, `a snapshot that cannot fit: exit ${r.code}\n${r.stderr}`);
    assert.match(oneErrorLine(r), /no space/i);
    assert.deepEqual(await lockFiles(repo), []);
    const leftovers = (await readdir(repo, { recursive: true })).filter((n) => /(^|\/)\.tmp-/.test(n));
    assert.deepEqual(leftovers, [], 'temp files of failed writes were left');

    const list = await runJson<{ id: string }[]>(['snapshot:list'], { repo });
    assert.deepEqual(
      list.map((s) => s.id),
      [first.snapshotId],
    );
    await runOk(['check', '--read-data'], { repo });
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', first.snapshotId, '--target', target], { repo });
    await assertTreesEqual(join(src, 'small'), join(target, 'small'));
    assert.equal(await sha256File(join(target, 'small', 'f0.bin')), await sha256File(join(src, 'small', 'f0.bin')));
  });
});

/**
 * Starts `snapshot:create` and stops it the moment its lock object exists (see stopWhenSeen): callers
 * slow the lock listing down and give it 60 MB to read, so it holds the lock for a while.
 */
async function snapshotHoldingItsLock(t: TestContext, repo: string, src: string, waitingFor: string, tooLate: string) {
  const running = spawnCli(['snapshot:create'], { repo, cwd: src });
  t.after(() => {
    running.child.kill('SIGKILL');
  });
  await stopAtWork(running, { dir: join(repo, 'locks'), name: /^[0-9a-f]{64}$/ }, waitingFor, tooLate);
  return running;
}

/** stopWhenSeen, failing with `tooLate` (and how the process ended) when it ends first. */
async function stopAtWork(running: Spawned, watch: Parameters<typeof stopWhenSeen>[1], what: string, tooLate: string): Promise<void> {
  if ((await stopWhenSeen(running, watch, what)) === 'exited') await failFinished(running, tooLate);
}
