/**
 * Cron expressions, five fields as in Vixie cron / cronie: minute hour day-of-month month
 * day-of-week, each `*`, a number or name, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n` (a to the
 * end), or a comma list of those. Months JAN–DEC and days SUN–SAT may be named (any case); day-of-week
 * 7 is Sunday like 0. The macros @hourly, @daily (@midnight), @weekly, @monthly and @yearly
 * (@annually) stand for their usual expressions.
 *
 * Day-of-month and day-of-week combine as in cron: when both are restricted, a day matches if either
 * does ("0 0 13 * 5" runs on the 13th and on every Friday); when either field starts with `*`, both
 * must match ("0 0 *\/2 * 5" runs on odd-numbered days that are Fridays). A day-of-month that a month
 * lacks is not run in that month (cron's meaning; the monthly frequency clamps instead).
 */
import type { Problem } from './problem.ts';

export interface CronSpec {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday. */
  readonly daysOfWeek: ReadonlySet<number>;
  /** Day-of-month or day-of-week starts with `*`: both must match (else either). */
  readonly daysAnd: boolean;
  /** The hour field starts with `*` (every hour or a step): runs in both passes of a repeated hour. */
  readonly everyHour: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value of names[0]. */
  readonly namesFrom?: number;
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

const SHAPE = 'write five fields (minute hour day-of-month month day-of-week), e.g. "30 2 * * *" for 02:30 every day or "0 * * * *" for every hour';

/** Longest month length for each month (February: 29, as in leap years). */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The parsed expression, or what is wrong with it. */
export function parseCron(expression: string): CronSpec | Problem {
  const text = expression.trim();
  const problem = (what: string, fix = SHAPE): Problem => ({ path: [], message: `"${expression}" ${what}: ${fix}` });
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (macro) return parseCron(macro);
    if (text.toLowerCase() === '@reboot') return problem('runs at start-up, not on a schedule', 'envsnap runs missed scheduled snapshots at start-up on its own; give a schedule such as "@daily"');
    return problem(`uses the unknown macro ${text}`, 'use @hourly, @daily, @weekly, @monthly or @yearly, or five fields');
  }
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length === 6) return problem('has 6 fields (seconds or a year are not supported)');
  if (parts.length !== 5) return problem(`has ${parts.length} field${parts.length === 1 ? '' : 's'}`);

  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const parsed = parseField(parts[i], FIELDS[i]);
    if (typeof parsed === 'string') return problem(parsed);
    sets.push(parsed);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeekRaw] = sets;
  const daysOfWeek = new Set([...daysOfWeekRaw].map((d) => d % 7));
  const daysAnd = parts[2].startsWith('*') || parts[4].startsWith('*');
  if (daysAnd && ![...months].some((m) => [...daysOfMonth].some((d) => d <= MAX_DAYS[m - 1]))) {
    const monthList = [...months].map((m) => MONTH_NAMES[m - 1]).join(',');
    return problem(`never runs: no chosen day-of-month exists in ${monthList}`, 'pick days that exist in the chosen months');
  }
  return {
    minutes: [...minutes].sort((a, b) => a - b),
    hours: [...hours].sort((a, b) => a - b),
    daysOfMonth,
    months,
    daysOfWeek,
    daysAnd,
    everyHour: parts[1].startsWith('*'),
  };
}

export function isCronSpec(v: CronSpec | Problem): v is CronSpec {
  return 'minutes' in v;
}

/** Whether the spec runs on this date; `weekday` 0 = Sunday. */
export function cronMatchesDay(spec: CronSpec, month: number, day: number, weekday: number): boolean {
  if (!spec.months.has(month)) return false;
  const dom = spec.daysOfMonth.has(day);
  const dow = spec.daysOfWeek.has(weekday);
  return spec.daysAnd ? dom && dow : dom || dow;
}

/** The values of one field, or what is wrong with it (a phrase naming the field). */
function parseField(text: string, field: Field): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^([^/]+)(?:\/(.+))?$/.exec(item);
    if (!m) return `has an empty item in the ${field.name} field "${text}"`;
    const [, range, stepText] = m;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) return `has an invalid step "/${stepText}" in the ${field.name} field (a step is a whole number of 1 or more)`;
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = field.min;
      hi = lastOf(field);
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) return `has an invalid range "${range}" in the ${field.name} field`;
      const values: number[] = [];
      for (const b of bounds) {
        const v = valueOf(b, field);
        if (typeof v === 'string') return v;
        values.push(v);
      }
      lo = values[0];
      hi = values.length === 2 ? values[1] : stepText !== undefined ? lastOf(field) : lo;
      if (hi < lo) return `has the range "${range}" running backwards in the ${field.name} field (write ranges from low to high; split one that wraps around, e.g. 22-23,0-2)`;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** The last value `*` stands for: day-of-week 7 only repeats Sunday. */
function lastOf(field: Field): number {
  return field.name === 'day-of-week' ? 6 : field.max;
}

function valueOf(text: string, field: Field): number | string {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    if (v < field.min || v > field.max) return `has ${field.name} ${text}, out of range ${field.min}-${field.max}`;
    return v;
  }
  const i = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (i < 0) {
    const names = field.names ? ` or a name ${field.names[0]}-${field.names.at(-1)}` : '';
    return `has "${text}" in the ${field.name} field, which takes numbers ${field.min}-${field.max}${names}`;
  }
  return i + field.namesFrom!;
}
