/**
 * Schedules with an explicit `after`/`now`: daily, weekly and monthly runs across daylight-saving
 * changes (Europe/Amsterdam, America/New_York, and America/Santiago, whose clocks change at
 * midnight), month ends and leap days; missed runs after the machine was off; and the one-line
 * errors for bad schedules. Expected instants are UTC; comments give the local time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../core/errors.ts';
import { missedRun, nextRunAt, parseSchedule, previousRunAt, type Schedule } from './schedule.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z');

/** The first `count` runs after `after`. */
function runs(schedule: Schedule, after: string, count: number): string[] {
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < count; i++) out.push(iso((t = nextRunAt(schedule, t))));
  return out;
}

const AMS = 'Europe/Amsterdam';
const NY = 'America/New_York';

describe('nextRunAt: frequencies across daylight-saving changes and month ends', () => {
  const cases: { name: string; input: object; after: string; expected: string[] }[] = [
    {
      name: 'daily 02:30 in Amsterdam, spring forward: the skipped 02:30 runs at 03:00 CEST, when the clocks jump',
      input: { frequency: 'daily', at: '02:30', timezone: AMS },
      after: '2026-03-27T12:00:00Z',
      expected: ['2026-03-28T01:30Z' /* 02:30 CET */, '2026-03-29T01:00Z' /* 03:00 CEST */, '2026-03-30T00:30Z' /* 02:30 CEST */],
    },
    {
      name: 'daily 02:30 in Amsterdam, fall back: the repeated 02:30 runs once, in its first pass',
      input: { frequency: 'daily', at: '02:30', timezone: AMS },
      after: '2026-10-24T00:00:00Z',
      expected: ['2026-10-24T00:30Z' /* 02:30 CEST */, '2026-10-25T00:30Z' /* 02:30 CEST, not again at 02:30 CET */, '2026-10-26T01:30Z' /* 02:30 CET */],
    },
    {
      name: 'daily 02:30 in New York, spring forward',
      input: { frequency: 'daily', at: '02:30', timezone: NY },
      after: '2026-03-07T00:00:00Z',
      expected: ['2026-03-07T07:30Z' /* 02:30 EST */, '2026-03-08T07:00Z' /* 03:00 EDT */, '2026-03-09T06:30Z' /* 02:30 EDT */],
    },
    {
      name: 'daily 01:30 in New York, fall back',
      input: { frequency: 'daily', at: '1:30', timezone: NY },
      after: '2026-10-31T00:00:00Z',
      expected: ['2026-10-31T05:30Z' /* 01:30 EDT */, '2026-11-01T05:30Z' /* 01:30 EDT */, '2026-11-02T06:30Z' /* 01:30 EST */],
    },
    {
      name: 'daily 01:30 in New York, asked between the two passes of 01:30: the next is tomorrow',
      input: { frequency: 'daily', at: '01:30', timezone: NY },
      after: '2026-11-01T06:00:00Z',
      expected: ['2026-11-02T06:30Z'],
    },
    {
      name: 'daily 00:30 in Santiago, whose clocks jump from 00:00 to 01:00: runs at the jump',
      input: { frequency: 'daily', at: '00:30', timezone: 'America/Santiago' },
      after: '2026-09-05T00:00:00Z',
      expected: ['2026-09-05T04:30Z' /* 00:30 -04 */, '2026-09-06T04:00Z' /* 01:00 -03 */, '2026-09-07T03:30Z' /* 00:30 -03 */],
    },
    {
      name: 'daily 23:30 in Santiago, whose clocks go back from 24:00 to 23:00: runs once',
      input: { frequency: 'daily', at: '23:30', timezone: 'America/Santiago' },
      after: '2026-04-04T12:00:00Z',
      expected: ['2026-04-05T02:30Z' /* 4 April 23:30 -03, not again at 23:30 -04 */, '2026-04-06T03:30Z' /* 5 April 23:30 -04 */],
    },
    {
      name: 'weekly on Sunday 02:30 in Amsterdam lands on the spring-forward Sunday',
      input: { frequency: 'weekly', weekday: 'Sun', at: '02:30', timezone: AMS },
      after: '2026-03-23T00:00:00Z',
      expected: ['2026-03-29T01:00Z', '2026-04-05T00:30Z'],
    },
    {
      name: 'monthly on day 31 runs on the last day of shorter months',
      input: { frequency: 'monthly', day: 31, at: '03:00', timezone: 'UTC' },
      after: '2026-01-01T00:00:00Z',
      expected: ['2026-01-31T03:00Z', '2026-02-28T03:00Z', '2026-03-31T03:00Z', '2026-04-30T03:00Z', '2026-05-31T03:00Z'],
    },
    {
      name: 'monthly on day 29 runs on 29 February in a leap year, 28 February otherwise',
      input: { frequency: 'monthly', day: 29, at: '12:00', timezone: 'UTC' },
      after: '2027-01-30T00:00:00Z',
      expected: ['2027-02-28T12:00Z', '2027-03-29T12:00Z'],
    },
    {
      name: 'monthly on day 29 in a leap year',
      input: { frequency: 'monthly', day: 29, at: '12:00', timezone: 'UTC' },
      after: '2028-01-30T00:00:00Z',
      expected: ['2028-02-29T12:00Z', '2028-03-29T12:00Z'],
    },
    {
      name: 'monthly on day 31 at 00:15 in Amsterdam: local month ends, not UTC ones',
      input: { frequency: 'monthly', day: 31, at: '00:15', timezone: AMS },
      after: '2026-03-01T00:00:00Z',
      expected: ['2026-03-30T22:15Z' /* 31 March 00:15 CEST */, '2026-04-29T22:15Z' /* 30 April 00:15 CEST */],
    },
    {
      name: 'a run exactly at `after` is not next',
      input: { frequency: 'daily', at: '02:00', timezone: 'UTC' },
      after: '2026-05-01T02:00:00Z',
      expected: ['2026-05-02T02:00Z'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(runs(parseSchedule(c.input), c.after, c.expected.length), c.expected);
    });
  }
});

describe('previousRunAt and missedRun: catching up after the machine was off', () => {
  const daily = parseSchedule({ frequency: 'daily', at: '02:30', timezone: AMS });
  const hourly = parseSchedule({ cron: '0 * * * *', timezone: 'UTC' });

  it('finds the last run at or before an instant, across a daylight-saving change', () => {
    assert.equal(iso(previousRunAt(daily, at('2026-03-29T12:00:00Z'))), '2026-03-29T01:00Z');
    assert.equal(iso(previousRunAt(daily, at('2026-03-29T01:00:00Z'))), '2026-03-29T01:00Z');
    assert.equal(iso(previousRunAt(daily, at('2026-03-29T00:59:00Z'))), '2026-03-28T01:30Z');
    assert.equal(iso(previousRunAt(daily, at('2026-10-25T02:00:00Z'))), '2026-10-25T00:30Z');
  });

  const cases: { name: string; schedule: Schedule; lastRun: string | undefined; now: string; missed: string | undefined }[] = [
    { name: 'off for three days: one catch-up run, the most recent', schedule: daily, lastRun: '2026-03-27T01:30:00Z', now: '2026-03-30T12:00:00Z', missed: '2026-03-30T00:30Z' },
    { name: 'the last run was the most recent one due: nothing missed', schedule: daily, lastRun: '2026-03-30T00:30:00Z', now: '2026-03-30T12:00:00Z', missed: undefined },
    { name: 'the last run started a little late: nothing missed', schedule: hourly, lastRun: '2026-03-30T10:00:02Z', now: '2026-03-30T10:59:59Z', missed: undefined },
    { name: 'a run due exactly now counts as missed', schedule: hourly, lastRun: '2026-03-30T10:00:00Z', now: '2026-03-30T11:00:00Z', missed: '2026-03-30T11:00Z' },
    { name: 'never ran: nothing to catch up', schedule: hourly, lastRun: undefined, now: '2026-03-30T11:30:00Z', missed: undefined },
    { name: 'the clock went back since the last run: nothing missed', schedule: hourly, lastRun: '2026-03-30T15:00:00Z', now: '2026-03-30T11:30:00Z', missed: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = missedRun(c.schedule, c.lastRun === undefined ? undefined : at(c.lastRun), at(c.now));
      assert.equal(got === undefined ? undefined : iso(got), c.missed);
    });
  }

  it('after a catch-up run, the next run is the next one on the schedule', () => {
    assert.equal(iso(nextRunAt(daily, at('2026-03-30T12:00:00Z'))), '2026-03-31T00:30Z');
  });
});

describe('parseSchedule', () => {
  it('normalises what it accepts', () => {
    assert.deepEqual(parseSchedule({ frequency: 'weekly', weekday: 'MON', at: '7:05', timezone: 'europe/amsterdam' }), {
      kind: 'weekly',
      weekday: 'monday',
      at: '07:05',
      timezone: 'Europe/Amsterdam',
    });
    assert.deepEqual(parseSchedule({ cron: ' 0 * * * * ', timezone: 'Etc/UTC' }), { kind: 'cron', cron: '0 * * * *', timezone: 'UTC' });
  });

  const bad: [string, unknown, string][] = [
    ['no time zone', { frequency: 'daily', at: '02:30' }, 'schedule.timezone: missing: add the IANA time zone the schedule runs in, e.g. timezone: Europe/Amsterdam (or UTC)'],
    [
      'an unknown time zone',
      { frequency: 'daily', at: '02:30', timezone: 'Europe/Amsterdm' },
      'schedule.timezone: "Europe/Amsterdm" is not a known time zone: use an IANA time zone name such as Europe/Amsterdam, America/New_York or UTC',
    ],
    [
      'a fixed offset',
      { frequency: 'daily', at: '02:30', timezone: '+02:00' },
      'schedule.timezone: "+02:00" is a fixed offset, not a time zone: use an IANA time zone name such as Europe/Amsterdam, America/New_York or UTC (Etc/GMT-2 is a fixed UTC+2)',
    ],
    [
      'an unknown frequency',
      { frequency: 'hourly', at: '00:00', timezone: 'UTC' },
      'schedule.frequency: "hourly" is not one of daily, weekly, monthly: for other rhythms use cron, e.g. cron: "0 * * * *" for every hour',
    ],
    ['no frequency or cron', { timezone: 'UTC' }, 'schedule: has neither frequency nor cron: add frequency: daily, weekly or monthly with at: "HH:MM", or cron: "<five fields>"'],
    ['no start time', { frequency: 'daily', timezone: 'UTC' }, 'schedule.at: missing: add the local start time, e.g. at: "02:30"'],
    ['a time past 23:59', { frequency: 'daily', at: '24:00', timezone: 'UTC' }, 'schedule.at: "24:00" is not a time of day: write "HH:MM" in 24-hour time, in quotes, e.g. at: "02:30"'],
    ['a time as a number (unquoted YAML 1.1 02:30)', { frequency: 'daily', at: 150, timezone: 'UTC' }, 'schedule.at: 150 is not a time of day: write "HH:MM" in 24-hour time, in quotes, e.g. at: "02:30"'],
    ['weekly without a weekday', { frequency: 'weekly', at: '02:00', timezone: 'UTC' }, 'schedule.weekday: missing: weekly schedules need the day, e.g. weekday: sunday'],
    ['an unknown weekday', { frequency: 'weekly', weekday: 'funday', at: '02:00', timezone: 'UTC' }, 'schedule.weekday: "funday" is not a day of the week: use monday … sunday (or mon … sun)'],
    ['a weekday on a daily schedule', { frequency: 'daily', weekday: 'monday', at: '02:00', timezone: 'UTC' }, 'schedule.weekday: is only used with frequency: weekly: remove it'],
    ['monthly on day 32', { frequency: 'monthly', day: 32, at: '02:00', timezone: 'UTC' }, 'schedule.day: 32 is not a day of the month: use 1 to 31 (29, 30 and 31 run on the last day of shorter months)'],
    ['monthly without a day', { frequency: 'monthly', at: '02:00', timezone: 'UTC' }, 'schedule.day: missing: monthly schedules need the day of the month, e.g. day: 1'],
    ['both cron and frequency', { frequency: 'daily', at: '02:00', cron: '0 2 * * *', timezone: 'UTC' }, 'schedule.cron: is set together with frequency: keep one of them'],
    ['a start time with cron', { cron: '0 2 * * *', at: '02:00', timezone: 'UTC' }, 'schedule.at: is not used with cron: remove it (the cron expression holds the time)'],
    ['an unknown key', { frequency: 'daily', at: '02:00', timezone: 'UTC', every: 2 }, 'schedule.every: unknown key: remove it or fix its spelling (allowed here: frequency, at, weekday, day, cron, timezone)'],
    ['not a mapping', 'daily', 'schedule: expected a mapping: frequency (daily, weekly or monthly) with at, or cron, and timezone'],
  ];
  for (const [name, input, message] of bad) {
    it(`refuses ${name} with a one-line CONFIG error`, () => {
      assert.throws(
        () => parseSchedule(input, 'schedule'),
        (e) => isEnvsnapError(e, 'CONFIG') && e.message === message,
      );
    });
  }

  it('names the key it was given', () => {
    assert.throws(
      () => parseSchedule({ frequency: 'daily', at: '02:30', timezone: 'Mars/Olympus' }, 'environments.production.policy.automatic.schedule'),
      (e) => isEnvsnapError(e, 'CONFIG') && e.message.startsWith('environments.production.policy.automatic.schedule.timezone: "Mars/Olympus" is not a known time zone'),
    );
  });
});
