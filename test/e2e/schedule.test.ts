/**
 * End to end, through the real CLI: schedule:set / schedule:list / schedule:remove edit the
 * environment's schedules: list in envsnap.yaml (comments and other settings kept), show next runs
 * and the last result from the run history, and refuse bad input with one error line, writing nothing.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { loadProjectConfig } from '../../src/config/project-config.ts';
import { oneErrorLine, runCli, runJson, runOk, tempDir } from './helpers.ts';

const CONFIG = `# the shop's environments
project: shop
repository: .envsnap/repo   # beside this file
environments:
  # live shop: Pro takes automatic snapshots
  production:
    type: production
    plan: pro
    root: .
  staging:
    type: staging
    plan: starter   # no automatic snapshots
    root: .
`;

async function setup(t: TestContext) {
  const dir = await tempDir(t);
  const config = join(dir, 'envsnap.yaml');
  await writeFile(config, CONFIG);
  return { dir, config };
}

describe('schedule:set, schedule:list, schedule:remove', () => {
  it('edits envsnap.yaml keeping comments, lists next and last runs, and removes', async (t) => {
    const { dir, config } = await setup(t);
    const r1 = await runOk(['-e', 'production', 'schedule:set', '--daily', '--at', '2:30', '--timezone', 'Europe/Amsterdam', '--id', 'nightly'], { cwd: dir });
    assert.match(r1.stdout, /^added schedule nightly of production in .*envsnap.yaml: daily at 02:30 in Europe\/Amsterdam, maintenance mode, system; next run \d{4}-\d\d-\d\d 02:30 CES?T/);
    assert.match(r1.stdout, /note: the schedules list replaces policy.automatic.schedule \(cron "0 \* \* \* \*" in UTC\) for production/);
    await runOk(['-e', 'production', 'schedule:set', '--weekly', 'sun', '--at', '04:00', '--timezone', 'UTC', '--live', '--type', 'db', '--id', 'weekly'], { cwd: dir });

    // A comment the user adds inside the list survives a replace.
    let text = await readFile(config, 'utf8');
    for (const c of ["# the shop's environments", '# beside this file', '# live shop: Pro takes automatic snapshots', '# no automatic snapshots']) assert.ok(text.includes(c), `comment ${c} lost:\n${text}`);
    text = text.replace(/(\n\s*)(- \{id: nightly)/, '$1# keep nightly before the weekly one$1$2');
    assert.ok(text.includes('# keep nightly'), text);
    await writeFile(config, text);
    const r2 = await runOk(['-e', 'production', 'schedule:set', '--daily', '--at', '03:15', '--timezone', 'Europe/Amsterdam', '--id', 'nightly'], { cwd: dir });
    assert.match(r2.stdout, /^replaced schedule nightly of production/);
    text = await readFile(config, 'utf8');
    assert.ok(text.includes('# keep nightly before the weekly one'), text);
    assert.ok(text.includes("# the shop's environments"), text);

    const env = (await loadProjectConfig({ cwd: dir })).environments.get('production')!;
    assert.deepEqual(env.schedules, [
      { id: 'nightly', schedule: { kind: 'daily', at: '03:15', timezone: 'Europe/Amsterdam' }, live: false, backupType: 'system', excludeMedia: false },
      { id: 'weekly', schedule: { kind: 'weekly', weekday: 'sunday', at: '04:00', timezone: 'UTC' }, live: true, backupType: 'db', excludeMedia: false },
    ]);

    // The run history the scheduler writes is shown as the last run.
    await mkdir(join(dir, '.envsnap', 'state'), { recursive: true });
    const start = Date.UTC(2026, 5, 2, 1, 15);
    await writeFile(
      join(dir, '.envsnap', 'state', 'schedules.json'),
      JSON.stringify({ version: 1, runs: { 'production/nightly': { lastScheduled: start, lastStart: start, lastEnd: start + 60_000, result: 'ok', snapshotId: 'abcdef0123456789', attempts: 2 } } }),
    );
    const rows = await runJson<any[]>(['schedule:list', '--json'], { cwd: dir });
    assert.deepEqual(
      rows.map((r) => [r.environment, r.id, r.schedule, r.timezone, r.live, r.type, r.enabled]),
      [
        ['production', 'nightly', 'daily at 03:15', 'Europe/Amsterdam', false, 'system', true],
        ['production', 'weekly', 'weekly on Sunday at 04:00', 'UTC', true, 'db', true],
      ],
    );
    assert.ok(Date.parse(rows[0].nextRun) > Date.now() - 60_000);
    assert.equal(rows[0].last.result, 'ok');
    assert.equal(rows[0].last.lastStart, '2026-06-02T01:15:00.000Z');
    const list = await runOk(['schedule:list'], { cwd: dir });
    assert.match(list.stdout, /Environment\s+ID\s+Schedule\s+Time zone\s+Mode\s+Type\s+Next run\s+Last run\s+Result/);
    assert.match(list.stdout, /production\s+nightly\s+daily at 03:15\s+Europe\/Amsterdam\s+maintenance\s+system\s+\S+ 03:15 CES?T\s+2026-06-02 03:15 CEST\s+ok abcdef01 \(attempt 2\)/);
    assert.match(list.stdout, /production\s+weekly\s+weekly on Sunday at 04:00\s+UTC\s+live\s+db\s+\S+ 04:00 UTC\s+-\s+-/);

    const r3 = await runOk(['-e', 'production', 'schedule:remove', 'weekly'], { cwd: dir });
    assert.match(r3.stdout, /^removed schedule weekly of production/);
    assert.deepEqual(
      (await runJson<any[]>(['-e', 'production', 'schedule:list', '--json'], { cwd: dir })).map((r) => r.id),
      ['nightly'],
    );
    assert.ok((await readFile(config, 'utf8')).includes('# keep nightly before the weekly one'));
  });

  it('--exclude-media writes exclude_media: true, listed as type "system (no media)"', async (t) => {
    const { dir, config } = await setup(t);
    const set = await runOk(['-e', 'production', 'schedule:set', '--daily', '--at', '01:00', '--timezone', 'UTC', '--exclude-media', '--id', 'no-media'], { cwd: dir });
    assert.match(set.stdout, /^added schedule no-media of production in .*: daily at 01:00 in UTC, maintenance mode, system \(no media\); next run/);
    assert.match(await readFile(config, 'utf8'), /exclude_media: true/);
    const env = (await loadProjectConfig({ cwd: dir })).environments.get('production')!;
    assert.deepEqual(env.schedules!.map((s) => [s.id, s.backupType, s.excludeMedia]), [['no-media', 'system', true]]);
    const rows = await runJson<any[]>(['schedule:list'], { cwd: dir });
    assert.deepEqual(rows.map((r) => [r.id, r.type, r.excludeMedia]), [['no-media', 'system', true]]);
    assert.match((await runOk(['schedule:list'], { cwd: dir })).stdout, /production\s+no-media\s+daily at 01:00\s+UTC\s+maintenance\s+system \(no media\)\s/);
  });

  it('refuses bad input with one error line and writes nothing', async (t) => {
    const { dir, config } = await setup(t);
    const cases: [string[], number, RegExp][] = [
      [['-e', 'production', 'schedule:set', '--daily', '--at', '25:00', '--timezone', 'UTC'], 1, /--at: "25:00" is not a time of day/],
      [['-e', 'production', 'schedule:set', '--daily', '--timezone', 'UTC'], 1, /--at: missing/],
      [['-e', 'production', 'schedule:set', '--daily', '--at', '02:30', '--timezone', 'Mars/Olympus'], 1, /--timezone: "Mars\/Olympus" is not a known time zone/],
      [['-e', 'production', 'schedule:set', '--cron', '61 * * * *', '--timezone', 'UTC'], 1, /--cron: /],
      [['-e', 'production', 'schedule:set', '--weekly', 'someday', '--at', '02:30', '--timezone', 'UTC'], 1, /--weekly: "someday" is not a day of the week/],
      [['-e', 'production', 'schedule:set', '--monthly', '32', '--at', '02:30', '--timezone', 'UTC'], 1, /--monthly: 32 is not a day of the month/],
      [['-e', 'production', 'schedule:set', '--daily', '--cron', '0 * * * *', '--timezone', 'UTC'], 1, /--daily and --cron are given together/],
      [['-e', 'production', 'schedule:set', '--daily', '--at', '02:30', '--timezone', 'UTC', '--id', 'Bad Id'], 1, /--id: invalid schedule id "Bad Id"/],
      [['-e', 'nosuch', 'schedule:set', '--daily', '--at', '02:30', '--timezone', 'UTC'], 1, /no environment nosuch in .* \(it has production, staging\)/],
      [['-e', 'staging', 'schedule:set', '--daily', '--at', '02:30', '--timezone', 'UTC'], 24, /environment staging does not take automatic snapshots \(starter plan, staging environment; .*\): set policy: \{ automatic: \{ enabled: true \} \} under environments.staging/],
      [['-e', 'production', 'schedule:set', '--daily', '--at', '02:30', '--timezone', 'UTC', '--type', 'db-media'], 1, /pub\/media/],
      [['-e', 'production', 'schedule:set', '--daily', '--at', '02:30', '--timezone', 'UTC', '--type', 'db', '--exclude-media'], 1, /--exclude-media applies to --type system only/],
      [['-e', 'production', 'schedule:remove', 'nightly'], 1, /no schedule nightly in environment production \(it has no schedules: list\)/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(oneErrorLine(r), pattern, args.join(' '));
      assert.equal(await readFile(config, 'utf8'), CONFIG, `${args.join(' ')} changed the file`);
    }
  });
});
