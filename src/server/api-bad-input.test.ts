/**
 * Authentication, sessions, CSRF, login throttling, activities (busy, queue, cancel) and bad input:
 * each a 4xx with a JSON error body that the OpenAPI document describes, nothing changed, nothing
 * secret in the answer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { check } from '../app/maintain.ts';
import { withRepository } from '../app/open-repository.ts';
import { quietContext } from '../testing/temp-repo.ts';
import { serverFixture, type ServerFixture } from '../testing/server-fixture.ts';
import { MAX_BODY_BYTES } from './app.ts';
import { LOGIN_MAX_FAILURES, SESSION_TTL_MS } from './sessions.ts';

const cookieOf = (r: { headers: Headers }) => (r.headers.get('set-cookie') ?? '').split(';')[0]!;

describe('API sessions and CSRF', () => {
  let f: ServerFixture;
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12));
  before(async () => {
    f = await serverFixture({ clock, passwords: true });
  });
  after(() => f.dispose());

  it('answers 401 without credentials and with a bad token, naming what to do', async () => {
    for (const [method, path] of [['GET', '/environments'], ['GET', '/environments/production/snapshots'], ['POST', '/environments/production/snapshots'], ['GET', '/me'], ['GET', '/users']] as const) {
      const r = await f.request(method, path);
      assert.equal(r.status, 401, path);
      assert.equal(r.body.error.code, 'UNAUTHENTICATED');
      assert.match(r.body.error.message, /log in|Bearer/);
    }
    const bad = await f.request('GET', '/environments', { token: `${f.tokens.admin!.slice(0, -4)}AAAA` });
    assert.equal(bad.status, 401);
    assert.ok(!JSON.stringify(bad.body).includes(f.tokens.admin!.slice(4, 16)), 'the token is not echoed');
  });

  it('logs in with a password: HttpOnly SameSite=Strict cookie; state changes need the CSRF token', async () => {
    const login = await f.request('POST', '/login', { body: { user: 'admin', password: 'admin-password' } });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = cookieOf(login);
    const csrf = login.body.csrfToken as string;
    assert.ok(csrf.length >= 24);

    assert.equal((await f.request('GET', '/environments', { cookie })).status, 200);
    const forged = await f.request('POST', '/environments/production/snapshots', { cookie, body: { live: true } });
    assert.equal(forged.status, 403);
    assert.match(forged.body.error.message, /CSRF/);
    const wrong = await f.request('POST', '/environments/production/snapshots', { cookie, csrf: `${csrf}x`, body: { live: true } });
    assert.equal(wrong.status, 403);
    assert.equal((await f.request('GET', '/activities', { token: f.tokens.admin })).body.length, 0, 'no activity was started by the refused requests');

    const me = await f.request('GET', '/me', { cookie });
    assert.equal(me.body.csrfToken, csrf);
    assert.deepEqual(me.body.permissions.production, ['view', 'backup', 'rollback', 'delete', 'pin', 'schedule', 'policy', 'export', 'users']);

    const ok = await f.request('POST', '/environments/production/snapshots', { cookie, csrf, body: { live: true } });
    assert.equal(ok.status, 202);
    assert.equal((await f.settle(ok.body.activityId)).state, 'succeeded');

    assert.equal((await f.request('POST', '/logout', { cookie, csrf })).status, 204);
    assert.equal((await f.request('GET', '/environments', { cookie })).status, 401, 'the session ends at logout');
  });

  it('a session expires after its lifetime', async () => {
    const login = await f.request('POST', '/login', { body: { user: 'viewer-prod', password: 'viewer-prod-password' } });
    const cookie = cookieOf(login);
    assert.equal((await f.request('GET', '/me', { cookie })).status, 200);
    clock.advance(SESSION_TTL_MS + 1);
    const r = await f.request('GET', '/me', { cookie });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /expired/);
  });

  it('throttles logins after repeated failures, even with the right password', async () => {
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const r = await f.request('POST', '/login', { body: { user: 'contrib-prod', password: `wrong ${i}` } });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.message, 'wrong user name or password');
    }
    const r = await f.request('POST', '/login', { body: { user: 'contrib-prod', password: 'contrib-prod-password' } });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('set-cookie'), null);
    clock.advance(16 * 60_000);
    assert.equal((await f.request('POST', '/login', { body: { user: 'contrib-prod', password: 'contrib-prod-password' } })).status, 200);
  });

  it('an unknown user gets the same answer as a wrong password', async () => {
    const r = await f.request('POST', '/login', { body: { user: 'nobody', password: 'whatever' } });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.message, 'wrong user name or password');
  });
});

describe('API bad input', () => {
  let f: ServerFixture;
  let snap: string;
  before(async () => {
    // Staging's snapshots in maintenance mode (not live) are held until the test releases them.
    f = await serverFixture({ hold: 'staging' });
    const r = await f.request('POST', '/environments/production/snapshots', { token: f.tokens.admin, body: { live: true } });
    snap = (await f.settle(r.body.activityId)).result.snapshotId;
  });
  after(() => f.dispose());

  const token = () => f.tokens.admin;
  const count = async () => (await f.request('GET', '/activities', { token: token() })).body.length;

  it('malformed JSON, unknown fields and wrong types: 400 naming the problem, no activity started', async () => {
    const before = await count();
    for (const [raw, want] of [
      ['{"live": tru', /not valid JSON/],
      ['{"live": true, "force": 1}', /force|unrecognized/i],
      ['{"type": "everything"}', /type/],
      ['[1,2]', /body|object/i],
    ] as const) {
      const r = await f.request('POST', '/environments/production/snapshots', { token: token(), raw });
      assert.equal(r.status, 400, raw);
      assert.equal(r.body.error.code, 'INVALID_ARGUMENT');
      assert.match(r.body.error.message, want);
    }
    assert.equal(await count(), before);
  });

  it('an oversized body: 413', async () => {
    const r = await f.request('POST', '/environments/production/snapshots', { token: token(), raw: JSON.stringify({ live: true, pad: 'x'.repeat(MAX_BODY_BYTES) }) });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'TOO_LARGE');
  });

  it('unknown environment, snapshot, activity and path traversal: 404', async () => {
    assert.equal((await f.request('GET', '/environments/nowhere/snapshots', { token: token() })).status, 404);
    assert.equal((await f.request('POST', '/environments/production/snapshots/0123456789abcdef/restore', { token: token(), body: {} })).status, 404);
    assert.equal((await f.request('GET', '/activities/ffffffffffffffff', { token: token() })).status, 404);
    assert.equal((await f.request('GET', '/activities/..%2F..%2Fetc', { token: token() })).status, 404);
    const trav = await f.request('GET', '/environments/production/snapshots/..%2F..%2Fenvsnap.yaml/export', { token: token() });
    assert.equal(trav.status, 404);
    // Another environment's snapshot through this environment's URL is not found either.
    assert.equal((await f.request('GET', `/environments/staging/snapshots/${snap}`, { token: token() })).status, 404);
    assert.equal((await f.request('DELETE', `/environments/staging/snapshots/${snap}`, { token: token() })).status, 404);
    assert.equal((await f.request('GET', `/environments/production/snapshots/${snap}`, { token: token() })).status, 200, 'the snapshot is still there');
  });

  it('restore into an unknown target: 404, nothing started', async () => {
    const before = await count();
    const r = await f.request('POST', `/environments/production/snapshots/${snap}/restore`, { token: token(), body: { target: 'elsewhere' } });
    assert.equal(r.status, 404);
    assert.equal(await count(), before);
  });

  it('a second mutating activity on an environment is refused (409) unless it waits; queued ones run in order', async (t) => {
    await f.hold!.arm(t);
    const first = await f.request('POST', '/environments/staging/snapshots', { token: token(), body: {} });
    assert.equal(first.status, 202);
    await f.hold!.started();
    const second = await f.request('POST', '/environments/staging/snapshots', { token: token(), body: { live: true } });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'BUSY');
    assert.match(second.body.error.message, /^an activity is already in progress on staging/);
    const queued = await f.request('POST', '/environments/staging/snapshots', { token: token(), body: { live: true, wait: true } });
    assert.equal(queued.status, 202);
    assert.equal(queued.body.state, 'pending');
    // Another environment is not held up.
    const other = await f.request('POST', '/environments/production/snapshots', { token: token(), body: { live: true } });
    assert.equal(other.status, 202);
    await f.hold!.release();
    const a = await f.settle(first.body.activityId);
    const b = await f.settle(queued.body.activityId);
    assert.equal(a.state, 'succeeded');
    assert.equal(b.state, 'succeeded');
    assert.ok(b.startedAt >= a.finishedAt, 'the queued activity started after the first finished');
    await f.settle(other.body.activityId);
  });

  it('cancelling a running snapshot: cancelled, no snapshot listed, the repository still checks clean', async (t) => {
    await f.hold!.arm(t);
    const before = (await f.request('GET', '/environments/staging/snapshots', { token: token() })).body.length;
    const r = await f.request('POST', '/environments/staging/snapshots', { token: token(), body: {} });
    // Held in maintenance mode: cancel it there, then let it go on to notice the cancel.
    await f.hold!.started();
    assert.equal((await f.request('GET', `/activities/${r.body.activityId}`, { token: token() })).body.state, 'in_progress');
    const c = await f.request('POST', `/activities/${r.body.activityId}/cancel`, { token: token() });
    assert.equal(c.status, 202);
    await f.hold!.release();
    const done = await f.settle(r.body.activityId);
    assert.equal(done.state, 'cancelled');
    const log = (await f.request('GET', `/activities/${done.id}/log`, { token: token() })).body as { message: string }[];
    assert.ok(log.some((l) => /cancel requested by admin/.test(l.message)));
    assert.equal((await f.request('GET', '/environments/staging/snapshots', { token: token() })).body.length, before, 'the cancelled snapshot is not listed');
    assert.equal((await f.request('POST', `/activities/${done.id}/cancel`, { token: token() })).status, 409, 'a finished activity cannot be cancelled');

    const result = await withRepository(quietContext, f.repo, (repo) => check(quietContext, repo, { readData: { subsetPercent: 100 } }));
    assert.deepEqual(result.errors, []);
  });
});
