/**
 * End to end, through the real CLI: a file tree with every kind of entry envsnap captures (empty,
 * random, zero and sparse files, nested and empty directories, symlinks, hardlinks, odd modes and
 * owners, names that are not UTF-8) survives snapshot → restore byte for byte and with its metadata;
 * incremental snapshots, excludes, --include, --overwrite, in-place restore and unreadable files.
 */
import assert from 'node:assert/strict';
import { appendFile, chmod, lstat, mkdir, open, readFile, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import {
  NEWLINE_NAME,
  NON_UTF8_NAME,
  SPARSE_SIZE,
  UNICODE_NAME,
  assertTreesEqual,
  linesStartingWith,
  makeFixtureTree,
  runCli,
  runJson,
  runOk,
  tempDir,
  walkTree,
} from './helpers.ts';

const exec = promisify(execFile);

interface CreateJson {
  snapshotId: string;
  partial: boolean;
  warnings: number;
  summary: { files: number; dirs: number; bytes: number; newFiles: number; changedFiles: number; unchangedFiles: number; addedBytes: number; storedBytes: number };
}

interface ListJson {
  id: string;
  partial: boolean;
  parent?: string;
  files: number;
}

/** A temp dir with an initialized repository `repo` and the fixture tree in `src`. */
async function setup(t: { after(fn: () => unknown): void }) {
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  const src = join(dir, 'src');
  await mkdir(src);
  await makeFixtureTree(src);
  await runOk(['init'], { repo });
  return { dir, repo, src };
}

describe('file tree snapshot and restore', { concurrency: 2 }, () => {
  it('restores every kind of entry byte for byte with its metadata', async (t) => {
    const { dir, repo, src } = await setup(t);
    // Precondition: the fixture really is sparse on this file system, else the restore check below means nothing.
    const srcSparse = await lstat(join(src, 'sparse.img'));
    assert.ok(srcSparse.blocks * 512 < srcSparse.size, 'the fixture sparse file has no holes on this file system');

    const created = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    assert.equal(created.partial, false);
    assert.equal(created.warnings, 0);
    const files = [...(await walkTree(src)).values()].filter((e) => e.type === 'file');
    // hard/one.txt and nested/hard-two.txt are two paths of one file: both count as files.
    assert.equal(created.summary.files, files.length);
    assert.equal(created.summary.newFiles, files.length);

    const target = join(dir, 'restore');
    const restored = await runJson(['snapshot:restore', created.snapshotId, '--target', target], { repo });
    assert.equal(restored.target, target);
    await assertTreesEqual(src, target);

    const sparse = await lstat(join(target, 'sparse.img'));
    assert.equal(sparse.size, SPARSE_SIZE);
    assert.ok(sparse.blocks * 512 < sparse.size, `restored sparse.img is not sparse: ${sparse.blocks} blocks of 512 bytes for ${sparse.size} bytes`);

    // Spot checks that do not rely on the tree walker.
    assert.deepEqual(await readFile(Buffer.concat([Buffer.from(join(target, 'names') + '/'), NON_UTF8_NAME])), Buffer.from('not utf-8 name\n'));
    assert.equal(await readFile(join(target, 'names', NEWLINE_NAME), 'utf8'), 'newline in the name\n');
    assert.equal(await readFile(join(target, 'names', UNICODE_NAME), 'utf8'), 'unicode name\n');
    assert.equal((await lstat(join(target, 'hard/one.txt'))).ino, (await lstat(join(target, 'nested/hard-two.txt'))).ino);
    assert.equal((await lstat(join(target, 'modes/readonly.txt'))).mode & 0o7777, 0o444);
    assert.equal((await lstat(join(target, 'modes/secret-dir'))).mode & 0o7777, 0o700);
    assert.ok((await lstat(join(target, 'links/dangling'))).isSymbolicLink());
    assert.deepEqual(await readdir(join(target, 'empty-dir')), []);
    // No temporary files of the restorer are left anywhere.
    for (const e of (await walkTree(target)).values()) assert.doesNotMatch(e.display, /\.envsnap-[0-9a-f]+\.tmp$/);
  });

  it('restores mtimes to the microsecond, so --overwrite if-changed skips what it restored', async (t) => {
    const dir = await tempDir(t);
    const repo = join(dir, 'repo');
    const src = join(dir, 'src');
    await mkdir(src);
    await runOk(['init'], { repo });
    // Times whose microseconds a float-seconds conversion gets wrong or right, to the nanosecond.
    const stamps = ['1700000000.000001000', '1700000000.123456789', '1795414691.215880123', '1999999999.999999999', '946684800.500000500'];
    for (const [i, s] of stamps.entries()) {
      const f = join(src, `t${i}.txt`);
      await writeFile(f, `stamp ${s}\n`);
      await exec('touch', ['-m', '-d', `@${s}`, f]);
    }
    const created = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', created.snapshotId, '--target', target], { repo });
    const wrong: string[] = [];
    for (const [i, s] of stamps.entries()) {
      const expected = BigInt(s.replace('.', '')) / 1000n;
      const got = (await lstat(join(target, `t${i}.txt`), { bigint: true })).mtimeNs / 1000n;
      if (got !== expected) wrong.push(`t${i}.txt: mtime ${s} restored as ${got} µs, expected ${expected} µs`);
    }
    assert.deepEqual(wrong, []);
    const again = await runJson<{ files: number; skipped: number }>(['snapshot:restore', created.snapshotId, '--target', target, '--overwrite', 'if-changed'], { repo });
    assert.equal(again.skipped, stamps.length, `if-changed rewrote ${stamps.length - again.skipped} unchanged file(s)`);
    assert.equal(again.files, 0);
  });

  it('snapshots incrementally and keeps every snapshot restorable', async (t) => {
    const { dir, repo, src } = await setup(t);
    const first = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    const original = join(dir, 'original');
    await runOk(['snapshot:restore', first.snapshotId, '--target', original], { repo });
    await assertTreesEqual(src, original);

    // Nothing changed: every file is taken from the parent unread, nothing new is stored.
    const second = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    assert.equal(second.summary.files, first.summary.files);
    assert.equal(second.summary.unchangedFiles, first.summary.files);
    assert.equal(second.summary.newFiles, 0);
    assert.equal(second.summary.changedFiles, 0);
    assert.ok(second.summary.addedBytes < 64 * 1024, `an unchanged tree added ${second.summary.addedBytes} bytes`);
    let list = await runJson<ListJson[]>(['snapshot:list'], { repo });
    assert.deepEqual(
      list.map((s) => s.id),
      [first.snapshotId, second.snapshotId],
    );
    assert.equal(list[1].parent, first.snapshotId);

    // One file changed, one added.
    await appendFile(join(src, 'small.txt'), 'one more line\n');
    await writeFile(join(src, 'nested/a/added.txt'), 'a new file\n');
    const third = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    assert.equal(third.summary.files, first.summary.files + 1);
    assert.equal(third.summary.changedFiles, 1);
    assert.equal(third.summary.newFiles, 1);
    assert.equal(third.summary.unchangedFiles, first.summary.files - 1);
    assert.ok(third.summary.addedBytes < 64 * 1024, `a 2-file change added ${third.summary.addedBytes} bytes`);
    list = await runJson<ListJson[]>(['snapshot:list'], { repo });
    assert.equal(list.length, 3);
    // snapshot:diff sees exactly the two content changes (directories may show metadata-only changes).
    const noDiff = await runJson<{ changes: { change: string; path: string }[] }>(['snapshot:diff', first.snapshotId, second.snapshotId], { repo });
    assert.deepEqual(noDiff.changes, []);
    const diff = await runJson<{ changes: { change: string; path: string }[] }>(['snapshot:diff', first.snapshotId, third.snapshotId], { repo });
    assert.deepEqual(
      diff.changes.filter((c) => c.change !== 'U').map((c) => `${c.change} ${c.path}`).sort(),
      ['+ nested/a/added.txt', 'M small.txt'],
    );

    const changed = join(dir, 'changed');
    await runOk(['snapshot:restore', third.snapshotId, '--target', changed], { repo });
    await assertTreesEqual(src, changed);
    // The first snapshot still restores to the original tree.
    const again = join(dir, 'first-again');
    await runOk(['snapshot:restore', first.snapshotId, '--target', again], { repo });
    await assertTreesEqual(original, again);
    assert.equal(await readFile(join(again, 'small.txt'), 'utf8'), 'hello, envsnap\n');
  });

  it('leaves out what --exclude and --exclude-file match', async (t) => {
    const { dir, repo, src } = await setup(t);
    const excludeFile = join(dir, 'excludes.txt');
    await writeFile(excludeFile, '# caches are rebuilt\ncache\n\nnested/a/b/**\n');
    const created = await runJson<CreateJson>(['snapshot:create', '--exclude', '*.log', '--exclude-file', excludeFile], { repo, cwd: src });
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', created.snapshotId, '--target', target], { repo });
    const excluded = (rel: string) => rel.endsWith('.log') || rel === 'cache' || rel.startsWith('cache/') || rel.startsWith('nested/a/b/');
    await assertTreesEqual(src, target, { ignore: excluded });
    // `dir/**` keeps the directory itself, empty.
    assert.deepEqual(await readdir(join(target, 'nested/a/b')), []);
    await assert.rejects(lstat(join(target, 'cache')), { code: 'ENOENT' });
    await assert.rejects(lstat(join(target, 'logs/app.log')), { code: 'ENOENT' });
    await assert.rejects(lstat(join(target, 'nested/a/trace.log')), { code: 'ENOENT' });
    assert.equal(await readFile(join(target, 'logs/keep.txt'), 'utf8'), 'kept\n');
  });

  it('restores only the --include subpath', async (t) => {
    const { dir, repo, src } = await setup(t);
    const created = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', created.snapshotId, '--target', target, '--include', 'nested/a'], { repo });
    assert.deepEqual(await readdir(target), ['nested']);
    assert.deepEqual(await readdir(join(target, 'nested')), ['a']);
    await assertTreesEqual(src, target, { only: (rel) => rel === 'nested' || rel === 'nested/a' || rel.startsWith('nested/a/') });

    // A path that is not in the snapshot is an error, and nothing is written.
    const none = join(dir, 'none');
    const r = await runCli(['snapshot:restore', created.snapshotId, '--target', none, '--include', 'nested/no-such-dir'], { repo });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: .*nested\/no-such-dir.* not in the snapshot/m);
    await assert.rejects(lstat(none), { code: 'ENOENT' });
  });

  it('honours --overwrite never, if-changed and always', async (t) => {
    const { dir, repo, src } = await setup(t);
    const created = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', created.snapshotId, '--target', target], { repo });
    const local = join(target, 'small.txt');
    await writeFile(local, 'edited at the target, longer than before\n');

    await runOk(['snapshot:restore', created.snapshotId, '--target', target, '--overwrite', 'never'], { repo });
    assert.equal(await readFile(local, 'utf8'), 'edited at the target, longer than before\n');

    // if-changed: a file whose size differs is changed and is replaced.
    await runOk(['snapshot:restore', created.snapshotId, '--target', target, '--overwrite', 'if-changed'], { repo });
    assert.equal(await readFile(local, 'utf8'), 'hello, envsnap\n');

    await writeFile(local, 'edited again\n');
    await runOk(['snapshot:restore', created.snapshotId, '--target', target, '--overwrite', 'always'], { repo });
    await assertTreesEqual(src, target);

    const bad = await runCli(['snapshot:restore', created.snapshotId, '--target', target, '--overwrite', 'sometimes'], { repo });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /sometimes/);
  });

  it('restores in place without --target', async (t) => {
    const { dir, repo, src } = await setup(t);
    const created = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    const original = join(dir, 'original');
    await runOk(['snapshot:restore', created.snapshotId, '--target', original], { repo });
    await assertTreesEqual(src, original);

    await unlink(join(src, 'random.bin'));
    await rm(join(src, 'nested/a/b'), { recursive: true });
    await writeFile(join(src, 'small.txt'), 'changed in place\n');
    // Run from elsewhere: the snapshot's own root is the target.
    const restored = await runJson(['snapshot:restore', 'latest'], { repo, cwd: dir });
    assert.equal(restored.target, src);
    await assertTreesEqual(original, src);
  });

  it('sees a change that keeps the size and mtime (the ctime differs)', async (t) => {
    const { dir, repo, src } = await setup(t);
    await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    const file = join(src, 'random.bin');
    const before = await lstat(file, { bigint: true });
    const fh = await open(file, 'r+');
    await fh.write(Buffer.from('same size, new bytes'), 0, 20, 1024 * 1024);
    await fh.close();
    // Put the mtime back to the nanosecond (touch can; Node's utimes takes float seconds and cannot).
    const ns = before.mtimeNs;
    await exec('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, file]);
    const after = await lstat(file, { bigint: true });
    assert.equal(after.mtimeNs, before.mtimeNs, 'precondition: the mtime was not put back');
    assert.equal(after.size, before.size);
    assert.notEqual(after.ctimeNs, before.ctimeNs);
    const second = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    assert.equal(second.summary.changedFiles, 1);
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', second.snapshotId, '--target', target], { repo });
    await assertTreesEqual(src, target);
  });

  it('never writes through symlinks found in the target', async (t) => {
    const { dir, repo, src } = await setup(t);
    const created = await runJson<CreateJson>(['snapshot:create'], { repo, cwd: src });
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'victim.txt'), 'must stay\n');
    const target = join(dir, 'restore');
    await mkdir(target);
    // A file and a directory of the snapshot are symlinks in the target, pointing outside it.
    await symlink(join(outside, 'victim.txt'), join(target, 'small.txt'));
    await symlink(outside, join(target, 'nested'));
    await runOk(['snapshot:restore', created.snapshotId, '--target', target], { repo });
    assert.deepEqual(await readdir(outside), ['victim.txt']);
    assert.equal(await readFile(join(outside, 'victim.txt'), 'utf8'), 'must stay\n');
    await assertTreesEqual(src, target);
  });

  it('reports an unreadable file, saves the rest and marks the snapshot partial (exit 3)', async (t) => {
    const { dir, repo, src } = await setup(t);
    const secret = join(src, 'modes', 'unreadable.txt');
    await writeFile(secret, 'nobody may read this\n');
    await chmod(secret, 0o000);
    // As root, permissions do not stop reads: run the CLI without the capabilities that bypass them.
    const wrap = process.getuid?.() === 0 ? ['setpriv', '--inh-caps=-all', '--bounding-set=-dac_override,-dac_read_search'] : undefined;
    const r = await runCli(['--json', 'snapshot:create'], { repo, cwd: src, wrap });
    assert.equal(r.code, 3, `expected exit 3 (partial)\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const warnings = linesStartingWith(r.stderr, 'warning:');
    assert.ok(
      warnings.some((l) => l.includes('modes/unreadable.txt')),
      `no warning names modes/unreadable.txt:\n${r.stderr}`,
    );
    const created = JSON.parse(r.stdout) as CreateJson;
    assert.equal(created.partial, true);
    assert.ok(created.warnings >= 1);

    const list = await runJson<ListJson[]>(['snapshot:list'], { repo });
    assert.equal(list.length, 1);
    assert.equal(list[0].id, created.snapshotId);
    assert.equal(list[0].partial, true);
    const table = await runOk(['snapshot:list'], { repo });
    assert.match(table.stdout, /partial/);
    const info = await runOk(['snapshot:info', created.snapshotId], { repo });
    assert.match(info.stdout, /modes\/unreadable\.txt/);

    // Everything else was saved.
    const target = join(dir, 'restore');
    await runOk(['snapshot:restore', created.snapshotId, '--target', target], { repo });
    await assertTreesEqual(src, target, { ignore: (rel) => rel === 'modes/unreadable.txt' });
  });
});
