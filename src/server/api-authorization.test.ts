/**
 * The authorization matrix of the API: every role x every action x its own environment and another
 * one, through the real app (no sockets) on a real repository. The expected outcome is written out
 * per role below, not derived from rbac.ts, so a change of the rules shows up here. Actions on one
 * activity (its log, cancelling it) answer 404 for an environment the user may not see; managing
 * users is checked per role and per environment of the user changed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EnvsnapError } from '../core/errors.ts';
import { FIXTURE_USERS, serverFixture, type ApiResponse, type ServerFixture } from '../testing/server-fixture.ts';

type Action =
  | 'environment'
  | 'list'
  | 'activities'
  | 'log'
  | 'create'
  | 'cancel-create'
  | 'restore'
  | 'cancel-restore'
  | 'delete'
  | 'pin'
  | 'unpin'
  | 'export'
  | 'expire'
  | 'schedule-set'
  | 'schedule-remove'
  | 'policy-set';
const ACTIONS: Action[] = ['environment', 'list', 'activities', 'log', 'create', 'cancel-create', 'restore', 'cancel-restore', 'delete', 'pin', 'unpin', 'export', 'expire', 'schedule-set', 'schedule-remove', 'policy-set'];

/** What each role may do on an environment it has. */
const ALLOWED: Record<string, readonly Action[]> = {
  viewer: ['environment', 'list', 'activities', 'log'],
  contributor: ['environment', 'list', 'activities', 'log', 'create', 'cancel-create'],
  admin: ACTIONS,
};

/** Actions on one activity: an activity of an environment the user may not see is not found (404), not forbidden. */
const ON_ACTIVITY: readonly Action[] = ['log', 'cancel-create', 'cancel-restore'];
const SCHEDULE = { frequency: 'daily', at: '02:30', timezone: 'UTC' };

describe('API authorization matrix', () => {
  let f: ServerFixture;
  /** A snapshot per environment that restore/pin/export work on (taken by the admin). */
  const base: Record<string, string> = {};
  /** The activity that took it (its log is what 'log' reads). */
  const baseActivity: Record<string, string> = {};

  const snapshot = async (env: string): Promise<string> => {
    const r = await f.request('POST', `/environments/${env}/snapshots`, { token: f.tokens.admin, body: { live: true, wait: true } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const a = await f.settle(r.body.activityId);
    assert.equal(a.state, 'succeeded', a.error);
    return a.result.snapshotId;
  };

  /** An activity of `kind` that runs until it is cancelled (queued behind any other of the environment). */
  const open = (env: string, kind: 'create' | 'restore') =>
    f.state.activities.start({
      kind,
      environment: env,
      wait: true,
      job: (io) => new Promise((_, reject) => io.signal.addEventListener('abort', () => reject(new EnvsnapError('INTERRUPTED', 'cancelled')))),
    }).id;

  /** Calls `cancel` on an open activity of `kind`; whatever the answer, the activity is cancelled and finished afterwards. */
  const cancelOpen = async (env: string, kind: 'create' | 'restore', cancel: (id: string) => Promise<ApiResponse>) => {
    const id = open(env, kind);
    try {
      return await cancel(id);
    } finally {
      f.state.activities.cancel(id);
      await f.settle(id);
    }
  };

  let seq = 0;

  before(async () => {
    // Automatic snapshots on, so that schedules may be set on both environments.
    f = await serverFixture({ automatic: true });
    for (const env of ['production', 'staging']) {
      base[env] = await snapshot(env);
      baseActivity[env] = f.state.activities.list({ environment: env, limit: 1 })[0]!.id;
    }
  });
  after(() => f.dispose());

  const call = async (user: string, action: Action, env: string) => {
    const token = f.tokens[user];
    const snap = base[env]!;
    switch (action) {
      case 'environment':
        return f.request('GET', `/environments/${env}`, { token });
      case 'list':
        return f.request('GET', `/environments/${env}/snapshots`, { token });
      case 'activities':
        return f.request('GET', `/activities?environment=${env}`, { token });
      case 'log':
        return f.request('GET', `/activities/${baseActivity[env]}/log`, { token });
      case 'cancel-create':
      case 'cancel-restore':
        return cancelOpen(env, action === 'cancel-create' ? 'create' : 'restore', (id) => f.request('POST', `/activities/${id}/cancel`, { token }));
      case 'create':
        return f.request('POST', `/environments/${env}/snapshots`, { token, body: { live: true, wait: true } });
      case 'restore':
        return f.request('POST', `/environments/${env}/snapshots/${snap}/restore`, { token, body: { wait: true } });
      case 'delete':
        // Deletes a snapshot made for the purpose, so the base one stays for the other actions.
        return f.request('DELETE', `/environments/${env}/snapshots/${await snapshot(env)}`, { token, body: { wait: true } });
      case 'pin':
        return f.request('PUT', `/environments/${env}/snapshots/${snap}/pin`, { token });
      case 'unpin':
        return f.request('DELETE', `/environments/${env}/snapshots/${snap}/pin`, { token });
      case 'export':
        return f.request('GET', `/environments/${env}/snapshots/${snap}/export`, { token });
      case 'expire':
        return f.request('POST', `/environments/${env}/expire`, { token, body: {} });
      case 'schedule-set':
        return f.request('PUT', `/environments/${env}/schedules/set-${++seq}`, { token, body: { schedule: SCHEDULE } });
      case 'schedule-remove': {
        const id = `remove-${++seq}`;
        await f.ops.setSchedule(env, { id, schedule: SCHEDULE });
        return f.request('DELETE', `/environments/${env}/schedules/${id}`, { token });
      }
      case 'policy-set':
        return f.request('PUT', `/environments/${env}/policy`, { token, body: { manual: { max_count: 10 + ++seq } } });
    }
  };

  for (const u of FIXTURE_USERS) {
    for (const env of ['production', 'staging']) {
      const own = u.environments.length === 0 || (u.environments as readonly string[]).includes(env);
      for (const action of ACTIONS) {
        const allowed = own && ALLOWED[u.role]!.includes(action);
        const refusal = !own && ON_ACTIVITY.includes(action) ? 404 : 403;
        it(`${u.name} (${u.role}) ${action} on ${own ? 'own' : 'other'} environment ${env}: ${allowed ? 'allowed' : refusal}`, async () => {
          const config = await readFile(join(f.dir, 'envsnap.yaml'), 'utf8');
          const r = await call(u.name, action, env);
          if (!allowed) {
            assert.equal(r.status, refusal, `expected ${refusal}, got ${r.status} ${JSON.stringify(r.body)}`);
            assert.equal(r.body.error.code, refusal === 404 ? 'NOT_FOUND' : 'FORBIDDEN');
            if (action === 'schedule-set' || action === 'policy-set') assert.equal(await readFile(join(f.dir, 'envsnap.yaml'), 'utf8'), config, 'envsnap.yaml is unchanged');
            return;
          }
          assert.ok(r.status === 200 || r.status === 202, `expected success, got ${r.status} ${JSON.stringify(r.body)}`);
          if (ON_ACTIVITY.includes(action) && action !== 'log') {
            assert.equal(r.status, 202);
            assert.equal((await f.settle(r.body.id)).state, 'cancelled');
            assert.ok((await f.request('GET', `/activities/${r.body.id}/log`, { token: f.tokens.admin })).body.some((l: { message: string }) => l.message === `cancel requested by ${u.name}`));
          } else if (r.status === 202) {
            const a = await f.settle(r.body.activityId);
            assert.equal(a.state, 'succeeded', `${action}: ${a.error}`);
            assert.equal(a.user, u.name);
          }
        });
      }
    }
  }

  // Managing users is project-wide: only an admin of every environment may, whichever environment
  // the user changed is limited to.
  for (const u of FIXTURE_USERS) {
    for (const env of ['production', 'staging']) {
      const allowed = u.role === 'admin' && u.environments.length === 0;
      const own = u.environments.length === 0 || (u.environments as readonly string[]).includes(env);
      it(`${u.name} (${u.role}) changes and removes a user of ${own ? 'its own' : 'another'} environment ${env}: ${allowed ? 'allowed' : '403'}`, async () => {
        const target = `target-${++seq}`;
        await f.state.users.add({ name: target, role: 'viewer', environments: [env] });
        const patch = await f.request('PATCH', `/users/${target}`, { token: f.tokens[u.name], body: { role: 'contributor', environments: [env] } });
        assert.equal(patch.status, allowed ? 200 : 403, JSON.stringify(patch.body));
        assert.equal(f.state.users.get(target)!.role, allowed ? 'contributor' : 'viewer');
        const del = await f.request('DELETE', `/users/${target}`, { token: f.tokens[u.name] });
        assert.equal(del.status, allowed ? 204 : 403, JSON.stringify(del.body));
        assert.equal(f.state.users.get(target) === undefined, allowed);
        if (!allowed) assert.equal(del.body.error.code, 'FORBIDDEN');
      });
    }
  }

  it('a user who may not view an environment does not see it listed, nor its activities', async () => {
    const envs = await f.request('GET', '/environments', { token: f.tokens['viewer-prod'] });
    assert.deepEqual(envs.body.map((e: { name: string }) => e.name), ['production']);
    const acts = await f.request('GET', '/activities', { token: f.tokens['viewer-prod'] });
    assert.ok(acts.body.length > 0);
    assert.ok(acts.body.every((a: { environment: string }) => a.environment === 'production'));
    const other = (await f.request('GET', '/activities?environment=staging', { token: f.tokens.admin })).body[0];
    const one = await f.request('GET', `/activities/${other.id}`, { token: f.tokens['viewer-prod'] });
    assert.equal(one.status, 404);
  });

  it('users and the audit log are for admins of every environment only', async () => {
    for (const user of ['contrib-prod', 'viewer-prod', 'admin-staging']) {
      assert.equal((await f.request('GET', '/users', { token: f.tokens[user] })).status, 403, user);
      assert.equal((await f.request('GET', '/audit', { token: f.tokens[user] })).status, 403, user);
      assert.equal((await f.request('POST', '/users', { token: f.tokens[user], body: { name: 'mallory', role: 'admin' } })).status, 403, user);
    }
    const users = await f.request('GET', '/users', { token: f.tokens.admin });
    assert.equal(users.status, 200);
    assert.ok(!JSON.stringify(users.body).includes('scrypt'), 'password hashes are never sent');
    assert.equal(f.state.users.get('mallory'), undefined);
  });

  it('every refusal and every action is in the audit log with user and outcome', async () => {
    const audit = (await f.request('GET', '/audit?limit=500', { token: f.tokens.admin })).body as { user: string; action: string; outcome: string; environment: string }[];
    assert.ok(audit.some((e) => e.user === 'viewer-prod' && e.action === 'snapshot.restore' && e.outcome === 'denied' && e.environment === 'production'));
    assert.ok(audit.some((e) => e.user === 'contrib-prod' && e.action === 'snapshot.create' && e.outcome === 'accepted' && e.environment === 'production'));
    assert.ok(audit.some((e) => e.user === 'admin' && e.action === 'snapshot.export' && e.outcome === 'ok'));
  });

  it('a restore by the API puts the snapshot\'s files back; the export is the snapshot as a tar.gz', async () => {
    const file = join(f.dir, 'staging', 'var', 'data.txt');
    await writeFile(file, 'changed after the snapshot\n');
    const r = await f.request('POST', `/environments/staging/snapshots/${base.staging}/restore`, { token: f.tokens['admin-staging'], body: {} });
    assert.equal(r.status, 202);
    assert.equal(r.headers.get('location'), `/api/v1/activities/${r.body.activityId}`);
    assert.equal((await f.settle(r.body.activityId)).state, 'succeeded');
    assert.equal(await readFile(file, 'utf8'), 'staging data\n');

    const x = await f.request('GET', `/environments/staging/snapshots/${base.staging}/export`, { token: f.tokens.admin });
    assert.equal(x.headers.get('content-type'), 'application/gzip');
    assert.match(x.headers.get('content-disposition') ?? '', /^attachment; filename="staging-[0-9a-f]{8}\.tar\.gz"$/);
  });

  it('the export download is a gzip tar holding the snapshot\'s files', async () => {
    const x = await f.request('GET', `/environments/production/snapshots/${base.production}/export`, { token: f.tokens.admin });
    assert.equal(x.status, 200);
    const tar = gunzipSync(x.bytes!);
    assert.ok(tar.includes(Buffer.from('production data\n')), 'the tar holds the file content');
  });
});
