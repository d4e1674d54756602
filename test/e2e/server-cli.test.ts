/**
 * The server as users run it: `envsnap serve` in its own process, users and tokens made with the
 * CLI, and the CLI working through the server with --server: snapshot:create prints the activity and
 * "Activity ID succeeded", snapshot:list shows it, a restore through the server puts files back,
 * activity:list/log report it; a failed activity exits 27 and activity:cancel cancels a queued one;
 * user:remove keeps the last admin, user:passwd ends old sessions, user:add -e limits a role to an
 * environment; the state database holds passwords and tokens only hashed; a snapshot taken without
 * the server is listed by it; a bad token and a server that is down are clear errors. A server killed
 * during an activity marks it failed at its next start.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { ActivityHold } from '../../src/testing/activity-hold.ts';
import { ensureDebianPackages, freePort } from '../../src/testing/servers.ts';
import { oneErrorLine, runCli, runJson, runOk, spawnCli, waitFor, writeShopProject, type RunOptions, type Spawned } from './helpers.ts';

describe('envsnap serve with the CLI as its client', () => {
  let dir: string;
  let url: string;
  let server: Spawned;
  let opts: RunOptions;
  let token: string;
  let viewerToken: string;
  /** Holds staging's snapshots taken in maintenance mode (not --live) until released. */
  let stagingHold: ActivityHold;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envsnap-serve-'));
    await writeShopProject(dir, { data: 'original\n' });
    // A second environment, for users limited to one of them.
    await mkdir(join(dir, 'stage', 'var'), { recursive: true });
    await writeFile(join(dir, 'stage', 'var', 'data.txt'), 'staging data\n');
    stagingHold = new ActivityHold(join(dir, 'stage'));
    await appendFile(join(dir, 'envsnap.yaml'), ['  staging:', '    type: staging', '    plan: starter', '    root: stage', '    mounts: [var]', `    ${stagingHold.yaml}`, ''].join('\n'));
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
    await stagingHold?.release();
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

  /** A console session of `user`: its cookie, or the status of a refused login. */
  const login = async (user: string, password: string): Promise<{ status: number; cookie: string }> => {
    const r = await fetch(`${url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
    return { status: r.status, cookie: (r.headers.get('set-cookie') ?? '').split(';')[0]! };
  };
  const meStatus = async (cookie: string) => (await fetch(`${url}/api/v1/me`, { headers: { cookie } })).status;

  it('user:remove refuses the last admin; another user is removed with its tokens', async () => {
    const last = await runCli(['user:remove', 'root'], opts);
    assert.equal(last.code, 1, last.stderr);
    assert.match(oneErrorLine(last), /root is the last admin: add another admin before removing it/);
    await runOk(['user:add', 'leaving', '--role', 'contributor', '--no-password'], opts);
    const leavingToken = (await runJson<{ token: string }>(['token:create', '--user', 'leaving'], opts)).token;
    await runOk(['-e', 'production', 'snapshot:list'], client(leavingToken));
    assert.match((await runOk(['user:remove', 'leaving'], opts)).stdout, /^removed leaving$/m);
    const users = await runJson<{ name: string }[]>(['user:list'], opts);
    assert.deepEqual(users.map((u) => u.name), ['root', 'watcher']);
    const gone = await runCli(['-e', 'production', 'snapshot:list'], client(leavingToken));
    assert.equal(gone.code, 25, gone.stderr);
  });

  it('user:passwd ends the sessions of the old password; the new one logs in', async () => {
    await runOk(['user:add', 'editor', '--role', 'viewer'], { ...opts, env: { ENVSNAP_USER_PASSWORD: 'first password' } });
    const before = await login('editor', 'first password');
    assert.equal(before.status, 200);
    assert.equal(await meStatus(before.cookie), 200);
    assert.match((await runOk(['user:passwd', 'editor'], { ...opts, env: { ENVSNAP_USER_PASSWORD: 'second password' } })).stdout, /changed the password of editor/);
    assert.equal(await meStatus(before.cookie), 401, 'the old session has ended');
    assert.equal((await login('editor', 'first password')).status, 401);
    const after = await login('editor', 'second password');
    assert.equal(after.status, 200);
    assert.equal(await meStatus(after.cookie), 200);
    const unknown = await runCli(['user:passwd', 'nobody'], { ...opts, env: { ENVSNAP_USER_PASSWORD: 'third password' } });
    assert.match(oneErrorLine(unknown), /no user named nobody: see envsnap user:list/);
  });

  it('user:add -e ENV limits the role to that environment (--server URL given as a flag)', async () => {
    assert.match((await runOk(['-e', 'staging', 'user:add', 'stager', '--role', 'contributor', '--no-password'], opts)).stdout, /added contributor stager on staging/);
    const stager = (await runJson<{ token: string }>(['token:create', '--user', 'stager'], opts)).token;
    const headers = { authorization: `Bearer ${stager}` };
    const envs = (await (await fetch(`${url}/api/v1/environments`, { headers })).json()) as { name: string }[];
    assert.deepEqual(envs.map((e) => e.name), ['staging']);
    assert.equal((await fetch(`${url}/api/v1/environments/production/snapshots`, { headers })).status, 403);
    const flag = { ...opts, env: { ENVSNAP_TOKEN: stager } };
    const ok = await runOk(['--server', url, '-e', 'staging', 'snapshot:create', '--live'], flag);
    assert.match(ok.stdout, /^Activity [0-9a-f]{16} succeeded$/m);
    const refused = await runCli(['--server', url, '-e', 'production', 'snapshot:create', '--live'], flag);
    assert.equal(refused.code, 24, refused.stderr);
    assert.match(oneErrorLine(refused), /stager \(contributor\) may not backup on production/);
  });

  it('a failed activity ends with "Activity ID failed: why" and exit code 27, documented in --help', async () => {
    const r = await runCli(['--server', url, '-e', 'production', 'snapshot:create', '--type', 'db'], { ...opts, env: { ENVSNAP_TOKEN: token } });
    assert.equal(r.code, 27, r.stderr);
    const id = /^Activity ([0-9a-f]{16}) started$/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(oneErrorLine(r), new RegExp(`^error: Activity ${id} failed: .*no databases`));
    const [a] = await runJson<{ id: string; state: string }[]>(['activity:list', '--limit', '1'], client());
    assert.deepEqual([a!.id, a!.state], [id, 'failed']);
    assert.match((await runOk(['--help'], opts)).stdout, /^ {2}27 +an activity on the server failed/m);
  });

  it('activity:cancel cancels a queued snapshot; nothing of it is listed', async () => {
    const post = async () => {
      const res = await fetch(`${url}/api/v1/environments/staging/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ wait: true }) });
      assert.equal(res.status, 202);
      return ((await res.json()) as { activityId: string }).activityId;
    };
    const state = async (id: string) => (await runJson<{ id: string; state: string }[]>(['activity:list'], client())).find((a) => a.id === id)?.state;
    const settled = async (id: string) => waitFor(async () => (await runJson<{ id: string; state: string }[]>(['activity:list'], client())).find((a) => a.id === id && !['pending', 'in_progress'].includes(a.state)), `activity ${id} to finish`, 60_000, 200);
    const before = (await runJson<unknown[]>(['-e', 'staging', 'snapshot:list'], client())).length;
    try {
      // The first snapshot is held in its maintenance on-command, so the second waits behind it.
      const first = await post();
      await stagingHold.started();
      const second = await post();
      assert.equal(await state(second), 'pending');
      const r = await runOk(['activity:cancel', second], client());
      assert.match(r.stdout, new RegExp(`^activity ${second} cancelled before it started$`, 'm'));
      assert.equal(await state(second), 'cancelled', 'a queued activity ends at once, while the one ahead still runs');
      await stagingHold.release();
      assert.equal((await settled(second)).state, 'cancelled');
      assert.equal((await settled(first)).state, 'succeeded');
      assert.equal((await runJson<unknown[]>(['-e', 'staging', 'snapshot:list'], client())).length, before + 1, 'only the first snapshot is listed');
      const again = await runCli(['activity:cancel', second], client());
      assert.equal(again.code, 26);
      assert.match(oneErrorLine(again), /has already cancelled: nothing to cancel/);
    } finally {
      await stagingHold.release();
    }
  });

  it('the state database holds the password and the token only hashed (scrypt for the password)', async () => {
    const password = 'a distinctive passphrase 42';
    await runOk(['user:add', 'keeper', '--role', 'viewer'], { ...opts, env: { ENVSNAP_USER_PASSWORD: password } });
    const tok = (await runJson<{ token: string }>(['token:create', '--user', 'keeper'], opts)).token;
    const secret = /^esn_[0-9a-f]{12}_(.+)$/.exec(tok)![1]!;
    const file = join(dir, '.envsnap', 'state', 'server.db');
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      assert.ok(tables.includes('users') && tables.includes('tokens'), tables.join(', '));
      let cells = 0;
      for (const t of tables) {
        for (const row of db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]) {
          for (const [col, v] of Object.entries(row)) {
            const text = typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : undefined;
            if (text === undefined) continue;
            cells++;
            for (const s of [password, secret, tok]) assert.ok(!text.includes(s), `${t}.${col} holds a secret`);
          }
        }
      }
      assert.ok(cells > 0);
      const hash = (db.prepare('SELECT password_hash FROM users WHERE name = ?').get('keeper') as { password_hash: string }).password_hash;
      assert.match(hash, /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
      const stored = (db.prepare('SELECT secret_hash FROM tokens WHERE user_name = ?').get('keeper') as { secret_hash: string }).secret_hash;
      assert.equal(stored, createHash('sha256').update(secret).digest('hex'));
    } finally {
      db.close();
    }
    for (const f of [file, `${file}-wal`]) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0));
      for (const s of [password, secret]) assert.ok(!bytes.includes(s), `${f} holds a secret`);
    }
  });

  it('a snapshot taken by the CLI without the server is listed through the API (the repository is the source of truth)', async () => {
    const local = await runJson<{ snapshotId: string }>(['-e', 'production', 'snapshot:create', '--live'], opts);
    const listed = await waitFor(
      async () => {
        const res = await fetch(`${url}/api/v1/environments/production/snapshots`, { headers: { authorization: `Bearer ${token}` } });
        return ((await res.json()) as { id: string; trigger: string }[]).find((r) => r.id === local.snapshotId);
      },
      'the API to list the snapshot',
      10_000,
      200,
    );
    assert.equal(listed.trigger, 'manual');
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

describe('envsnap serve killed during an activity', () => {
  it('marks the activity failed at its next start', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-serve-kill-'));
    // The snapshot is held in its maintenance on-command until the server is dead; released also
    // when the test fails, since the waiting shell outlives a killed server.
    const hold = new ActivityHold(join(dir, 'shop'));
    t.after(async () => {
      await hold.release();
      await rm(dir, { recursive: true, force: true });
    });
    await writeShopProject(dir, { environment: ['type: integration', 'plan: starter', hold.yaml] });
    const opts: RunOptions = { cwd: dir };
    await runOk(['init'], opts);
    await runOk(['user:add', 'root', '--role', 'admin', '--no-password'], opts);
    const token = (await runJson<{ token: string }>(['token:create', '--user', 'root'], opts)).token;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const serve = async () => {
      const s = spawnCli(['serve', '--listen', `127.0.0.1:${port}`, '--no-scheduler'], opts);
      await waitFor(async () => (await fetch(`${url}/api/v1/me`).catch(() => undefined))?.status === 401, 'the server to answer');
      return s;
    };
    const activity = async (id: string) => (await (await fetch(`${url}/api/v1/activities/${id}`, { headers })).json()) as { state: string; error: string | null };

    const first = await serve();
    const res = await fetch(`${url}/api/v1/environments/production/snapshots`, { method: 'POST', headers, body: JSON.stringify({}) });
    assert.equal(res.status, 202);
    const { activityId } = (await res.json()) as { activityId: string };
    await hold.started();
    assert.equal((await activity(activityId)).state, 'in_progress');
    first.child.kill('SIGKILL');
    await first.done;
    await hold.release();

    const second = await serve();
    try {
      const a = await activity(activityId);
      assert.equal(a.state, 'failed');
      assert.match(a.error ?? '', /interrupted: the server stopped during the activity/);
    } finally {
      second.child.kill('SIGTERM');
    }
    assert.match((await second.done).stderr, /1 activity was interrupted by the last shutdown: marked failed/);
  });
});
