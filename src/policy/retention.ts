/**
 * Retention: which snapshots of each environment to keep at `now`, and why. Pure and deterministic:
 * the same snapshots (in any order) and the same `now` give the same decisions, and applying the
 * rule again to the kept set keeps all of it (idempotent), so an interrupted or repeated expire run
 * is harmless.
 *
 * A snapshot is kept when any of these holds (a rule never removes what another keeps):
 *  - it is pinned, or carries one of the rule's keep tags;
 *  - it is the newest snapshot of its environment (so an environment is never left without one);
 *  - manual: it is younger than `manual.keepWithin`, and, with `manual.maxCount`, among that many
 *    newest unpinned manual snapshots (a new one replaces the oldest; pinned ones are outside the cap);
 *  - automatic: it is among the `automatic.keepLast` newest, or it is the newest automatic snapshot
 *    of its bucket in the tier its age falls in.
 *
 * Tiers are a list of `{ every, until }`, youngest first; each tier starts where the previous one
 * ends (the first at age 0), so tiers can neither overlap nor leave gaps. A gap would be a trap:
 * every snapshot ages through it, and being kept by no tier while in it, it would be expired there,
 * leaving every older tier empty. Ages are [from, until): a snapshot exactly `until` old has moved on.
 *
 * Within a tier the newest snapshot of each bucket (bucket.ts) is kept, as restic, Borg and Kopia do:
 * it is the latest state of that hour, day or week, and because buckets nest, the newest of a day was
 * also kept as the newest of its hour just before. Only snapshots whose age is inside the tier compete
 * for its bucket; a bucket straddling the tier's start keeps the newest that has arrived, so while
 * its snapshots age into the tier one by one each replaces the previous one — the same deletions as
 * any other order, only spread over those runs.
 */
import { EnvsnapError } from '../core/errors.ts';
import { bucketOf } from './bucket.ts';
import { addDuration, formatDuration, type Duration } from './duration.ts';

export type SnapshotTrigger = 'manual' | 'automatic';

export interface RetentionSnapshot {
  readonly id: string;
  readonly env: string;
  /** When the snapshot was taken, ms since the Unix epoch. */
  readonly time: number;
  readonly trigger: SnapshotTrigger;
  readonly pinned: boolean;
  readonly tags: readonly string[];
}

export interface RetentionTier {
  /** Bucket length: keep one snapshot per `every`. */
  readonly every: Duration;
  /** The tier holds snapshots younger than this (and at least as old as the previous tier's `until`). */
  readonly until: Duration;
}

/** The retention part of an environment's policy (EffectivePolicy satisfies it). */
export interface RetentionRule {
  readonly manual: {
    readonly keepWithin: Duration;
    /** At most this many unpinned manual snapshots; undefined: no cap. */
    readonly maxCount?: number | undefined;
  };
  readonly automatic: {
    /** The newest this many automatic snapshots are kept whatever their age. */
    readonly keepLast: number;
    readonly tiers: readonly RetentionTier[];
  };
  /** Snapshots carrying any of these tags are kept. */
  readonly keepTags: readonly string[];
}

export interface RetentionDecision {
  readonly id: string;
  readonly keep: boolean;
  /** Why it is kept (every rule that keeps it), or, when it is not, why no rule keeps it. */
  readonly reasons: string[];
  /**
   * For a kept snapshot: when it will stop being kept if no snapshot is added or pinned, or undefined
   * when nothing time-bound holds it (pinned, tagged, newest of its environment, among keepLast).
   */
  readonly expiresAt?: number;
}

/**
 * Decides for every snapshot whether to keep it at `now`. `ruleFor` gives the rule of an
 * environment; decisions come back in the order of `snapshots`. Throws INVALID_ARGUMENT when an id
 * is listed twice.
 */
export function applyRetention(snapshots: readonly RetentionSnapshot[], ruleFor: (env: string) => RetentionRule, now: number): RetentionDecision[] {
  const byEnv = new Map<string, RetentionSnapshot[]>();
  const ids = new Set<string>();
  for (const s of snapshots) {
    if (ids.has(s.id)) throw new EnvsnapError('INVALID_ARGUMENT', `snapshot ${s.id} is listed twice: pass each snapshot once`);
    ids.add(s.id);
    const list = byEnv.get(s.env) ?? [];
    list.push(s);
    byEnv.set(s.env, list);
  }
  const decisions = new Map<string, RetentionDecision>();
  for (const [env, list] of byEnv) {
    for (const d of decideEnvironment(list.sort(newestFirst), ruleFor(env), env, now)) decisions.set(d.id, d);
  }
  return snapshots.map((s) => decisions.get(s.id)!);
}

/** Newest first; equal times by id, so ties never depend on the order snapshots were listed in. */
function newestFirst(a: RetentionSnapshot, b: RetentionSnapshot): number {
  return b.time - a.time || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

interface Verdict {
  keep: string[];
  drop: string[];
  /** Kept by something time does not end (pinned, tag, newest, keepLast). */
  lasting: boolean;
  /** Kept by the manual window until this time. */
  manualUntil?: number;
  /** Kept by an automatic tier. */
  byTier: boolean;
}

function decideEnvironment(sorted: readonly RetentionSnapshot[], rule: RetentionRule, env: string, now: number): RetentionDecision[] {
  const verdicts = new Map<string, Verdict>(sorted.map((s) => [s.id, { keep: [], drop: [], lasting: false, byTier: false }]));
  const lasting = (s: RetentionSnapshot, reason: string) => {
    const v = verdicts.get(s.id)!;
    v.keep.push(reason);
    v.lasting = true;
  };

  if (sorted.length > 0) lasting(sorted[0], `newest of ${env}`);
  for (const s of sorted) {
    if (s.pinned) lasting(s, 'pinned');
    for (const tag of s.tags) if (rule.keepTags.includes(tag)) lasting(s, `tag "${tag}"`);
  }

  const within = formatDuration(rule.manual.keepWithin);
  let counted = 0;
  for (const s of sorted) {
    if (s.trigger !== 'manual') continue;
    const v = verdicts.get(s.id)!;
    const until = addDuration(s.time, rule.manual.keepWithin);
    if (until <= now) {
      v.drop.push(`manual, older than ${within}`);
    } else if (s.pinned) {
      // Pinned snapshots are kept anyway and do not take a place under the cap.
    } else if (rule.manual.maxCount !== undefined && counted >= rule.manual.maxCount) {
      v.drop.push(`manual, not among the ${rule.manual.maxCount} newest (max_count)`);
    } else {
      counted++;
      v.keep.push(`manual, within ${within}`);
      v.manualUntil = until;
    }
  }

  const automatic = sorted.filter((s) => s.trigger === 'automatic').map((s) => timelineOf(s, rule.automatic.tiers));
  for (const a of automatic.slice(0, rule.automatic.keepLast)) lasting(a.snapshot, `one of the ${rule.automatic.keepLast} newest automatic`);
  const tierKept = tierPass(automatic, rule.automatic.tiers, now);
  for (const a of automatic) {
    const v = verdicts.get(a.snapshot.id)!;
    const t = tierKept.get(a.snapshot.id)!;
    (t.kept ? v.keep : v.drop).push(tierReason(rule.automatic.tiers, t));
    v.byTier = t.kept;
  }

  const expiries = tierExpiries(
    automatic.filter((a) => verdicts.get(a.snapshot.id)!.keep.length > 0),
    (a) => verdicts.get(a.snapshot.id)!.lasting,
    rule.automatic.tiers,
    now,
  );
  return sorted.map((s) => {
    const v = verdicts.get(s.id)!;
    if (v.keep.length === 0) return { id: s.id, keep: false, reasons: v.drop };
    if (v.lasting) return { id: s.id, keep: true, reasons: v.keep };
    const expiresAt = Math.max(v.manualUntil ?? -Infinity, v.byTier ? expiries.get(s.id)! : -Infinity);
    return { id: s.id, keep: true, reasons: v.keep, expiresAt };
  });
}

/** An automatic snapshot's course through the tiers, computed once (calendar arithmetic is not free). */
interface Timeline {
  readonly snapshot: RetentionSnapshot;
  /** When it leaves tier k (ages past tiers[k].until). */
  readonly leaves: readonly number[];
  /** Its bucket in tier k. */
  readonly buckets: readonly number[];
}

function timelineOf(s: RetentionSnapshot, tiers: readonly RetentionTier[]): Timeline {
  return { snapshot: s, leaves: tiers.map((t) => addDuration(s.time, t.until)), buckets: tiers.map((t) => bucketOf(s.time, t.every)) };
}

interface TierVerdict {
  /** The tier its age is in, or -1 when older than the last. */
  readonly tier: number;
  /** It is the newest snapshot of its bucket in that tier. */
  readonly kept: boolean;
}

/** The tiers' verdict at `now` on automatic snapshots, newest first. */
function tierPass(sorted: readonly Timeline[], tiers: readonly RetentionTier[], now: number): Map<string, TierVerdict> {
  const out = new Map<string, TierVerdict>();
  const taken = tiers.map(() => new Set<number>());
  for (const a of sorted) {
    // The first tier it has not yet left; a snapshot dated after `now` (clock skew) counts as age 0.
    const tier = a.leaves.findIndex((leaves) => leaves > now);
    const kept = tier >= 0 && !taken[tier].has(a.buckets[tier]);
    if (kept) taken[tier].add(a.buckets[tier]);
    out.set(a.snapshot.id, { tier, kept });
  }
  return out;
}

function tierReason(tiers: readonly RetentionTier[], v: TierVerdict): string {
  if (v.kept) return tierLabel(tiers, v.tier);
  if (v.tier >= 0) return `automatic, a newer snapshot is kept for its ${formatDuration(tiers[v.tier].every)} bucket (${tierLabel(tiers, v.tier)})`;
  return tiers.length === 0 ? 'automatic, no tier keeps automatic snapshots' : `automatic, older than ${formatDuration(tiers.at(-1)!.until)}`;
}

/** "one per 1d, age 3d–7d" */
function tierLabel(tiers: readonly RetentionTier[], k: number): string {
  const from = k === 0 ? '0' : formatDuration(tiers[k - 1].until);
  return `one per ${formatDuration(tiers[k].every)}, age ${from}–${formatDuration(tiers[k].until)}`;
}

/**
 * When each automatic snapshot that a tier keeps (and nothing lasting does) stops being kept, if no
 * snapshot is added. Within a tier's bucket, snapshots arrive oldest first as they age, and each
 * arrival is the newest there so far: a kept snapshot is kept until a newer snapshot of its bucket
 * arrives in the tier (one that was itself still kept when it got there) or until it leaves the tier;
 * arriving in the next tier it is again the newest of its bucket there. Going from the newest
 * snapshot to the oldest, every newer one's fate is known when it is needed.
 * `survivors` are the kept automatic snapshots, newest first.
 */
function tierExpiries(survivors: readonly Timeline[], isLasting: (a: Timeline) => boolean, tiers: readonly RetentionTier[], now: number): Map<string, number> {
  const expiry = new Map<string, number>();
  // Per tier: bucket → its survivors, newest first, and each survivor's place in its bucket.
  const groups = tiers.map((_, k) => {
    const byBucket = new Map<number, Timeline[]>();
    const place = new Map<Timeline, number>();
    for (const a of survivors) {
      const list = byBucket.get(a.buckets[k]) ?? [];
      place.set(a, list.length);
      list.push(a);
      byBucket.set(a.buckets[k], list);
    }
    return { byBucket, place };
  });
  for (const s of survivors) {
    if (isLasting(s)) {
      expiry.set(s.snapshot.id, Infinity);
      continue;
    }
    let ends = s.leaves.at(-1)!;
    for (let k = s.leaves.findIndex((leaves) => leaves > now); k < tiers.length; k++) {
      const group = groups[k].byBucket.get(s.buckets[k])!;
      let arrival = Infinity;
      for (let j = groups[k].place.get(s)! - 1; j >= 0; j--) {
        const u = group[j];
        const arrives = k === 0 ? -Infinity : u.leaves[k - 1];
        if (expiry.get(u.snapshot.id)! >= arrives) {
          arrival = arrives;
          break;
        }
      }
      if (arrival < s.leaves[k]) {
        ends = arrival;
        break;
      }
    }
    expiry.set(s.snapshot.id, ends);
  }
  return expiry;
}
