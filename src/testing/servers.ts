/**
 * Real MariaDB, Redis and S3 (OpenStack Swift with its s3api middleware) servers for tests and
 * benchmarks: Debian's packages (installed with apt-get when missing), each started on loopback on
 * free ports with its data in a fresh temp directory, and stopped afterwards.
 *
 * `npm test` starts one of each in its global setup (test/global-setup.ts) and passes them to the
 * test processes in ENVSNAP_TEST_MARIADB / ENVSNAP_TEST_REDIS / ENVSNAP_TEST_S3; a test file run on
 * its own starts private ones (testMariaDb / testRedis / testS3), stopped when the process exits.
 * Tests share a server, so each test works in databases (or Redis db numbers, or buckets) of its
 * own: see uniqueName and uniqueBucket.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
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

/** An S3-compatible endpoint and the credentials it accepts. */
export interface S3Info {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Running<T> {
  info: T;
  /** The main process (the one clients talk to). */
  child: ChildProcess;
  /** Helper processes started with it (stopped with it). */
  others?: ChildProcess[];
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

/** SIGTERM, then SIGKILL after 20 s; resolves when the process has exited. */
async function endProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function stopChild(child: ChildProcess | ChildProcess[], dir: string): Promise<void> {
  await Promise.all([child].flat().map(endProcess));
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

export const SWIFT_PACKAGES = [
  { binary: 'swift-proxy-server', pkg: 'swift-proxy' },
  { binary: 'swift-object-server', pkg: 'swift-object' },
  { binary: 'swift-container-server', pkg: 'swift-container' },
  { binary: 'swift-account-server', pkg: 'swift-account' },
  { binary: 'swift-ring-builder', pkg: 'swift' },
  { binary: 'memcached', pkg: 'memcached' },
];

/** A second user of the same account without .admin: Swift grants it nothing, so every S3 call is refused (AccessDenied). */
export const SWIFT_READER = { accessKeyId: 'test:reader', secretAccessKey: 'reader-secret-0042' } as const;
const SWIFT_READER_SECRET = SWIFT_READER.secretAccessKey;

/** The test user of Swift's tempauth, which s3api takes as access key `test:tester`, secret `testing`. */
const SWIFT_ACCESS_KEY = 'test:tester';
const SWIFT_SECRET_KEY = 'testing';

/** A Swift whose proxy (the S3 endpoint) a fault test can kill and start again on the same port. */
export interface RunningSwift extends Running<S3Info> {
  /** Kills the proxy with SIGKILL (the storage servers keep running); resolves once it is gone. */
  killProxy(): Promise<void>;
  /** Starts the proxy again on its port; resolves when it answers. */
  startProxy(): Promise<void>;
}

/** Minimal swift.conf, only written when the package's /etc/swift/swift.conf is missing (Swift reads that fixed path). */
const SWIFT_CONF = `[swift-hash]
swift_hash_path_suffix = envsnap-tests
swift_hash_path_prefix = envsnap-tests
[storage-policy:0]
name = Policy-0
default = yes
`;

/** Builds account, container and object rings (argv: folder, then the three ports) with one device each. */
const RING_SCRIPT = `
import sys
from swift.common.ring import RingBuilder
folder = sys.argv[1]
for kind, port in zip(('account', 'container', 'object'), sys.argv[2:5]):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port), 'device': 'd1', 'weight': 100, 'meta': ''})
    builder.rebalance()
    builder.get_ring().save('%s/%s.ring.gz' % (folder, kind))
`;

/** The [DEFAULT] section every Swift server shares: loopback, one process, quiet logs. */
function swiftDefaults(dir: string, port: number, user: string): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
user = ${user}
swift_dir = ${dir}/etc
log_level = WARNING
`;
}

function swiftServerConf(dir: string, kind: 'account' | 'container' | 'object', port: number, user: string): string {
  return `${swiftDefaults(dir, port, user)}devices = ${dir}/node
mount_check = false
disable_fallocate = true
recon_cache_path = ${dir}/cache
[pipeline:main]
pipeline = ${kind}-server
[app:${kind}-server]
use = egg:swift#${kind}
[${kind}-replicator]
[${kind}-auditor]
${kind === 'object' ? '[object-updater]' : ''}
`;
}

function swiftProxyConf(dir: string, port: number, memcachedPort: number, user: string): string {
  const bare = ['catch_errors', 'gatekeeper', 'healthcheck', 'listing_formats', 'copy', 'slo', 'dlo'];
  return `${swiftDefaults(dir, port, user)}[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
dns_compliant_bucket_names = true
allow_multipart_uploads = true
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = ${SWIFT_SECRET_KEY} .admin
user_test_reader = ${SWIFT_READER_SECRET}
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachedPort}
[filter:proxy-logging]
use = egg:swift#proxy_logging
${bare.map((f) => `[filter:${f}]\nuse = egg:swift#${f}`).join('\n')}
`;
}

async function waitForHttp(url: string, child: ChildProcess, what: string, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up (${child.exitCode ?? child.signalCode}):\n${log()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s:\n${log()}`);
}

/**
 * Starts a single-node OpenStack Swift with the s3api middleware on 127.0.0.1: memcached, the
 * account, container and object servers and the proxy, each on a free port, with one ring of one
 * device in a fresh temp directory. The S3 endpoint is the proxy (path-style addressing, region
 * us-east-1, tempauth's test user as the access key). Ready in a few seconds.
 */
export async function startSwift(): Promise<RunningSwift> {
  ensureDebianPackages(SWIFT_PACKAGES);
  if (!existsSync('/etc/swift/swift.conf')) {
    await mkdir('/etc/swift', { recursive: true });
    await writeFile('/etc/swift/swift.conf', SWIFT_CONF);
  }
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-swift-'));
  const user = userInfo().username;
  const ports = { memcached: await freePort(), account: await freePort(), container: await freePort(), object: await freePort(), proxy: await freePort() };
  for (const sub of ['etc', 'node/d1', 'cache']) await mkdir(join(dir, sub), { recursive: true });
  for (const kind of ['account', 'container', 'object'] as const) {
    await writeFile(join(dir, 'etc', `${kind}-server.conf`), swiftServerConf(dir, kind, ports[kind], user));
  }
  // One ring of one device per server kind. Swift's own RingBuilder in one Python process: running
  // swift-ring-builder create/add/rebalance for each kind costs nine interpreter start-ups (~6 s).
  const rings = spawnSync('/usr/bin/python3', ['-c', RING_SCRIPT, join(dir, 'etc'), String(ports.account), String(ports.container), String(ports.object)], {
    encoding: 'utf8',
  });
  if (rings.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`building the Swift rings failed:\n${rings.stdout}${rings.stderr}`);
  }
  const proxyConf = join(dir, 'etc', 'proxy-server.conf');
  await writeFile(proxyConf, swiftProxyConf(dir, ports.proxy, ports.memcached, user));

  const others: ChildProcess[] = [];
  const logs: (() => string)[] = [];
  const launch = (cmd: string, args: string[]): ChildProcess => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    logs.push(capture(child));
    return child;
  };
  const allLogs = () => logs.map((l) => l()).join('\n');
  let proxy: ChildProcess | undefined;
  const startProxy = async () => {
    const child = launch('swift-proxy-server', [proxyConf]);
    proxy = child;
    await waitForHttp(`http://127.0.0.1:${ports.proxy}/healthcheck`, child, 'swift-proxy-server', allLogs);
  };
  try {
    others.push(launch('memcached', ['-l', '127.0.0.1', '-p', String(ports.memcached), '-U', '0', '-u', user]));
    const servers = (['account', 'container', 'object'] as const).map((kind) => {
      const child = launch(`swift-${kind}-server`, [join(dir, 'etc', `${kind}-server.conf`)]);
      others.push(child);
      return waitForPort(ports[kind], child, `swift-${kind}-server`, allLogs);
    });
    await Promise.all([...servers, startProxy()]);
  } catch (err) {
    await stopChild([...others, ...(proxy ? [proxy] : [])], dir);
    throw err;
  }
  const info: S3Info = { endpoint: `http://127.0.0.1:${ports.proxy}`, region: 'us-east-1', accessKeyId: SWIFT_ACCESS_KEY, secretAccessKey: SWIFT_SECRET_KEY };
  return {
    info,
    dir,
    get child() {
      return proxy as ChildProcess;
    },
    others,
    stop: () => stopChild([...others, proxy as ChildProcess], dir),
    async killProxy() {
      const p = proxy as ChildProcess;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGKILL');
      await exited;
    },
    startProxy,
  };
}

const privateServers: Running<unknown>[] = [];
let exitHooked = false;
function stopOnExit(s: Running<unknown>): void {
  // The server must not keep this process alive: unref it, stop it when the loop drains, and kill
  // it on a hard exit.
  const children = [s.child, ...(s.others ?? [])];
  for (const child of children) {
    child.unref();
    for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  privateServers.push(s);
  if (exitHooked) return;
  exitHooked = true;
  // node --test ends a file's process once its tests finish; stop our servers first.
  process.once('beforeExit', () => void Promise.all(privateServers.splice(0).map((p) => p.stop())));
}

const started = new Map<string, Promise<unknown>>();

/** The server the global setup shares in `envVar`, or a private one started once for this process. */
function sharedOrPrivate<T>(envVar: string, start: () => Promise<Running<T>>): Promise<T> {
  const shared = process.env[envVar];
  if (shared) return Promise.resolve(JSON.parse(shared) as T);
  let info = started.get(envVar) as Promise<T> | undefined;
  if (info === undefined) {
    info = start().then((s) => {
      stopOnExit(s);
      return s.info;
    });
    started.set(envVar, info);
  }
  return info;
}

/** The shared test MariaDB server (from the global setup), or a private one for this process. */
export function testMariaDb(): Promise<MariaDbInfo> {
  return sharedOrPrivate('ENVSNAP_TEST_MARIADB', () => startMariaDb());
}

/** The shared test Redis server (from the global setup), or a private one for this process. */
export function testRedis(): Promise<RedisInfo> {
  return sharedOrPrivate('ENVSNAP_TEST_REDIS', () => startRedis());
}

/** The shared test S3 server (Swift, from the global setup), or a private one for this process. */
export function testS3(): Promise<S3Info> {
  return sharedOrPrivate('ENVSNAP_TEST_S3', startSwift);
}

/**
 * Environment variables that point the SDK's standard chain (the CLI's, or a store's) at a test S3
 * server, and keep it away from anything else: no shared config files, no EC2 metadata lookups.
 */
export function s3Env(info: S3Info): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: info.endpoint,
    AWS_ACCESS_KEY_ID: info.accessKeyId,
    AWS_SECRET_ACCESS_KEY: info.secretAccessKey,
    AWS_REGION: info.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/envsnap-test-aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/envsnap-test-aws-credentials',
  };
}

/** A name no other test on the shared servers uses: `prefix_<pid>_<random>` (valid unquoted in SQL). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

/** A bucket name no other test on the shared S3 server uses: uniqueName in the form S3 allows (lowercase, digits, hyphens). */
export function uniqueBucket(prefix = 'envsnap'): string {
  return uniqueName(prefix).toLowerCase().replaceAll('_', '-');
}
