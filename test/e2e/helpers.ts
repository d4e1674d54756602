/**
 * End-to-end test helpers: run the real CLI as a child process, build fixture trees, and compare two
 * directory trees byte for byte and by metadata (type, mode, size, sha256, symlink target, mtime to
 * the microsecond, owner, hardlink structure), walking raw (Buffer) names so non-UTF-8 names work.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { chmod, chown, lchown, link, lstat, mkdir, mkdtemp, open, readdir, readlink, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MariaDbInfo } from '../../src/testing/servers.ts';

/** Absolute path of the CLI entry point, bin/envsnap.js (the installed `envsnap` command). */
export const CLI = fileURLToPath(new URL('../../bin/envsnap.js', import.meta.url));

export const PASSWORD = 'correct horse battery staple';

export interface RunResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Sets ENVSNAP_REPO; omit to leave it unset. */
  repo?: string;
  /** Sets ENVSNAP_PASSWORD (default PASSWORD); null leaves it unset. */
  password?: string | null;
  /** Extra environment variables (undefined removes one). */
  env?: Record<string, string | undefined>;
  /** Command and arguments to run the CLI under, e.g. ['setpriv', '--reuid=65534', ...]. */
  wrap?: string[];
  /** Kill the child after this long (a hung CLI must fail the test, not hang it). Default 180 s. */
  timeoutMs?: number;
}

function childEnv(opts: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ENVSNAP_') || k === 'NODE_TEST_CONTEXT' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  if (opts.repo !== undefined) env.ENVSNAP_REPO = opts.repo;
  const pw = opts.password === undefined ? PASSWORD : opts.password;
  if (pw !== null) env.ENVSNAP_PASSWORD = pw;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface Spawned {
  child: ChildProcess;
  /** Resolves when the child has exited and its output is drained. */
  done: Promise<RunResult>;
}

/** Starts the CLI (`node bin/envsnap.js ...args`) without waiting for it. stdin is /dev/null (no TTY). */
export function spawnCli(args: string[], opts: RunOptions = {}): Spawned {
  const argv = [CLI, ...args];
  const [cmd, cmdArgs] = opts.wrap && opts.wrap.length > 0 ? [opts.wrap[0], [...opts.wrap.slice(1), process.execPath, ...argv]] : [process.execPath, argv];
  const child = spawn(cmd, cmdArgs, { cwd: opts.cwd, env: childEnv(opts), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
  return { child, done };
}

/**
 * Stops `running` (SIGSTOP) the moment `count` (default 1) files named like `name` exist in `dir` (or
 * below it, with `recursive`); resolves 'exited' instead if the process ends first. The watching runs
 * on a thread of its own, polling every millisecond, so neither this process's busy event loop nor its
 * thread pool (other tests run beside this one) can make it miss the moment. The caller then signals,
 * kills or continues (SIGCONT) the stopped process.
 */
export async function stopWhenSeen(
  running: Spawned,
  watch: { dir: string; name: RegExp; recursive?: boolean; count?: number },
  what: string,
  timeoutMs = 60_000,
): Promise<'stopped' | 'exited'> {
  const workerData = { dir: watch.dir, name: watch.name.source, recursive: watch.recursive ?? false, count: watch.count ?? 1, pid: running.child.pid, timeoutMs };
  const watcher = new Worker(STOP_WHEN_SEEN, { eval: true, workerData });
  try {
    const outcome = await Promise.race([
      new Promise<string>((resolve, reject) => {
        watcher.once('message', resolve);
        watcher.once('error', reject);
      }),
      running.done.then(() => 'exited' as const),
    ]);
    if (outcome === 'timeout') assert.fail(`timed out waiting for ${what}`);
    return outcome as 'stopped' | 'exited';
  } finally {
    await watcher.terminate();
  }
}

/** For stopWhenSeen: `count` pack files in the repository at `repo` (complete ones, not temp files). */
export function packsWritten(repo: string, count = 1): { dir: string; name: RegExp; recursive: boolean; count: number } {
  return { dir: join(repo, 'data'), name: /^[0-9a-f]{64}$/, recursive: true, count };
}

/** Worker source for stopWhenSeen. */
const STOP_WHEN_SEEN = `
const { readdirSync } = require('node:fs');
const { basename } = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const name = new RegExp(workerData.name);
const nap = new Int32Array(new SharedArrayBuffer(4));
const until = Date.now() + workerData.timeoutMs;
for (;;) {
  let names = [];
  try { names = readdirSync(workerData.dir, { recursive: workerData.recursive }); } catch {}
  if (names.filter((n) => name.test(basename(n))).length >= workerData.count) {
    process.kill(workerData.pid, 'SIGSTOP');
    parentPort.postMessage('stopped');
    break;
  }
  if (Date.now() > until) { parentPort.postMessage('timeout'); break; }
  Atomics.wait(nap, 0, 0, 1);
}
`;

/** A word for sh: single-quoted, single quotes inside escaped. */
const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), as a user at a terminal would: stdin,
 * stdout and stderr are the terminal. Once the output shows `prompt`, types `answer` and Enter.
 * stdout of the result is everything the terminal showed (both streams); stderr is script's own.
 */
export async function runCliOnTerminal(args: string[], prompt: string, answer: string, opts: RunOptions = {}): Promise<RunResult & { prompted: boolean }> {
  const command = [process.execPath, CLI, ...args].map(shellWord).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: opts.cwd, env: childEnv(opts), stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let prompted = false;
  child.stdout!.on('data', (b: Buffer) => {
    out.push(b);
    if (!prompted && Buffer.concat(out).toString('utf8').includes(prompt)) {
      prompted = true;
      child.stdin!.write(`${answer}\r`);
    }
  });
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  // The terminal may be gone before the answer is typed (the CLI did not ask): that shows in `prompted`.
  child.stdin!.on('error', () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, prompted, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return spawnCli(args, opts).done;
}

/** Runs the CLI and asserts its exit code, showing its output when it differs. */
export async function runOk(args: string[], opts: RunOptions = {}, expected = 0): Promise<RunResult> {
  const r = await runCli(args, opts);
  assert.equal(r.code, expected, `envsnap ${args.join(' ')} exited ${r.code} (signal ${r.signal}), expected ${expected}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Runs a --json command successfully and parses its stdout. */
export async function runJson<T = any>(args: string[], opts: RunOptions = {}, expected = 0): Promise<T> {
  const r = await runOk(['--json', ...args], opts, expected);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    assert.fail(`envsnap --json ${args.join(' ')} printed no JSON:\n${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** The lines of stderr that start with `prefix` (e.g. "error:"). */
export function linesStartingWith(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

/** Asserts stderr holds exactly one `error:` line and returns it. */
export function oneErrorLine(r: RunResult): string {
  const errs = linesStartingWith(r.stderr, 'error:');
  assert.equal(errs.length, 1, `expected exactly one "error:" line on stderr, got:\n${r.stderr}`);
  return errs[0];
}

// ---------------------------------------------------------------- temp dirs, waiting

/** A fresh temp directory removed after the test (or suite) `t`. */
export async function tempDir(t: { after(fn: () => unknown): void }, prefix = 'envsnap-e2e-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `pred` every `everyMs` until it returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(pred: () => T | Promise<T>, what: string, timeoutMs = 60_000, everyMs = 2): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * A project in `dir` with one files-only environment `production` (root shop/, mount var/ holding
 * data.txt): `project` lines go after `project: shop` (repository, s3: …; default `repository: repo`),
 * `environment` lines into production's settings (type, plan, policy, copy_to …).
 */
export async function writeShopProject(dir: string, opts: { project?: string[]; environment?: string[]; data?: string } = {}): Promise<void> {
  await mkdir(join(dir, 'shop', 'var'), { recursive: true });
  await writeFile(join(dir, 'shop', 'var', 'data.txt'), opts.data ?? 'shop data\n');
  const environment = opts.environment ?? ['type: integration', 'plan: starter'];
  await writeFile(
    join(dir, 'envsnap.yaml'),
    ['project: shop', ...(opts.project ?? ['repository: repo']), 'environments:', '  production:', ...[...environment, 'root: shop', 'mounts: [var]'].map((l) => `    ${l}`), ''].join('\n'),
  );
}

// ---------------------------------------------------------------- data

/** `size` pseudo-random bytes determined by `seed` (AES-256-CTR over zeros): fast and incompressible. */
export function pseudoRandom(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return c.update(Buffer.alloc(size));
}

/** Writes `size` pseudo-random bytes to a new file, 1 MiB at a time (a 20 MB file never sits in memory whole). */
export async function writePseudoRandomFile(path: string | Buffer, size: number, seed: string, mode = 0o644): Promise<void> {
  const key = createHash('sha256').update(seed).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  const fh = await open(path, 'wx', mode);
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(zeros.length, size - done);
      const buf = c.update(zeros.subarray(0, n));
      await fh.write(buf, 0, buf.length);
      done += n;
    }
  } finally {
    await fh.close();
  }
}

export async function sha256File(path: string | Buffer): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

// ---------------------------------------------------------------- tree walking and comparison

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

export interface TreeEntry {
  /** Path below the root as raw bytes. */
  rel: Buffer;
  /** Printable form of rel (non-UTF-8 and control bytes escaped). */
  display: string;
  type: EntryType;
  mode: number;
  size: bigint;
  sha256?: string;
  /** Symlink target, hex of its raw bytes. */
  target?: string;
  mtimeUs: bigint;
  uid: number;
  gid: number;
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  blocks: bigint;
}

/** A printable rendering of raw path bytes: printable ASCII and valid UTF-8 as is, anything else as \xNN. */
export function showPath(rel: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(rel);
  } catch {
    return [...rel].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  }
  return text.replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function typeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  return 'blockdev';
}

const SLASH = Buffer.from('/');

/**
 * Every path below `root` (not root itself), keyed by its raw relative path as a latin1 string
 * (a lossless byte ⇄ string mapping). Directories are walked with lstat; symlinks are not followed.
 */
export async function walkTree(root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const visit = async (absDir: Buffer, relDir: Buffer | undefined): Promise<void> => {
    const names = (await readdir(absDir, { encoding: 'buffer' })) as Buffer[];
    names.sort(Buffer.compare);
    for (const name of names) {
      const abs = Buffer.concat([absDir, SLASH, name]);
      const rel = relDir ? Buffer.concat([relDir, SLASH, name]) : Buffer.from(name);
      const st = await lstat(abs, { bigint: true });
      const type = typeOf(st);
      const e: TreeEntry = {
        rel,
        display: showPath(rel),
        type,
        mode: Number(st.mode & 0o7777n),
        size: type === 'dir' ? 0n : st.size,
        mtimeUs: st.mtimeNs / 1000n,
        uid: Number(st.uid),
        gid: Number(st.gid),
        dev: st.dev,
        ino: st.ino,
        nlink: st.nlink,
        blocks: st.blocks,
      };
      if (type === 'file') e.sha256 = await sha256File(abs);
      if (type === 'symlink') e.target = ((await readlink(abs, { encoding: 'buffer' })) as Buffer).toString('hex');
      out.set(rel.toString('latin1'), e);
      if (type === 'dir') await visit(abs, rel);
    }
  };
  await visit(Buffer.from(root), undefined);
  return out;
}

export interface CompareOptions {
  /** Leave out expected (source) paths for which this returns true; `rel` is the printable path. */
  ignore?: (rel: string) => boolean;
  /** Compare only expected paths for which this returns true (applied after ignore). */
  only?: (rel: string) => boolean;
  /** Compare mtimes (default true). */
  mtimes?: boolean;
  /** Compare uid/gid (default true). */
  owners?: boolean;
}

/** For each path, the first (smallest) path of the tree sharing its inode; directories map to themselves. */
function linkGroups(entries: Map<string, TreeEntry>): Map<string, string> {
  const byInode = new Map<string, string>();
  const out = new Map<string, string>();
  for (const key of [...entries.keys()].sort()) {
    const e = entries.get(key)!;
    if (e.type === 'dir') {
      out.set(key, key);
      continue;
    }
    const ino = `${e.dev}:${e.ino}`;
    const first = byInode.get(ino);
    if (first === undefined) byInode.set(ino, key);
    out.set(key, first ?? key);
  }
  return out;
}

/** The differences between two trees, as readable lines; empty when they are equal. */
export async function diffTrees(expectedRoot: string | Map<string, TreeEntry>, actualRoot: string, opts: CompareOptions = {}): Promise<string[]> {
  const keep = (e: TreeEntry) => !(opts.ignore?.(e.display) ?? false) && (opts.only?.(e.display) ?? true);
  const walked = typeof expectedRoot === 'string' ? await walkTree(expectedRoot) : expectedRoot;
  const expected = new Map([...walked].filter(([, e]) => keep(e)));
  const actual = await walkTree(actualRoot);
  const diffs: string[] = [];
  // Time-only differences are listed last, so they cannot crowd out a content or structure difference in a shortened report.
  const timeDiffs: string[] = [];
  for (const [k, e] of expected) if (!actual.has(k)) diffs.push(`missing in restore: ${e.display} (${e.type})`);
  for (const [k, a] of actual) if (!expected.has(k)) diffs.push(`unexpected in restore: ${a.display} (${a.type})`);
  const ge = linkGroups(expected);
  const ga = linkGroups(actual);
  for (const [k, e] of expected) {
    const a = actual.get(k);
    if (!a) continue;
    const d = (what: string, x: unknown, y: unknown) => {
      if (x !== y) diffs.push(`${e.display}: ${what} differs: expected ${String(x)}, got ${String(y)}`);
    };
    d('type', e.type, a.type);
    if (e.type !== a.type) continue;
    if (e.type !== 'symlink') d('mode', e.mode.toString(8), a.mode.toString(8));
    if (e.type === 'file' || e.type === 'symlink') d('size', e.size, a.size);
    d('sha256', e.sha256, a.sha256);
    d('symlink target', e.target, a.target);
    if (opts.mtimes !== false && e.mtimeUs !== a.mtimeUs) timeDiffs.push(`${e.display}: mtime (µs) differs: expected ${e.mtimeUs}, got ${a.mtimeUs}`);
    if (opts.owners !== false) {
      d('uid', e.uid, a.uid);
      d('gid', e.gid, a.gid);
    }
    const eg = ge.get(k)!;
    const ag = ga.get(k)!;
    if (eg !== ag) {
      diffs.push(`${e.display}: hardlink structure differs: in the source it shares an inode with ${showPath(Buffer.from(eg, 'latin1'))}, in the restore with ${showPath(Buffer.from(ag, 'latin1'))}`);
    }
  }
  return [...diffs, ...timeDiffs];
}

/**
 * Asserts that `actualRoot` holds exactly what `expectedRoot` holds (see diffTrees). `expectedRoot`
 * may be a tree walked before (walkTree), so a large source is hashed once, not on every comparison.
 */
export async function assertTreesEqual(expectedRoot: string | Map<string, TreeEntry>, actualRoot: string, opts: CompareOptions = {}): Promise<void> {
  const diffs = await diffTrees(expectedRoot, actualRoot, opts);
  if (diffs.length > 0) {
    const from = typeof expectedRoot === 'string' ? expectedRoot : 'source';
    assert.fail(`trees differ (${from} → ${actualRoot}), ${diffs.length} difference(s):\n  ${diffs.slice(0, 30).join('\n  ')}`);
  }
}

// ---------------------------------------------------------------- repository state

/**
 * Every file under a repository directory with its size and sha256, keyed by its path relative to
 * the repository ('/'-separated), leaving out `locks/` (compared separately: it must end up empty).
 */
export async function repoState(repo: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(repo, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (e.isDirectory()) continue;
    const abs = join(e.parentPath, e.name);
    const rel = abs.slice(repo.length + 1);
    if (rel.startsWith('locks/')) continue;
    const st = await lstat(abs);
    out.set(rel, `${st.size} ${await sha256File(abs)}`);
  }
  return out;
}

/** Files in repo/locks (lock objects and temp files). */
export async function lockFiles(repo: string): Promise<string[]> {
  try {
    return await readdir(join(repo, 'locks'));
  } catch {
    return [];
  }
}

/** Pack files (complete objects, not temp files) under repo/data. */
export async function packFiles(repo: string): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  let shards: string[];
  try {
    shards = await readdir(join(repo, 'data'));
  } catch {
    return out;
  }
  for (const shard of shards) {
    let names: string[];
    try {
      names = await readdir(join(repo, 'data', shard));
    } catch {
      continue;
    }
    for (const n of names) {
      if (!/^[0-9a-f]{64}$/.test(n)) continue;
      try {
        out.push({ name: `data/${shard}/${n}`, size: (await lstat(join(repo, 'data', shard, n))).size });
      } catch {
        // deleted meanwhile
      }
    }
  }
  return out;
}

/**
 * Backdates every pack file of the local repository at `repo` by `ms`, as if that much time had
 * passed since they were written: prune deletes packs no index lists only once they are older than
 * the repository's prune.unreferenced-min-age.
 */
export async function agePacks(repo: string, ms: number): Promise<void> {
  for (const p of await packFiles(repo)) {
    const st = await lstat(join(repo, p.name));
    const when = new Date(st.mtimeMs - ms);
    await utimes(join(repo, p.name), when, when);
  }
}

/** Snapshot ids as `snapshot:list --json` reports them, oldest first. */
export async function listSnapshotIds(repo: string): Promise<string[]> {
  const list = await runJson<{ id: string }[]>(['snapshot:list'], { repo });
  return list.map((s) => s.id);
}

// ---------------------------------------------------------------- the file-tree fixture

/** Raw names of the fixture that are not plain ASCII. */
export const NON_UTF8_NAME = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e]); // "f\xff\xfe.bin"
export const NEWLINE_NAME = 'line\nbreak.txt';
export const UNICODE_NAME = 'with space ü 日本 ✓.txt';
export const SPARSE_SIZE = 32 * 1024 * 1024;

/**
 * Builds the file-tree fixture under `dir` (which must exist and be empty):
 *
 *   empty.txt, small.txt, random.bin (3 MiB pseudo-random), zeros.bin (20 MiB of written zeros),
 *   sparse.img (32 MiB with 4 KiB of data in the middle, the rest holes),
 *   nested/a/b/c/deep.txt, nested/a/trace.log, nested/a/b/keep-b.txt, nested/hard-two.txt,
 *   empty-dir/, hard/one.txt (hardlinked with nested/hard-two.txt),
 *   links/rel-link → ../small.txt, links/dir-link → ../nested, links/dangling → does/not/exist,
 *   links/raw-target → "nowhere-\xff" (non-UTF-8 target),
 *   modes/private.txt 0600, modes/script.sh 0755, modes/readonly.txt 0444, modes/secret-dir 0700 (with a file),
 *   names/<NON_UTF8_NAME>, names/<NEWLINE_NAME>, names/<UNICODE_NAME>,
 *   logs/app.log, logs/keep.txt, cache/blob.tmp, cache/sub/x.tmp,
 *   owned.txt (uid 1234, gid 5678 when run as root), links/owned-link (uid 4321, gid 8765 when root).
 *
 * Directory permissions and mtimes are final when it returns (nothing touches the tree afterwards).
 */
export async function makeFixtureTree(dir: string): Promise<void> {
  const p = (...parts: string[]) => join(dir, ...parts);
  const raw = (sub: string, name: Buffer) => Buffer.concat([Buffer.from(p(sub) + '/'), name]);
  for (const d of ['nested/a/b/c', 'empty-dir', 'hard', 'links', 'modes/secret-dir', 'names', 'logs', 'cache/sub']) await mkdir(p(d), { recursive: true });

  await writeFile(p('empty.txt'), '');
  await writeFile(p('small.txt'), 'hello, envsnap\n');
  await writePseudoRandomFile(p('random.bin'), 3 * 1024 * 1024, 'fixture random');
  const zeros = await open(p('zeros.bin'), 'wx');
  const mib = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 20; i++) await zeros.write(mib, 0, mib.length);
  await zeros.close();
  await writeFile(p('sparse.img'), '');
  await truncate(p('sparse.img'), SPARSE_SIZE);
  const sparse = await open(p('sparse.img'), 'r+');
  await sparse.write(pseudoRandom(4096, 'sparse middle'), 0, 4096, SPARSE_SIZE / 2);
  await sparse.close();

  await writeFile(p('nested/a/b/c/deep.txt'), 'deep down\n');
  await writeFile(p('nested/a/b/keep-b.txt'), 'b\n');
  await writeFile(p('nested/a/trace.log'), 'a log line\n');
  await writeFile(p('hard/one.txt'), 'two names, one inode\n');
  await link(p('hard/one.txt'), p('nested/hard-two.txt'));

  await symlink('../small.txt', p('links/rel-link'));
  await symlink('../nested', p('links/dir-link'));
  await symlink('does/not/exist', p('links/dangling'));
  await symlink(Buffer.from('nowhere-\xff', 'latin1'), Buffer.from(p('links/raw-target')));

  await writeFile(p('modes/private.txt'), 'private\n');
  await chmod(p('modes/private.txt'), 0o600);
  await writeFile(p('modes/script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(p('modes/script.sh'), 0o755);
  await writeFile(p('modes/readonly.txt'), 'read only\n');
  await chmod(p('modes/readonly.txt'), 0o444);
  await writeFile(p('modes/secret-dir/inside.txt'), 'inside a 0700 dir\n');
  await chmod(p('modes/secret-dir'), 0o700);

  await writeFile(raw('names', NON_UTF8_NAME), 'not utf-8 name\n');
  await writeFile(p('names', NEWLINE_NAME), 'newline in the name\n');
  await writeFile(p('names', UNICODE_NAME), 'unicode name\n');

  await writeFile(p('logs/app.log'), 'log\n');
  await writeFile(p('logs/keep.txt'), 'kept\n');
  await writeFile(p('cache/blob.tmp'), pseudoRandom(10_000, 'cache'));
  await writeFile(p('cache/sub/x.tmp'), 'x\n');

  await writeFile(p('owned.txt'), 'owned by someone else\n');
  await symlink('owned.txt', p('links/owned-link'));
  if (process.getuid?.() === 0) {
    await chown(p('owned.txt'), 1234, 5678);
    await lchown(p('links/owned-link'), 4321, 8765);
    // Set-ID files of another owner: restoring the owner after the mode would clear the bits. One
    // file of one chunk, one larger than the largest chunk (9 MiB of zeros: two chunks).
    await writeFile(p('modes/setuid.sh'), '#!/bin/sh\nid\n');
    await chown(p('modes/setuid.sh'), 1234, 5678);
    await chmod(p('modes/setuid.sh'), 0o4755);
    await writeFile(p('modes/setgid.bin'), Buffer.alloc(9 * 1024 * 1024));
    await chown(p('modes/setgid.bin'), 1234, 5678);
    await chmod(p('modes/setgid.bin'), 0o2755);
  }
  await chmod(p('empty-dir'), 0o750);
}

/** Runs SQL through the stock `mariadb` client into `database` (as `zcat FILE | mariadb DATABASE` would); asserts it succeeds. */
export function mariadbClient(db: MariaDbInfo, database: string, sql: Buffer | string): void {
  const r = spawnSync('mariadb', ['--no-defaults', '-h', db.host, '-P', String(db.port), '-u', db.user, `-p${db.password}`, database], { input: sql, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr.toString('utf8'));
}
