/**
 * The authorization matrix of the API: every role x every action x its own environment and another
 * one, through the real app (no sockets) on a real repository. The expected outcome is written out
 * per role below, not derived from rbac.ts, so a change of the rules shows up here.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIXTURE_USERS, serverFixture, type ServerFixture } from '../testing/server-fixture.ts';

type Action = 'environment' | 'list' | 'activities' | 'create' | 'restore' | 'delete' | 'pin' | 'unpin' | 'export' | 'expire';
const ACTIONS: Action[] = ['environment', 'list', 'activities', 'create', 'restore', 'delete', 'pin', 'unpin', 'export', 'expire'];

/** What each role may do on an environment it has. */
const ALLOWED: Record<string, readonly Action[]> = {
  viewer: ['environment', 'list', 'activities'],
  contributor: ['environment', 'list', 'activities', 'create'],
  admin: ACTIONS,
};

describe('API authorization matrix', () => {
  let f: ServerFixture;
  /** A snapshot per environment that restore/pin/export work on (taken by the admin). */
  const base: Record<string, string> = {};

  const snapshot = async (env: string): Promise<string> => {
    const r = await f.request('POST', `/environments/${env}/snapshots`, { token: f.tokens.admin, body: { live: true, wait: true } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const a = await f.settle(r.body.activityId);
    assert.equal(a.state, 'succeeded', a.error);
    return a.result.snapshotId;
  };

  before(async () => {
    f = await serverFixture();
    for (const env of ['production', 'staging']) base[env] = await snapshot(env);
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
    }
  };

  for (const u of FIXTURE_USERS) {
    for (const env of ['production', 'staging']) {
      const own = u.environments.length === 0 || (u.environments as readonly string[]).includes(env);
      for (const action of ACTIONS) {
        const allowed = own && ALLOWED[u.role]!.includes(action);
        it(`${u.name} (${u.role}) ${action} on ${own ? 'own' : 'other'} environment ${env}: ${allowed ? 'allowed' : '403'}`, async () => {
          const r = await call(u.name, action, env);
          if (!allowed) {
            assert.equal(r.status, 403, `expected 403, got ${r.status} ${JSON.stringify(r.body)}`);
            assert.equal(r.body.error.code, 'FORBIDDEN');
            return;
          }
          assert.ok(r.status === 200 || r.status === 202, `expected success, got ${r.status} ${JSON.stringify(r.body)}`);
          if (r.status === 202) {
            const a = await f.settle(r.body.activityId);
            assert.equal(a.state, 'succeeded', `${action}: ${a.error}`);
            assert.equal(a.user, u.name);
          }
        });
      }
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
