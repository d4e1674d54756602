/**
 * Schedules and retention through the API: an admin adds and removes a schedule (envsnap.yaml is
 * changed with its comments kept, and the next listing shows it), a contributor may only look, bad
 * schedules are a 400 that changes nothing, and an environment whose plan takes no automatic
 * snapshots refuses one with the policy's reason.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverFixture, type ServerFixture } from '../testing/server-fixture.ts';

describe('API schedules and retention', () => {
  let f: ServerFixture;
  let config: string;
  before(async () => {
    f = await serverFixture();
    config = join(f.dir, 'envsnap.yaml');
  });
  after(() => f.dispose());

  it('shows the policy with its origins; a starter environment takes no automatic snapshots and says why', async () => {
    const r = await f.request('GET', '/environments/production/schedules', { token: f.tokens['viewer-prod'] });
    assert.equal(r.status, 200);
    assert.equal(r.body.automatic.enabled, false);
    assert.match(r.body.automatic.reason, /starter/);
    assert.deepEqual(r.body.schedules, []);
    const keep = r.body.policy.find((l: { key: string }) => l.key === 'manual.keep_within');
    assert.equal(keep.value, '7d');
    assert.match(keep.origin, /preset/);
    const put = await f.request('PUT', '/environments/production/schedules/nightly', { token: f.tokens.admin, body: { schedule: { frequency: 'daily', at: '02:30', timezone: 'UTC' } } });
    assert.equal(put.status, 403);
    assert.match(put.body.error.message, /automatic/);
  });

  it('an admin sets and removes a schedule: envsnap.yaml changes (comments kept) and the listing follows', async () => {
    // Let staging take automatic snapshots, with a comment that must survive the edits.
    const text = await readFile(config, 'utf8');
    await writeFile(config, `# the shop's environments\n${text.replace('  staging:\n', '  staging:\n    policy: { automatic: { enabled: true } }\n')}`);
    // The server reads the file again on each change; start from a fresh fixture view of it.
    const put = await f.request('PUT', '/environments/staging/schedules/nightly', { token: f.tokens['admin-staging'], body: { schedule: { frequency: 'daily', at: '2:30', timezone: 'Europe/Amsterdam' }, live: true, type: 'db' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.schedules.map((x: Record<string, unknown>) => [x.id, x.schedule, x.timezone, x.live, x.type, x.enabled]), [['nightly', 'daily at 02:30', 'Europe/Amsterdam', true, 'db', true]]);
    assert.ok(Date.parse(put.body.schedules[0].nextRun) > Date.now());
    const written = await readFile(config, 'utf8');
    assert.ok(written.startsWith("# the shop's environments\n"), written);
    assert.match(written, /id: nightly/);
    assert.match(written, /at: "?02:30"?/);

    // A system run without pub/media: written as exclude_media, listed with excludeMedia.
    const noMedia = await f.request('PUT', '/environments/staging/schedules/no-media', { token: f.tokens.admin, body: { schedule: { frequency: 'daily', at: '03:00', timezone: 'UTC' }, excludeMedia: true } });
    assert.equal(noMedia.status, 200, JSON.stringify(noMedia.body));
    assert.deepEqual(noMedia.body.schedules.map((x: Record<string, unknown>) => [x.id, x.type, x.excludeMedia]), [['nightly', 'db', undefined], ['no-media', 'system', true]]);
    assert.match(await readFile(config, 'utf8'), /exclude_media: true/);
    assert.equal((await f.request('DELETE', '/environments/staging/schedules/no-media', { token: f.tokens.admin })).status, 200);
    assert.equal(await readFile(config, 'utf8'), written, 'removing it leaves the file as it was');

    const denied = await f.request('PUT', '/environments/staging/schedules/other', { token: f.tokens['contrib-prod'], body: { schedule: { cron: '0 3 * * *', timezone: 'UTC' } } });
    assert.equal(denied.status, 403);

    const bad = await f.request('PUT', '/environments/staging/schedules/weekly', { token: f.tokens.admin, body: { schedule: { frequency: 'weekly', weekday: 'someday', at: '04:00', timezone: 'Mars/Olympus' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /schedule/);
    assert.equal(await readFile(config, 'utf8'), written, 'a refused schedule changes nothing');

    const del = await f.request('DELETE', '/environments/staging/schedules/nightly', { token: f.tokens.admin });
    assert.equal(del.status, 200);
    assert.deepEqual(del.body.schedules, []);
    assert.equal((await f.request('DELETE', '/environments/staging/schedules/nightly', { token: f.tokens.admin })).status, 404);
    const audit = (await f.request('GET', '/audit', { token: f.tokens.admin })).body as { action: string; outcome: string; user: string }[];
    assert.ok(audit.some((e) => e.action === 'schedule.set' && e.outcome === 'ok' && e.user === 'admin-staging'));
    assert.ok(audit.some((e) => e.action === 'schedule.set' && e.outcome === 'denied' && e.user === 'contrib-prod'));
  });

  it('an admin changes the retention policy; a bad value is a 400 naming the key and changes nothing; null falls back', async () => {
    const before = await readFile(config, 'utf8');
    const set = await f.request('PUT', '/environments/production/policy', { token: f.tokens.admin, body: { manual: { keep_within: '14d', max_count: 3 } } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const line = (key: string) => set.body.policy.find((l: { key: string }) => l.key === key);
    assert.equal(line('manual.keep_within').value, '14d');
    assert.equal(line('manual.max_count').value, '3');
    assert.doesNotMatch(line('manual.keep_within').origin, /preset/);
    const written = await readFile(config, 'utf8');
    assert.notEqual(written, before);
    assert.match(written, /keep_within: 14d/);

    const bad = await f.request('PUT', '/environments/production/policy', { token: f.tokens.admin, body: { manual: { keep_within: 'fortnight' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /keep_within/);
    assert.equal(await readFile(config, 'utf8'), written, 'nothing written');

    assert.equal((await f.request('PUT', '/environments/production/policy', { token: f.tokens['contrib-prod'], body: { manual: { max_count: 1 } } })).status, 403);
    assert.equal((await f.request('PUT', '/environments/production/policy', { token: f.tokens.admin, raw: '{"manual": {"keep_within": "1d"}, "delete_everything": true}' })).status, 400);

    const back = await f.request('PUT', '/environments/production/policy', { token: f.tokens.admin, body: { manual: { keep_within: null, max_count: null } } });
    assert.equal(back.status, 200);
    assert.equal(back.body.policy.find((l: { key: string }) => l.key === 'manual.keep_within').value, '7d');
    assert.match(back.body.policy.find((l: { key: string }) => l.key === 'manual.keep_within').origin, /preset/);
  });
});
