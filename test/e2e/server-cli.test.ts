/**
 * The server as users run it: `envsnap serve` in its own process, users and tokens made with the
 * CLI, and the CLI working through the server with --server: snapshot:create prints the activity and
 * "Activity ID succeeded", snapshot:list shows it, a restore through the server puts files back,
 * activity:list/log report it; a bad token and a server that is down are clear errors.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { ensureDebianPackages, freePort } from '../../src/testing/servers.ts';
import { oneErrorLine, runCli, runJson, runOk, spawnCli, waitFor, writeShopProject, type RunOptions, type Spawned } from './helpers.ts';

describe('envsnap serve with the CLI as its client', () => {
  let dir: string;
  let url: string;
  let server: Spawned;
  let opts: RunOptions;
  let token: string;
  let viewerToken: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envsnap-serve-'));
    await writeShopProject(dir, { data: 'original\n' });
    opts = { cwd: dir };
    await runOk(['init'], opts);
    await runOk(['user:add', 'root', '--role', 'admin'], { ...opts, env: { ENVSNAP_USER_PASSWORD: 'admin password' } });
    await runOk(['user:add', 'watcher', '--role', 'viewer', '--no-password'], opts);
    token = (await runJson<{ token: string }>(['token:create', '--user', 'root'], opts)).token;
    viewerToken = (await runJson<{ token: string }>(['token:create', '--user', 'watcher'], opts)).token;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawnCli(['serve', '--listen', `127.0.0.1:${port}`], opts);
    await waitFor(async () => (await fetch(`${url}/api/v1/me`).catch(() => undefined))?.status === 401, 'the server to answer');
  });
  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.done;
    await rm(dir, { recursive: true, force: true });
  });

  const client = (tok = token): RunOptions => ({ ...opts, env: { ENVSNAP_SERVER: url, ENVSNAP_TOKEN: tok } });

  it('user:list shows the users made with the CLI, without secrets', async () => {
    const users = await runJson<{ name: string; role: string; hasPassword: boolean; tokens: number }[]>(['user:list'], opts);
    assert.deepEqual(users.map((u) => [u.name, u.role, u.hasPassword, u.tokens]), [['root', 'admin', true, 1], ['watcher', 'viewer', false, 1]]);
    const text = (await runOk(['user:list'], opts)).stdout;
    assert.ok(!text.includes(token.slice(17)) && !text.includes('scrypt'));
  });

  it('snapshot:create through the server prints the activity and its outcome; the snapshot is listed', async () => {
    const r = await runOk(['-e', 'production', 'snapshot:create', '--live'], client());
    const id = /^Activity ([0-9a-f]{16}) started$/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(r.stdout, new RegExp(`^Activity ${id} succeeded$`, 'm'));
    const list = await runJson<{ id: string; live: boolean; environment: string }[]>(['-e', 'production', 'snapshot:list'], client());
    assert.equal(list.length, 1);
    assert.equal(list[0]!.live, true);
    const acts = await runJson<{ id: string; kind: string; state: string; user: string }[]>(['activity:list'], client());
    assert.deepEqual(acts.map((a) => [a.id, a.kind, a.state, a.user]), [[id, 'create', 'succeeded', 'root']]);
  });

  it('a restore through the server puts the files back; activity:log shows what it did', async () => {
    const [snap] = await runJson<{ id: string }[]>(['-e', 'production', 'snapshot:list'], client());
    await writeFile(join(dir, 'shop', 'var', 'data.txt'), 'changed\n');
    const r = await runOk(['-e', 'production', 'snapshot:restore', snap!.id, '--yes'], client());
    const id = /^Activity ([0-9a-f]{16}) succeeded$/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.equal(await readFile(join(dir, 'shop', 'var', 'data.txt'), 'utf8'), 'original\n');
    const log = (await runOk(['activity:log', id!], client())).stdout;
    assert.match(log, /restore on production by root, succeeded/);
    assert.match(log, /restoring the mounts/);
  });

  it('--no-wait returns at once with the activity id', async () => {
    const r = await runJson<{ activityId: string }>(['-e', 'production', 'snapshot:create', '--live', '--no-wait'], client());
    assert.match(r.activityId, /^[0-9a-f]{16}$/);
    await waitFor(async () => (await runJson<{ id: string; state: string }[]>(['activity:list'], client())).find((a) => a.id === r.activityId && a.state === 'succeeded'), 'the activity to finish', 60_000, 200);
  });

  it('serves HTTPS with --tls-cert/--tls-key (Secure cookies); refuses a non-loopback address without TLS', async () => {
    ensureDebianPackages([{ binary: 'openssl', pkg: 'openssl' }]);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    const refused = await runCli(['serve', '--listen', '0.0.0.0:7999'], opts);
    assert.equal(refused.code, 1);
    assert.match(oneErrorLine(refused), /refusing to serve on 0\.0\.0\.0 without TLS: give --tls-cert and --tls-key/);

    const port = await freePort();
    const tls = spawnCli(['serve', '--listen', `127.0.0.1:${port}`, '--tls-cert', cert, '--tls-key', key, '--no-scheduler'], opts);
    try {
      const ca = await readFile(cert);
      const get = (path: string, init: { method?: string; body?: string } = {}) =>
        new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', ca, headers: { 'content-type': 'application/json' } }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
          });
          req.on('error', reject);
          req.end(init.body);
        });
      await waitFor(async () => (await get('/api/v1/me').catch(() => undefined))?.status === 401, 'the HTTPS server to answer');
      const login = await get('/api/v1/login', { method: 'POST', body: JSON.stringify({ user: 'root', password: 'admin password' }) });
      assert.equal(login.status, 200);
      assert.match(String(login.headers['set-cookie']), /; Secure/);
    } finally {
      tls.child.kill('SIGTERM');
      await tls.done;
    }
  });

  it('a viewer is refused a snapshot (exit 24); a bad token exits 25; no server exits 1 naming the URL', async () => {
    const denied = await runCli(['-e', 'production', 'snapshot:create'], client(viewerToken));
    assert.equal(denied.code, 24, denied.stderr);
    assert.match(oneErrorLine(denied), /watcher \(viewer\) may not backup on production/);
    const bad = await runCli(['-e', 'production', 'snapshot:list'], client(`${token.slice(0, -3)}xyz`));
    assert.equal(bad.code, 25, bad.stderr);
    assert.match(oneErrorLine(bad), /API token is not valid/);
    const down = await runCli(['-e', 'production', 'snapshot:list'], { ...opts, env: { ENVSNAP_SERVER: 'http://127.0.0.1:9', ENVSNAP_TOKEN: token } });
    assert.equal(down.code, 1);
    assert.match(oneErrorLine(down), /cannot reach the envsnap server at http:\/\/127\.0\.0\.1:9/);
    assert.ok(!down.stderr.includes(token));
  });
});
