/**
 * Safety margins: the times that let many hosts write to one repository while one of them prunes.
 * They are data, stored in the repository config (`margins`), so every host applies the same ones;
 * a repository written before they existed uses the defaults. Invariants (checked by
 * `marginsProblem` before they are stored):
 *
 * - a lock is stale once it has not been refreshed for `lockStaleAgeMs`, judged by the reader's clock;
 *   that must leave room for a missed refresh and for clocks that disagree by `clockSkewMs`:
 *   stale age ≥ 2 × refresh interval + clock skew;
 * - a writer commits (index files, manifest) only while its last refresh is younger than
 *   stale age − clock skew, so no host can yet have judged its lock stale;
 * - prune deletes a pack no index lists only when it is older than `unreferencedMinAgeMs` (by the
 *   store's time for the object): a younger one may be a writer's upload whose index is not written
 *   yet. It must be longer than any writer can keep a valid lock without refreshing it:
 *   min age > stale age + clock skew.
 */
import { EnvsnapError } from '../core/errors.ts';

export interface SafetyMargins {
  /** Packs no index lists are kept by prune until they are this old. */
  unreferencedMinAgeMs: number;
  /** A lock not refreshed for this long is stale: ignored, and removable by `unlock`. */
  lockStaleAgeMs: number;
  /** How often a held lock is rewritten with a fresh time. */
  lockRefreshMs: number;
  /** How far apart the clocks of hosts sharing the repository (and its storage) may be. */
  clockSkewMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_MARGINS: Readonly<SafetyMargins> = {
  unreferencedMinAgeMs: 2 * HOUR,
  lockStaleAgeMs: 30 * MINUTE,
  lockRefreshMs: 5 * MINUTE,
  clockSkewMs: 15 * MINUTE,
};

/** The setting names users see (`repo:settings --set NAME=DURATION`), in display order. */
export const MARGIN_SETTINGS: readonly { name: string; field: keyof SafetyMargins; meaning: string }[] = [
  { name: 'prune.unreferenced-min-age', field: 'unreferencedMinAgeMs', meaning: 'prune keeps packs no index lists until they are this old' },
  { name: 'lock.stale-age', field: 'lockStaleAgeMs', meaning: 'a lock not refreshed for this long is stale' },
  { name: 'lock.refresh-interval', field: 'lockRefreshMs', meaning: 'a held lock is refreshed this often' },
  { name: 'lock.clock-skew', field: 'clockSkewMs', meaning: 'how far apart the clocks of hosts may be' },
];

/** The margins a stored config gives, with the default for each one it lacks. */
export function resolveMargins(stored: Partial<SafetyMargins> | undefined): SafetyMargins {
  const out = { ...DEFAULT_MARGINS };
  for (const { field } of MARGIN_SETTINGS) {
    const v = stored?.[field];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[field] = v;
  }
  return out;
}

/** Why these margins are unsafe, naming the settings involved; undefined when they are sound. */
export function marginsProblem(m: SafetyMargins): string | undefined {
  if (m.lockRefreshMs < SECOND) return `lock.refresh-interval ${formatSpan(m.lockRefreshMs)} is too short: use at least 1s`;
  const minStale = 2 * m.lockRefreshMs + m.clockSkewMs;
  if (m.lockStaleAgeMs < minStale) {
    return `lock.stale-age ${formatSpan(m.lockStaleAgeMs)} must be at least twice lock.refresh-interval plus lock.clock-skew (${formatSpan(minStale)}): raise it or lower those`;
  }
  const minAge = m.lockStaleAgeMs + m.clockSkewMs;
  if (m.unreferencedMinAgeMs <= minAge) {
    return `prune.unreferenced-min-age ${formatSpan(m.unreferencedMinAgeMs)} must exceed lock.stale-age plus lock.clock-skew (${formatSpan(minAge)}): raise it or lower those`;
  }
  return undefined;
}

/**
 * `margins` with `NAME=DURATION` assignments applied, validated as a whole; throws INVALID_ARGUMENT
 * naming the first thing wrong.
 */
export function applyMarginSettings(margins: SafetyMargins, assignments: readonly string[]): SafetyMargins {
  const out = { ...margins };
  for (const a of assignments) {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq).trim();
    const setting = MARGIN_SETTINGS.find((s) => s.name === name);
    if (!setting || eq < 0) {
      throw new EnvsnapError('INVALID_ARGUMENT', `"${a}" is not a setting: write NAME=DURATION with NAME one of ${MARGIN_SETTINGS.map((s) => s.name).join(', ')}`);
    }
    out[setting.field] = parseSpan(a.slice(eq + 1).trim(), name);
  }
  const problem = marginsProblem(out);
  if (problem) throw new EnvsnapError('INVALID_ARGUMENT', `${problem}; nothing was changed`);
  return out;
}

const UNITS: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** A span written as a whole number and a unit: 30s, 10m, 2h, 1d ("0" alone is zero). */
export function parseSpan(text: string, what: string): number {
  if (text === '0') return 0;
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m || !Number.isSafeInteger(Number(m[1]) * UNITS[m[2]])) {
    throw new EnvsnapError('INVALID_ARGUMENT', `${what} "${text}" is not a duration: give a whole number with s, m, h or d, e.g. 30s, 10m, 2h, 1d`);
  }
  return Number(m[1]) * UNITS[m[2]];
}

/** The shortest exact way to write a span: 2h, 90m, 45s, 1500ms. */
export function formatSpan(ms: number): string {
  for (const [unit, size] of Object.entries(UNITS).reverse()) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return ms === 0 ? '0s' : `${ms}ms`;
}
