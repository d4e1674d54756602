/**
 * Real MariaDB and Redis servers for tests and benchmarks: Debian's packages (installed with apt-get
 * when missing), each started on loopback on a free port with its data in a fresh temp directory,
 * and stopped afterwards.
 *
 * `npm test` starts one of each in its global setup (test/global-setup.ts) and passes them to the
 * test processes in ENVSNAP_TEST_MARIADB / ENVSNAP_TEST_REDIS; a test file run on its own starts
 * private ones (testMariaDb / testRedis), stopped when the process exits. Tests share a server, so
 * each test works in databases (or Redis db numbers) of its own: see uniqueName.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MariaDbInfo {
  host: string;
  port: number;
  /** A user with every privilege (created by the setup, password authentication over TCP). */
  user: string;
  password: string;
  socket: string;
}

export interface RedisInfo {
  host: string;
  port: number;
}

export interface Running<T> {
  info: T;
  child: ChildProcess;
  /** The server's data directory. */
  dir: string;
  stop(): Promise<void>;
}

/** Installs Debian packages whose binaries are missing (apt-get update first). Throws with apt's output on failure. */
export function ensureDebianPackages(wanted: { binary: string; pkg: string }[]): void {
  const missing = wanted.filter((w) => !onPath(w.binary)).map((w) => w.pkg);
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...new Set(missing)]]) {
    const r = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (run the tests as root, or install ${missing.join(', ')}):\n${r.stdout}${r.stderr}`);
  }
}

export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up (${child.exitCode ?? child.signalCode}):\n${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs / 1000} s:\n${log()}`);
}

function capture(child: ChildProcess): () => string {
  let text = '';
  const add = (b: Buffer) => {
    text = (text + b.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}

export const MARIADB_PACKAGES = [
  { binary: 'mariadbd', pkg: 'mariadb-server' },
  { binary: 'mariadb', pkg: 'mariadb-client' },
];

/**
 * Starts a MariaDB server on 127.0.0.1 with binary logging (so snapshots record a binlog position),
 * LOCAL INFILE allowed and a 1 GiB max packet (rows over 16 MB). `settings` adds server options.
 */
export async function startMariaDb(opts: { settings?: string[]; bufferPool?: string } = {}): Promise<Running<MariaDbInfo>> {
  ensureDebianPackages(MARIADB_PACKAGES);
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-mariadb-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  const install = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve'],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed:\n${install.stdout}${install.stderr}`);
  const port = await freePort();
  const child = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      // Its own temporary directory: nothing a test does to the system's /tmp can pull files away
      // from under the server's internal temporary tables.
      `--tmpdir=${tmp}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      '--skip-name-resolve',
      `--log-bin=${join(dir, 'binlog')}`,
      '--server-id=1',
      '--binlog-format=ROW',
      '--local-infile=1',
      '--max-allowed-packet=1G',
      `--innodb-buffer-pool-size=${opts.bufferPool ?? '256M'}`,
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-log-file-size=256M',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      ...(opts.settings ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = capture(child);
  try {
    await waitForPort(port, child, 'mariadbd', log);
  } catch (err) {
    await stopChild(child, dir);
    throw err;
  }
  const password = randomBytes(12).toString('hex');
  const user = 'envsnap_test';
  const sql = `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%' WITH GRANT OPTION; FLUSH PRIVILEGES;`;
  const r = spawnSync('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-e', sql], { encoding: 'utf8' });
  if (r.status !== 0) {
    await stopChild(child, dir);
    throw new Error(`creating the test user failed:\n${r.stdout}${r.stderr}`);
  }
  return { info: { host: '127.0.0.1', port, user, password, socket }, dir, child, stop: () => stopChild(child, dir) };
}

export const REDIS_PACKAGES = [
  { binary: 'redis-server', pkg: 'redis-server' },
  { binary: 'redis-cli', pkg: 'redis-tools' },
];

/** Starts a Redis server on 127.0.0.1 without persistence (tests and benchmarks do not need it). */
export async function startRedis(opts: { settings?: string[] } = {}): Promise<Running<RedisInfo>> {
  ensureDebianPackages(REDIS_PACKAGES);
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--databases', '64', '--protected-mode', 'yes', ...(opts.settings ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = capture(child);
  try {
    await waitForPort(port, child, 'redis-server', log);
  } catch (err) {
    await stopChild(child, dir);
    throw err;
  }
  return { info: { host: '127.0.0.1', port }, dir, child, stop: () => stopChild(child, dir) };
}

const privateServers: Running<unknown>[] = [];
let exitHooked = false;
function stopOnExit(s: Running<unknown>): void {
  // The server must not keep this process alive: unref it, stop it when the loop drains, and kill
  // it on a hard exit.
  s.child.unref();
  for (const stream of [s.child.stdout, s.child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  process.once('exit', () => s.child.kill('SIGKILL'));
  privateServers.push(s);
  if (exitHooked) return;
  exitHooked = true;
  // node --test ends a file's process once its tests finish; stop our servers first.
  process.once('beforeExit', () => void Promise.all(privateServers.splice(0).map((p) => p.stop())));
}

let mariaDb: Promise<MariaDbInfo> | undefined;
let redis: Promise<RedisInfo> | undefined;

/** The shared test MariaDB server (from the global setup), or a private one for this process. */
export function testMariaDb(): Promise<MariaDbInfo> {
  const shared = process.env.ENVSNAP_TEST_MARIADB;
  if (shared) return Promise.resolve(JSON.parse(shared) as MariaDbInfo);
  mariaDb ??= startMariaDb().then((s) => {
    stopOnExit(s);
    return s.info;
  });
  return mariaDb;
}

/** The shared test Redis server (from the global setup), or a private one for this process. */
export function testRedis(): Promise<RedisInfo> {
  const shared = process.env.ENVSNAP_TEST_REDIS;
  if (shared) return Promise.resolve(JSON.parse(shared) as RedisInfo);
  redis ??= startRedis().then((s) => {
    stopOnExit(s);
    return s.info;
  });
  return redis;
}

/** A name no other test on the shared servers uses: `prefix_<pid>_<random>` (valid unquoted in SQL). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}
