/**
 * Automatic retention tiers as written in envsnap.yaml, `[{ every: 1h, until: 3d }, …]` youngest
 * first, and their validation. Each tier starts where the previous one ends, so tiers cannot
 * overlap or leave gaps by construction; what can still be contradictory is an `until` that is not
 * later than the previous one, or an `every` longer than the tier it applies to (at most one bucket
 * would ever fit). Months count 28 to 31 days, so a comparison across units must hold for every
 * month: `4w` then `1mo` is refused (February's month is not longer than four weeks).
 */
import { calendarMonths, durationProblem, fixedMs, formatDuration, toDuration, type Duration } from './duration.ts';
import type { Problem } from './problem.ts';
import type { RetentionTier } from './retention.ts';

export interface TierInput {
  readonly every: string;
  readonly until: string;
}

/** Shortest and longest length of `d` in ms, over every month it could start in. */
function span(d: Duration): [number, number] {
  const ms = fixedMs(d);
  if (ms !== undefined) return [ms, ms];
  const months = calendarMonths(d)!;
  let min = Infinity;
  let max = 0;
  // 1896–2004 holds common years, ordinary leap years and both kinds of century (1900, 2000).
  for (let m = 0; m < 109 * 12; m++) {
    const length = Date.UTC(1896, m + months, 1) - Date.UTC(1896, m, 1);
    min = Math.min(min, length);
    max = Math.max(max, length);
  }
  return [min, max];
}

/** Whether `later` is longer than `earlier` whatever date they are counted from. */
function alwaysLonger(later: Duration, earlier: Duration): boolean {
  const a = calendarMonths(later);
  const b = calendarMonths(earlier);
  if (a !== undefined && b !== undefined) return a > b;
  return span(later)[0] > span(earlier)[1];
}

/** What is wrong with these tiers, or undefined. */
export function tiersProblem(tiers: readonly TierInput[]): Problem | undefined {
  const parsed: RetentionTier[] = [];
  for (const [i, t] of tiers.entries()) {
    for (const key of ['every', 'until'] as const) {
      const p = durationProblem(t[key]);
      if (p) return { path: [i, key], message: p.message };
    }
    parsed.push({ every: toDuration(t.every), until: toDuration(t.until) });
  }
  for (const [i, t] of parsed.entries()) {
    const prev = i > 0 ? parsed[i - 1].until : undefined;
    if (prev && !alwaysLonger(t.until, prev)) {
      const mixed = (calendarMonths(t.until) === undefined) !== (calendarMonths(prev) === undefined);
      const relation = mixed ? 'is not always after' : 'is not after';
      const why = mixed ? ' (a month counts 28 to 31 days)' : '';
      return {
        path: [i, 'until'],
        message: `${formatDuration(t.until)} ${relation} the previous tier's until ${formatDuration(prev)}${why}: list tiers youngest first, each until later than the one before`,
      };
    }
    if (!fitsIn(t.every, prev, t.until)) {
      const window = `age ${prev ? formatDuration(prev) : '0'}–${formatDuration(t.until)}`;
      return { path: [i, 'every'], message: `${formatDuration(t.every)} is longer than the tier it applies to (${window}): use a shorter every, or widen the tier with a later until` };
    }
  }
  return undefined;
}

/** Whether a bucket of `every` can fit within the tier from `from` to `until` (lenient across units). */
function fitsIn(every: Duration, from: Duration | undefined, until: Duration): boolean {
  const e = calendarMonths(every);
  const u = calendarMonths(until);
  const f = from === undefined ? 0 : calendarMonths(from);
  if (e !== undefined && u !== undefined && f !== undefined) return e <= u - f;
  const [fromMin] = from === undefined ? [0] : span(from);
  const [, untilMax] = span(until);
  return span(every)[0] <= untilMax - fromMin;
}

/** Validated tiers (call tiersProblem first). */
export function toTiers(tiers: readonly TierInput[]): RetentionTier[] {
  return tiers.map((t) => ({ every: toDuration(t.every), until: toDuration(t.until) }));
}
