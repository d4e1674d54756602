/**
 * Retention buckets: the period a snapshot falls in for a tier that keeps "one per <every>". A bucket
 * depends on the snapshot's own time only, never on `now`, so as time advances a snapshot stays in
 * the same bucket and repeated retention runs agree with each other (no churn, idempotent).
 *
 * Buckets are aligned to absolute UTC time: hours and days to UTC hours and midnights, weeks to
 * Mondays 00:00 UTC (ISO weeks), months and years to UTC calendar months. Multiples are counted from
 * a fixed origin (the Unix epoch; its first Monday, 1970-01-05, for weeks; January of year 0 for
 * months), so "2w" buckets are fixed fortnights and "3mo" buckets are calendar quarters. Aligned
 * units nest (hours in days in weeks), which keeps the newest of a day also the newest of its hour.
 */
import { DAY_MS, calendarMonths, fixedMs, type Duration } from './duration.ts';

/** 1970-01-05, the first Monday after the Unix epoch (a Thursday). */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/** The index of the bucket of length `every` that `t` (ms since the epoch) falls in. */
export function bucketOf(t: number, every: Duration): number {
  const months = calendarMonths(every);
  if (months !== undefined) {
    const d = new Date(t);
    return Math.floor((d.getUTCFullYear() * 12 + d.getUTCMonth()) / months);
  }
  const ms = fixedMs(every)!;
  return every.unit === 'w' ? Math.floor((t - FIRST_MONDAY_MS) / ms) : Math.floor(t / ms);
}
