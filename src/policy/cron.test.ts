/**
 * Cron schedules as a user checks them — the runs that come next: ranges, lists, steps, names,
 * day-of-month/day-of-week semantics, months without the day, leap days, macros, hourly runs across
 * daylight-saving changes — and the one-line errors for expressions that are wrong or never run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../core/errors.ts';
import { nextRunAt, parseSchedule } from './schedule.ts';

const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z');

function runs(cron: string, timezone: string, after: string, count: number): string[] {
  const schedule = parseSchedule({ cron, timezone });
  const out: string[] = [];
  let t = Date.parse(after);
  for (let i = 0; i < count; i++) out.push(iso((t = nextRunAt(schedule, t))));
  return out;
}

describe('cron: the runs that come next', () => {
  const cases: { name: string; cron: string; timezone?: string; after: string; expected: string[] }[] = [
    { name: 'every 15 minutes', cron: '*/15 * * * *', after: '2026-05-01T10:07:00Z', expected: ['2026-05-01T10:15Z', '2026-05-01T10:30Z', '2026-05-01T10:45Z', '2026-05-01T11:00Z'] },
    { name: 'a step from an offset (a/n runs from a to the end)', cron: '5/20 * * * *', after: '2026-05-01T10:00:00Z', expected: ['2026-05-01T10:05Z', '2026-05-01T10:25Z', '2026-05-01T10:45Z', '2026-05-01T11:05Z'] },
    { name: 'lists and ranges with a step', cron: '0 1,12-18/3 * * *', after: '2026-05-01T00:00:00Z', expected: ['2026-05-01T01:00Z', '2026-05-01T12:00Z', '2026-05-01T15:00Z', '2026-05-01T18:00Z', '2026-05-02T01:00Z'] },
    { name: 'month and weekday names, any case', cron: '15 9 * jan-Mar MON-FRI', after: '2026-03-27T10:00:00Z', expected: ['2026-03-30T09:15Z', '2026-03-31T09:15Z', '2027-01-01T09:15Z'] },
    { name: 'day-of-week 7 is Sunday, like 0 and SUN', cron: '0 0 * * 7', after: '2026-05-01T00:00:00Z', expected: ['2026-05-03T00:00Z', '2026-05-10T00:00Z'] },
    {
      name: 'day-of-month and day-of-week both restricted: either matches (the 13th, and Fridays)',
      cron: '0 12 13 * FRI',
      after: '2026-03-01T00:00:00Z',
      expected: ['2026-03-06T12:00Z', '2026-03-13T12:00Z', '2026-03-20T12:00Z', '2026-03-27T12:00Z', '2026-04-03T12:00Z', '2026-04-10T12:00Z', '2026-04-13T12:00Z'],
    },
    { name: 'a day-of-month starting with * is combined with AND (odd days that are Fridays)', cron: '0 12 */2 * FRI', after: '2026-03-01T00:00:00Z', expected: ['2026-03-13T12:00Z', '2026-03-27T12:00Z', '2026-04-03T12:00Z', '2026-04-17T12:00Z'] },
    { name: 'day 31 runs only in months that have one', cron: '0 0 31 * *', after: '2026-01-31T01:00:00Z', expected: ['2026-03-31T00:00Z', '2026-05-31T00:00Z', '2026-07-31T00:00Z', '2026-08-31T00:00Z'] },
    { name: '29 February waits for the next leap year', cron: '0 0 29 2 *', after: '2026-01-01T00:00:00Z', expected: ['2028-02-29T00:00Z', '2032-02-29T00:00Z'] },
    { name: '29 February skips 2100, which is not a leap year', cron: '0 0 29 2 *', after: '2096-03-01T00:00:00Z', expected: ['2104-02-29T00:00Z'] },
    { name: '@weekly is Sunday midnight, in the schedule\'s time zone', cron: '@weekly', timezone: 'Europe/Amsterdam', after: '2026-05-01T00:00:00Z', expected: ['2026-05-02T22:00Z', '2026-05-09T22:00Z'] },
    {
      name: 'every hour in New York across fall back: both 01:00s run (the hour field is *)',
      cron: '0 * * * *',
      timezone: 'America/New_York',
      after: '2026-11-01T03:30:00Z',
      expected: ['2026-11-01T04:00Z' /* 00:00 EDT */, '2026-11-01T05:00Z' /* 01:00 EDT */, '2026-11-01T06:00Z' /* 01:00 EST */, '2026-11-01T07:00Z' /* 02:00 EST */],
    },
    {
      name: 'every hour in New York across spring forward: no 02:00, no double run at 03:00',
      cron: '0 * * * *',
      timezone: 'America/New_York',
      after: '2026-03-08T05:30:00Z',
      expected: ['2026-03-08T06:00Z' /* 01:00 EST */, '2026-03-08T07:00Z' /* 03:00 EDT */, '2026-03-08T08:00Z' /* 04:00 EDT */],
    },
    {
      name: 'twice an hour in Amsterdam across fall back: the repeated hour runs twice',
      cron: '0,30 * * * *',
      timezone: 'Europe/Amsterdam',
      after: '2026-10-25T00:10:00Z',
      expected: ['2026-10-25T00:30Z' /* 02:30 CEST */, '2026-10-25T01:00Z' /* 02:00 CET */, '2026-10-25T01:30Z' /* 02:30 CET */, '2026-10-25T02:00Z' /* 03:00 CET */],
    },
    {
      name: 'a fixed hour in Amsterdam across fall back runs once',
      cron: '30 2 * * *',
      timezone: 'Europe/Amsterdam',
      after: '2026-10-24T12:00:00Z',
      expected: ['2026-10-25T00:30Z' /* 02:30 CEST */, '2026-10-26T01:30Z' /* 02:30 CET */],
    },
    {
      name: 'times in the skipped hour run once, at the jump',
      cron: '0,30 2 * * *',
      timezone: 'Europe/Amsterdam',
      after: '2026-03-28T12:00:00Z',
      expected: ['2026-03-29T01:00Z' /* 03:00 CEST */, '2026-03-30T00:00Z' /* 02:00 CEST */, '2026-03-30T00:30Z'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(runs(c.cron, c.timezone ?? 'UTC', c.after, c.expected.length), c.expected);
    });
  }
});

describe('cron: bad expressions', () => {
  const SHAPE = 'write five fields (minute hour day-of-month month day-of-week), e.g. "30 2 * * *" for 02:30 every day or "0 * * * *" for every hour';
  const bad: [string, string][] = [
    ['61 * * * *', `"61 * * * *" has minute 61, out of range 0-59: ${SHAPE}`],
    ['* * * *', `"* * * *" has 4 fields: ${SHAPE}`],
    ['0 0 * * * *', `"0 0 * * * *" has 6 fields (seconds or a year are not supported): ${SHAPE}`],
    ['0 0 * * 8', `"0 0 * * 8" has day-of-week 8, out of range 0-7: ${SHAPE}`],
    ['0 0 0 * *', `"0 0 0 * *" has day-of-month 0, out of range 1-31: ${SHAPE}`],
    ['*/0 * * * *', `"*/0 * * * *" has an invalid step "/0" in the minute field (a step is a whole number of 1 or more): ${SHAPE}`],
    ['0 5-1 * * *', `"0 5-1 * * *" has the range "5-1" running backwards in the hour field (write ranges from low to high; split one that wraps around, e.g. 22-23,0-2): ${SHAPE}`],
    ['0 0 * * FUN', `"0 0 * * FUN" has "FUN" in the day-of-week field, which takes numbers 0-7 or a name SUN-SAT: ${SHAPE}`],
    ['0 0 1,,2 * *', `"0 0 1,,2 * *" has an empty item in the day-of-month field "1,,2": ${SHAPE}`],
    ['0 0 30 2 *', '"0 0 30 2 *" never runs: no chosen day-of-month exists in FEB: pick days that exist in the chosen months'],
    ['0 0 31 4,6 *', '"0 0 31 4,6 *" never runs: no chosen day-of-month exists in APR,JUN: pick days that exist in the chosen months'],
    ['@reboot', '"@reboot" runs at start-up, not on a schedule: envsnap runs missed scheduled snapshots at start-up on its own; give a schedule such as "@daily"'],
    ['@often', '"@often" uses the unknown macro @often: use @hourly, @daily, @weekly, @monthly or @yearly, or five fields'],
  ];
  for (const [cron, message] of bad) {
    it(`refuses ${cron}`, () => {
      assert.throws(
        () => parseSchedule({ cron, timezone: 'UTC' }),
        (e) => isEnvsnapError(e, 'CONFIG') && e.message === `schedule.cron: ${message}`,
      );
    });
  }

  it('accepts 30 February when day-of-week also allows days (either field may match)', () => {
    assert.equal(runs('0 0 30 2 MON', 'UTC', '2026-02-01T00:00:00Z', 1)[0], '2026-02-02T00:00Z');
  });
});
