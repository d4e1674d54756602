/** The `schedules:` key of an environment in envsnap.yaml, and how it combines with policy.automatic (scheduler/schedules.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../core/errors.ts';
import { automaticRefusal, scheduledRuns } from '../scheduler/schedules.ts';
import { parseProjectConfig } from './project-config.ts';

const FILE = '/srv/shop/envsnap.yaml';

const config = (envExtra: string, plan = 'pro') => `project: shop
repository: repo
environments:
  production:
    type: production
    plan: ${plan}
    root: /var/www/shop
${envExtra
  .split('\n')
  .filter(Boolean)
  .map((l) => `    ${l}`)
  .join('\n')}
`;

const parse = (text: string) => parseProjectConfig(text, FILE);

function fails(text: string, ...patterns: RegExp[]): void {
  assert.throws(
    () => parse(text),
    (e: unknown) => {
      assert.ok(isEnvsnapError(e, 'CONFIG'), `expected CONFIG, got ${String(e)}`);
      assert.ok(!e.message.includes('\n'), e.message);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    },
  );
}

describe('environments.X.schedules', () => {
  it('parses the list with defaults (id default, live false, backup_type system, exclude_media false)', () => {
    const env = parse(
      config(`schedules:
  - { frequency: daily, at: "2:30", timezone: Europe/Amsterdam }
  - { id: weekly-db, frequency: weekly, weekday: sun, at: "04:00", timezone: UTC, live: true, backup_type: db }
  - { id: hourly, cron: "0 * * * *", timezone: UTC, backup_type: db-media }
  - { id: no-media, frequency: daily, at: "03:00", timezone: UTC, exclude_media: true }`),
    ).environments.get('production')!;
    assert.deepEqual(env.schedules, [
      { id: 'default', schedule: { kind: 'daily', at: '02:30', timezone: 'Europe/Amsterdam' }, live: false, backupType: 'system', excludeMedia: false },
      { id: 'weekly-db', schedule: { kind: 'weekly', weekday: 'sunday', at: '04:00', timezone: 'UTC' }, live: true, backupType: 'db', excludeMedia: false },
      { id: 'hourly', schedule: { kind: 'cron', cron: '0 * * * *', timezone: 'UTC' }, live: false, backupType: 'db-media', excludeMedia: false },
      { id: 'no-media', schedule: { kind: 'daily', at: '03:00', timezone: 'UTC' }, live: false, backupType: 'system', excludeMedia: true },
    ]);
    assert.deepEqual(
      scheduledRuns(env).map((r) => [r.id, r.source, r.backupType, r.excludeMedia]),
      [['default', 'schedules', 'system', false], ['weekly-db', 'schedules', 'db', false], ['hourly', 'schedules', 'db-media', false], ['no-media', 'schedules', 'system', true]],
    );
  });

  it('without schedules:, the policy schedule is the one run (id policy); with an empty list, none', () => {
    const env = parse(config('')).environments.get('production')!;
    assert.equal(env.schedules, undefined);
    assert.deepEqual(scheduledRuns(env), [{ env: 'production', id: 'policy', schedule: { kind: 'cron', cron: '0 * * * *', timezone: 'UTC' }, live: true, backupType: 'system', source: 'policy' }]);
    assert.deepEqual(scheduledRuns(parse(config('schedules: []')).environments.get('production')!), []);
  });

  it('the policy run takes the policy\'s backup_type as it is: one vocabulary (system, db-media, db) for both', () => {
    for (const type of ['system', 'db-media', 'db']) {
      const env = parse(config(`policy: { automatic: { backup_type: ${type} } }`)).environments.get('production')!;
      assert.deepEqual(scheduledRuns(env).map((r) => [r.id, r.backupType, r.source]), [['policy', type, 'policy']]);
    }
  });

  it('schedules nothing when automatic snapshots are off, and says how to turn them on', () => {
    const env = parse(config('schedules: [{ frequency: daily, at: "02:30", timezone: UTC }]', 'starter')).environments.get('production')!;
    assert.deepEqual(scheduledRuns(env), []);
    assert.match(automaticRefusal(env)!, /does not take automatic snapshots \(starter plan, production environment; automatic.enabled is false: preset \(starter\/production\)\): set policy: \{ automatic: \{ enabled: true \} \}/);
    assert.equal(automaticRefusal(parse(config('')).environments.get('production')!), undefined);
  });

  it('rejects bad entries with one line naming the key', () => {
    fails(config('schedules: [{ frequency: daily, at: "25:00", timezone: UTC }]'), /line 8: environments\.production\.schedules\[0\]\.at: "25:00" is not a time of day/);
    fails(config('schedules: [{ frequency: daily, at: "02:30", timezone: Mars/Olympus }]'), /schedules\[0\]\.timezone: "Mars\/Olympus" is not a known time zone/);
    fails(config('schedules: [{ cron: "61 * * * *", timezone: UTC }]'), /schedules\[0\]\.cron: /);
    fails(config('schedules: [{ frequency: daily, at: "02:30" }]'), /schedules\[0\]\.timezone: missing/);
    fails(config('schedules: [{ frequency: daily, at: "02:30", timezone: UTC, backup_type: full }]'), /schedules\[0\]\.backup_type: invalid value "full": use one of system, db-media, db/);
    fails(config('policy: { automatic: { backup_type: full } }'), /line 8: environments\.production\.policy\.automatic\.backup_type: invalid value "full": use one of system, db-media, db$/);
    fails(config('policy: { automatic: { backup_type: files } }'), /line 8: environments\.production\.policy\.automatic\.backup_type: invalid value "files": use one of system, db-media, db$/);
    fails(config('schedules: [{ frequency: daily, at: "02:30", timezone: UTC, liv: true }]'), /schedules\[0\]\.liv: unknown key: remove it or fix its spelling \(allowed here: id, frequency, at, weekday, day, cron, timezone, live, backup_type, exclude_media\)/);
    fails(config('schedules: [{ frequency: daily, at: "02:30", timezone: UTC, backup_type: db, exclude_media: true }]'), /schedules\[0\]\.exclude_media: exclude_media applies to backup_type system only, not db: remove exclude_media, or set backup_type: system/);
    fails(config('schedules: [{ id: "Bad Id", frequency: daily, at: "02:30", timezone: UTC }]'), /schedules\[0\]\.id: /);
    fails(config('schedules: { frequency: daily, at: "02:30", timezone: UTC }'), /environments\.production\.schedules: expected a list/);
  });

  it('rejects duplicate ids, counting a missing id as default', () => {
    fails(config('schedules: [{ id: a, frequency: daily, at: "02:30", timezone: UTC }, { id: a, cron: "0 * * * *", timezone: UTC }]'), /schedules\[1\]\.id: schedule id a is used twice: give each schedule of the environment its own id/);
    fails(config('schedules: [{ frequency: daily, at: "02:30", timezone: UTC }, { cron: "0 * * * *", timezone: UTC }]'), /schedule id default is used twice \(a schedule without id is "default"\)/);
  });
});
