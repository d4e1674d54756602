/**
 * Durations as users write them in envsnap.yaml: a whole number and a unit ("90min", "36h", "7d",
 * "2w", "3mo", "1y"). Minutes, hours, days and weeks are fixed lengths: retention works in UTC,
 * where every day has 24 hours. Months and years are calendar months: 3mo after 10 March 14:00 is
 * 10 June 14:00 however long those months are. When the target month is too short for the day,
 * the result is the end of that month (the first instant of the next): 31 January + 1mo is
 * 1 March 00:00. Clamping to the month's last day at the same time of day instead would let a later
 * snapshot (30 January 01:00 → 28 February 01:00) age past a boundary before an earlier one
 * (28 January 21:00 → 28 February 21:00); this way a later time never comes out earlier.
 */
import type { Problem } from './problem.ts';

export const DURATION_UNITS = ['min', 'h', 'd', 'w', 'mo', 'y'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

export interface Duration {
  readonly amount: number;
  readonly unit: DurationUnit;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

const FIXED_MS: Record<DurationUnit, number | undefined> = { min: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: WEEK_MS, mo: undefined, y: undefined };

const EXAMPLES = 'write a whole number and a unit, e.g. 36h, 7d, 2w or 3mo (units: min, h, d, w, mo, y)';

/** What is wrong with `value` as a duration, or undefined when it is one. */
export function durationProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return { path: [], message: `expected a duration in quotes or as plain text, got ${typeof value === 'number' ? 'a bare number' : `a ${typeof value}`}: ${EXAMPLES}` };
  const m = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(value);
  if (!m) return { path: [], message: `${JSON.stringify(value)} is not a duration: ${EXAMPLES}` };
  const unit = m[2].toLowerCase();
  if (unit === 'm') return { path: [], message: `${JSON.stringify(value)} is ambiguous: write ${m[1]}min for minutes or ${m[1]}mo for months` };
  if (!(DURATION_UNITS as readonly string[]).includes(unit)) return { path: [], message: `${JSON.stringify(value)} has an unknown unit "${m[2]}": ${EXAMPLES}` };
  const amount = Number(m[1]);
  if (amount === 0) return { path: [], message: `${JSON.stringify(value)} is zero: use a duration of at least 1${unit}` };
  if (!Number.isSafeInteger(amount) || amount > 100_000) return { path: [], message: `${JSON.stringify(value)} is too long: use at most 100000${unit}` };
  return undefined;
}

/** The duration `value` stands for; call durationProblem first (this throws a plain Error on bad input). */
export function toDuration(value: string): Duration {
  if (durationProblem(value)) throw new Error(`not a duration: ${value}`);
  const m = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(value)!;
  return { amount: Number(m[1]), unit: m[2].toLowerCase() as DurationUnit };
}

export function formatDuration(d: Duration): string {
  return `${d.amount}${d.unit}`;
}

/** Whole calendar months in `d`, or undefined for fixed-length units. */
export function calendarMonths(d: Duration): number | undefined {
  return d.unit === 'mo' ? d.amount : d.unit === 'y' ? d.amount * 12 : undefined;
}

/** Fixed length in ms, or undefined for months and years. */
export function fixedMs(d: Duration): number | undefined {
  const unit = FIXED_MS[d.unit];
  return unit === undefined ? undefined : d.amount * unit;
}

/** `t` plus `d` along the UTC calendar (never earlier for a later `t`). */
export function addDuration(t: number, d: Duration): number {
  const ms = fixedMs(d);
  if (ms !== undefined) return t + ms;
  const date = new Date(t);
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + calendarMonths(d)!;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  if (date.getUTCDate() > daysInMonth(year, month + 1)) return Date.UTC(year, month + 1, 1);
  const timeOfDay = t - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return Date.UTC(year, month, date.getUTCDate()) + timeOfDay;
}

/** Days in `month` (1–12) of `year` (proleptic Gregorian). */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
