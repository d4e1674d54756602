/**
 * Schedules: when an environment's automatic snapshot runs, as a frequency (daily, weekly on a
 * weekday, monthly on a day) at a local start time, or as a cron expression (cron.ts), always in an
 * explicit IANA time zone. `nextRunAt`, `previousRunAt` and `missedRun` are pure functions of the
 * instant they are given.
 *
 * Local times that daylight-saving time skips or repeats:
 *  - skipped (spring forward): the run happens at the instant the clocks jump, e.g. a 02:30 daily run
 *    in Europe/Amsterdam on the last Sunday of March runs at 03:00 CEST, as cron does; several skipped
 *    times fall on that one instant and make one run;
 *  - repeated (fall back): the run happens once, at the first pass (02:30 CEST, not 02:30 CET again),
 *    except for cron expressions whose hour field starts with `*` (every hour, every 15 minutes):
 *    those follow the clock and run in both passes, so an hourly schedule leaves no two-hour hole.
 * A monthly run on day 29–31 runs on the last day of months that are shorter (the 31st → 30 April,
 * 28 February, 29 February in leap years), so it runs every month; a cron day-of-month does not clamp.
 */
import { EnvsnapError } from '../core/errors.ts';
import { cronMatchesDay, isCronSpec, parseCron, type CronSpec } from './cron.ts';
import { MINUTE_MS, daysInMonth } from './duration.ts';
import { configError, type Problem } from './problem.ts';
import { canonicalTimeZone, instantsOf, localTimeOf, steadyOffsetAround } from './zoned-time.ts';

export const FREQUENCIES = ['daily', 'weekly', 'monthly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** Index = JavaScript's getUTCDay(). */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A validated schedule; plain data (serialisable, comparable). Times are local to `timezone`. */
export type Schedule =
  | { readonly kind: 'daily'; readonly at: string; readonly timezone: string }
  | { readonly kind: 'weekly'; readonly weekday: Weekday; readonly at: string; readonly timezone: string }
  | { readonly kind: 'monthly'; readonly day: number; readonly at: string; readonly timezone: string }
  | { readonly kind: 'cron'; readonly cron: string; readonly timezone: string };

/** The keys of a schedule as written in envsnap.yaml (see input.ts). */
const INPUT_KEYS = ['frequency', 'at', 'weekday', 'day', 'cron', 'timezone'];

/** The schedule `input` describes, or a CONFIG error naming `key` and what to write instead. */
export function parseSchedule(input: unknown, key = 'schedule'): Schedule {
  const result = checkSchedule(input);
  if ('path' in result) throw configError(key, result);
  return result;
}

/** What is wrong with `input` as a schedule, or undefined. */
export function scheduleProblem(input: unknown): Problem | undefined {
  const result = checkSchedule(input);
  return 'path' in result ? result : undefined;
}

function checkSchedule(input: unknown): Schedule | Problem {
  const problem = (path: string[], message: string): Problem => ({ path, message });
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return problem([], 'expected a mapping: frequency (daily, weekly or monthly) with at, or cron, and timezone');
  }
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!INPUT_KEYS.includes(k)) return problem([k], `unknown key: remove it or fix its spelling (allowed here: ${INPUT_KEYS.join(', ')})`);
  }

  if (o.timezone === undefined) return problem(['timezone'], 'missing: add the IANA time zone the schedule runs in, e.g. timezone: Europe/Amsterdam (or UTC)');
  if (typeof o.timezone !== 'string') return problem(['timezone'], 'expected a time zone name such as Europe/Amsterdam: write it as text');
  const timezone = canonicalTimeZone(o.timezone);
  if (typeof timezone !== 'string') return { path: ['timezone'], message: timezone.message };

  if (o.cron !== undefined) {
    if (o.frequency !== undefined) return problem(['cron'], 'is set together with frequency: keep one of them');
    for (const k of ['at', 'weekday', 'day']) {
      if (o[k] !== undefined) return problem([k], 'is not used with cron: remove it (the cron expression holds the time)');
    }
    if (typeof o.cron !== 'string') return problem(['cron'], 'expected a cron expression in quotes, e.g. cron: "30 2 * * *"');
    const spec = parseCron(o.cron);
    if (!isCronSpec(spec)) return { path: ['cron'], message: spec.message };
    return { kind: 'cron', cron: o.cron.trim(), timezone };
  }

  if (o.frequency === undefined) return problem([], 'has neither frequency nor cron: add frequency: daily, weekly or monthly with at: "HH:MM", or cron: "<five fields>"');
  const frequency = o.frequency;
  if (typeof frequency !== 'string' || !(FREQUENCIES as readonly string[]).includes(frequency)) {
    return problem(['frequency'], `${JSON.stringify(frequency)} is not one of ${FREQUENCIES.join(', ')}: for other rhythms use cron, e.g. cron: "0 * * * *" for every hour`);
  }
  if (o.at === undefined) return problem(['at'], 'missing: add the local start time, e.g. at: "02:30"');
  const at = typeof o.at === 'string' ? parseTimeOfDay(o.at) : undefined;
  if (at === undefined) return problem(['at'], `${JSON.stringify(o.at)} is not a time of day: write "HH:MM" in 24-hour time, in quotes, e.g. at: "02:30"`);
  if (frequency !== 'weekly' && o.weekday !== undefined) return problem(['weekday'], 'is only used with frequency: weekly: remove it');
  if (frequency !== 'monthly' && o.day !== undefined) return problem(['day'], 'is only used with frequency: monthly: remove it');

  if (frequency === 'daily') return { kind: 'daily', at, timezone };
  if (frequency === 'weekly') {
    if (o.weekday === undefined) return problem(['weekday'], 'missing: weekly schedules need the day, e.g. weekday: sunday');
    const weekday = typeof o.weekday === 'string' ? parseWeekday(o.weekday) : undefined;
    if (weekday === undefined) return problem(['weekday'], `${JSON.stringify(o.weekday)} is not a day of the week: use monday … sunday (or mon … sun)`);
    return { kind: 'weekly', weekday, at, timezone };
  }
  if (o.day === undefined) return problem(['day'], 'missing: monthly schedules need the day of the month, e.g. day: 1');
  if (typeof o.day !== 'number' || !Number.isInteger(o.day) || o.day < 1 || o.day > 31) {
    return problem(['day'], `${JSON.stringify(o.day)} is not a day of the month: use 1 to 31 (29, 30 and 31 run on the last day of shorter months)`);
  }
  return { kind: 'monthly', day: o.day, at, timezone };
}

/** "2:30" → "02:30"; undefined unless a 24-hour time. */
function parseTimeOfDay(text: string): string | undefined {
  const m = /^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$/.exec(text);
  return m ? `${m[1].padStart(2, '0')}:${m[2]}` : undefined;
}

function parseWeekday(text: string): Weekday | undefined {
  const t = text.trim().toLowerCase();
  return WEEKDAYS.find((w) => w === t || (t.length === 3 && w.startsWith(t)));
}

/** "daily at 02:30 in Europe/Amsterdam" — for policy:show and messages. */
export function describeSchedule(s: Schedule): string {
  switch (s.kind) {
    case 'daily':
      return `daily at ${s.at} in ${s.timezone}`;
    case 'weekly':
      return `weekly on ${s.weekday[0].toUpperCase()}${s.weekday.slice(1)} at ${s.at} in ${s.timezone}`;
    case 'monthly':
      return `monthly on day ${s.day}${s.day > 28 ? ' (or the last day of shorter months)' : ''} at ${s.at} in ${s.timezone}`;
    case 'cron':
      return `cron "${s.cron}" in ${s.timezone}`;
  }
}

/** What a schedule does within one local day. */
interface DayPlan {
  matches(year: number, month: number, day: number, weekday: number): boolean;
  /** Local minutes of the day at which it runs, ascending. */
  readonly minutes: readonly number[];
  /** Runs in both passes of a repeated (fall-back) local time. */
  readonly bothPasses: boolean;
}

const cronCache = new Map<string, CronSpec>();

function planOf(s: Schedule): DayPlan {
  if (s.kind === 'cron') {
    let spec = cronCache.get(s.cron);
    if (!spec) {
      const parsed = parseCron(s.cron);
      if (!isCronSpec(parsed)) throw configError('schedule.cron', parsed);
      spec = parsed;
      cronCache.set(s.cron, spec);
    }
    const cron = spec;
    return {
      matches: (_y, month, day, weekday) => cronMatchesDay(cron, month, day, weekday),
      minutes: cron.hours.flatMap((h) => cron.minutes.map((m) => h * 60 + m)),
      bothPasses: cron.everyHour,
    };
  }
  const [h, m] = s.at.split(':').map(Number);
  const minutes = [h * 60 + m];
  switch (s.kind) {
    case 'daily':
      return { matches: () => true, minutes, bothPasses: false };
    case 'weekly': {
      const target = WEEKDAYS.indexOf(s.weekday);
      return { matches: (_y, _m, _d, weekday) => weekday === target, minutes, bothPasses: false };
    }
    case 'monthly':
      return { matches: (year, month, day) => day === Math.min(s.day, daysInMonth(year, month)), minutes, bothPasses: false };
  }
}

/** The instants a plan runs at on one local date (unordered around a daylight-saving change). */
function runsOn(plan: DayPlan, year: number, month: number, day: number, timeZone: string): number[] {
  const dayStart = Date.UTC(year, month - 1, day);
  const steady = steadyOffsetAround(dayStart, timeZone);
  if (steady !== undefined) return plan.minutes.map((min) => dayStart + min * MINUTE_MS - steady);
  const out: number[] = [];
  for (const min of plan.minutes) {
    const r = instantsOf(year, month, day, min, timeZone);
    if (r.kind === 'repeated') {
      out.push(r.first);
      if (plan.bothPasses) out.push(r.second);
    } else {
      out.push(r.at);
    }
  }
  return out;
}

/** Far enough for any schedule that can run at all (cron never-runs are refused when parsed). */
const SEARCH_DAYS = 400 * 366;

/**
 * Scans local dates from the date of `t` in `direction`, and returns the best instant `accept`s
 * (earliest going forward, latest going back). Having found one, it also looks at the next date:
 * around a daylight-saving change at midnight a neighbouring date's run can come first.
 */
function scan(s: Schedule, t: number, direction: 1 | -1, accept: (at: number) => boolean): number {
  const plan = planOf(s);
  const start = localTimeOf(t, s.timezone);
  let best: number | undefined;
  let foundOn: number | undefined;
  for (let i = -direction; Math.abs(i) <= SEARCH_DAYS; i += direction) {
    if (foundOn !== undefined && Math.abs(i - foundOn) > 1) break;
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!plan.matches(year, month, day, date.getUTCDay())) continue;
    for (const at of runsOn(plan, year, month, day, s.timezone)) {
      if (!accept(at)) continue;
      if (best === undefined || (direction === 1 ? at < best : at > best)) best = at;
      foundOn ??= i;
    }
  }
  if (best === undefined) throw new EnvsnapError('INVALID_ARGUMENT', `schedule ${describeSchedule(s)} has no run within 400 years: fix the schedule`);
  return best;
}

/** The first run strictly after `after` (ms since the epoch). */
export function nextRunAt(schedule: Schedule, after: number): number {
  return scan(schedule, after, 1, (at) => at > after);
}

/** The last run at or before `atOrBefore`. */
export function previousRunAt(schedule: Schedule, atOrBefore: number): number {
  return scan(schedule, atOrBefore, -1, (at) => at <= atOrBefore);
}

/**
 * The scheduled time of the most recent run that was due after `lastRun` and by `now`, or undefined
 * when none was missed. However many runs were missed (the machine was off for a week), a scheduler
 * makes up for them with one run, at start-up. `lastRun` is when the last run was due or started; a
 * scheduler that never ran this schedule passes the time it first saw it (undefined: nothing missed).
 */
export function missedRun(schedule: Schedule, lastRun: number | undefined, now: number): number | undefined {
  if (lastRun === undefined) return undefined;
  const due = previousRunAt(schedule, now);
  return due > lastRun ? due : undefined;
}
