/**
 * Wall-clock time in IANA time zones, from the runtime's time-zone database (Intl): the local date
 * and time of an instant, and the instant(s) of a local date and time. Around a daylight-saving
 * change a local time can be skipped (spring forward: 02:30 does not exist) or repeated (fall back:
 * 02:30 happens twice); `instantsOf` says which, so schedules can decide what to do.
 */
import { DAY_MS, MINUTE_MS } from './duration.ts';
import type { Problem } from './problem.ts';

export interface LocalTime {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** What a local date and time maps to in a zone. */
export type LocalTimeInstants =
  | { readonly kind: 'single'; readonly at: number }
  /** Fall back: the time happens twice, `first` in the earlier (daylight) offset. */
  | { readonly kind: 'repeated'; readonly first: number; readonly second: number }
  /** Spring forward: the time does not exist; `at` is the instant the clocks jumped over it. */
  | { readonly kind: 'skipped'; readonly at: number };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const TZ_EXAMPLES = 'use an IANA time zone name such as Europe/Amsterdam, America/New_York or UTC';

/**
 * The canonical name of the IANA time zone `name` ("europe/amsterdam" → "Europe/Amsterdam"), or
 * what is wrong with it. Fixed offsets ("+02:00") are refused: they ignore daylight-saving time,
 * which is rarely what a schedule in a local time means.
 */
export function canonicalTimeZone(name: string): string | Problem {
  if (/^\s*[+-]\d/.test(name)) {
    return { path: [], message: `"${name}" is a fixed offset, not a time zone: ${TZ_EXAMPLES} (Etc/GMT-2 is a fixed UTC+2)` };
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name.trim() }).resolvedOptions().timeZone;
  } catch {
    return { path: [], message: `"${name}" is not a known time zone: ${TZ_EXAMPLES}` };
  }
}

/** The local date and time of instant `t` in `timeZone` (a canonical name). */
export function localTimeOf(t: number, timeZone: string): LocalTime {
  const parts = formatter(timeZone).formatToParts(t);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Local time minus UTC at instant `t`, in ms (whole seconds). */
export function offsetAt(t: number, timeZone: string): number {
  const l = localTimeOf(t, timeZone);
  const seconds = Math.floor(t / 1000) * 1000;
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - seconds;
}

/**
 * The instant(s) of local `minuteOfDay` on `year-month-day` in `timeZone`. Assumes at most one
 * offset change within a day either side, which holds for every zone in use.
 */
export function instantsOf(year: number, month: number, day: number, minuteOfDay: number, timeZone: string): LocalTimeInstants {
  const wall = Date.UTC(year, month - 1, day) + minuteOfDay * MINUTE_MS;
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const valid = [...new Set([wall - before, wall - after])].filter((t) => offsetAt(t, timeZone) === wall - t).sort((a, b) => a - b);
  if (valid.length === 2) return { kind: 'repeated', first: valid[0], second: valid[1] };
  if (valid.length === 1) return { kind: 'single', at: valid[0] };
  return { kind: 'skipped', at: transitionBetween(wall - DAY_MS, wall + DAY_MS, before, timeZone) };
}

/** The first instant after `from` (whose offset is `offset`) with another offset; `to` has one. */
function transitionBetween(from: number, to: number, offset: number, timeZone: string): number {
  // Offsets change on whole seconds: bisect on seconds.
  let lo = Math.floor(from / 1000);
  let hi = Math.ceil(to / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * 1000, timeZone) === offset) lo = mid;
    else hi = mid;
  }
  return hi * 1000;
}

/**
 * Whether the zone's offset is the same a day before `dayStart` (a local midnight as if UTC) and a
 * day after the end of that local day: then every local time of the day maps to exactly one instant,
 * `local - offset`, and callers can skip the per-time lookups.
 */
export function steadyOffsetAround(dayStartAsUtc: number, timeZone: string): number | undefined {
  const before = offsetAt(dayStartAsUtc - DAY_MS, timeZone);
  const after = offsetAt(dayStartAsUtc + 2 * DAY_MS, timeZone);
  return before === after ? before : undefined;
}
