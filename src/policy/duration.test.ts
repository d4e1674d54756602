/**
 * Durations and retention buckets, table-driven: calendar months at month ends and in leap years
 * (a later snapshot never ages past a boundary before an earlier one), and which bucket a snapshot
 * falls in (UTC hours and days, ISO weeks from Monday, fixed fortnights, calendar months and quarters).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketOf } from './bucket.ts';
import { addDuration, durationProblem, toDuration } from './duration.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z');

describe('addDuration', () => {
  const cases: [string, string, string][] = [
    ['2026-03-10T14:00:00Z', '3mo', '2026-06-10T14:00Z'],
    ['2026-01-28T21:00:00Z', '1mo', '2026-02-28T21:00Z'],
    // No 31 February: the end of February, which is after 28 February 21:00 above.
    ['2026-01-31T01:00:00Z', '1mo', '2026-03-01T00:00Z'],
    ['2028-01-29T10:00:00Z', '1mo', '2028-02-29T10:00Z'],
    ['2028-01-30T10:00:00Z', '1mo', '2028-03-01T00:00Z'],
    ['2028-02-29T10:00:00Z', '1y', '2029-03-01T00:00Z'],
    ['2026-10-31T10:00:00Z', '4mo', '2027-03-01T00:00Z'],
    ['2026-03-28T12:00:00Z', '1d', '2026-03-29T12:00Z'],
    ['2026-03-28T12:00:00Z', '36h', '2026-03-30T00:00Z'],
    ['2026-03-28T12:00:00Z', '90min', '2026-03-28T13:30Z'],
  ];
  for (const [from, duration, expected] of cases) {
    it(`${from} + ${duration} = ${expected}`, () => {
      assert.equal(iso(addDuration(at(from), toDuration(duration))), expected);
    });
  }

  it('never puts a later time before an earlier one (every hour of January + 1mo)', () => {
    let previous = -Infinity;
    for (let t = at('2028-01-01T00:00:00Z'); t < at('2028-02-01T00:00:00Z'); t += 3_600_000) {
      const later = addDuration(t, toDuration('1mo'));
      assert.ok(later >= previous, iso(t));
      previous = later;
    }
  });

  it('accepts whole numbers with a unit, in any case', () => {
    assert.deepEqual(toDuration('36H'), { amount: 36, unit: 'h' });
    assert.equal(durationProblem(' 2w '), undefined);
    assert.match(durationProblem('-1d')!.message, /is not a duration/);
    assert.match(durationProblem(7)!.message, /^expected a duration in quotes or as plain text, got a bare number: /);
  });
});

describe('bucketOf', () => {
  const same: [string, string, string, boolean][] = [
    ['1h', '2026-06-10T10:00:00Z', '2026-06-10T10:59:59Z', true],
    ['1h', '2026-06-10T10:59:59Z', '2026-06-10T11:00:00Z', false],
    ['1d', '2026-06-10T00:00:00Z', '2026-06-10T23:59:59Z', true],
    // ISO weeks: Monday 8 June to Sunday 14 June 2026.
    ['1w', '2026-06-08T00:00:00Z', '2026-06-14T23:59:59Z', true],
    ['1w', '2026-06-07T23:59:59Z', '2026-06-08T00:00:00Z', false],
    // Fortnights are fixed pairs of ISO weeks, whatever `now` is.
    ['2w', '2026-04-27T00:00:00Z', '2026-05-10T23:59:59Z', true],
    ['2w', '2026-05-10T23:59:59Z', '2026-05-11T00:00:00Z', false],
    ['1mo', '2026-02-01T00:00:00Z', '2026-02-28T23:59:59Z', true],
    ['1mo', '2026-02-28T23:59:59Z', '2026-03-01T00:00:00Z', false],
    // 3mo buckets are calendar quarters.
    ['3mo', '2026-04-01T00:00:00Z', '2026-06-30T23:59:59Z', true],
    ['3mo', '2026-03-31T23:59:59Z', '2026-04-01T00:00:00Z', false],
    ['1y', '2026-01-01T00:00:00Z', '2026-12-31T23:59:59Z', true],
  ];
  for (const [every, a, b, expected] of same) {
    it(`${every}: ${a} and ${b} ${expected ? 'share' : 'do not share'} a bucket`, () => {
      assert.equal(bucketOf(at(a), toDuration(every)) === bucketOf(at(b), toDuration(every)), expected);
    });
  }
});
