/**
 * The retention policy applied to a repository's environment snapshots: which of them each
 * environment's resolved policy (envsnap.yaml) keeps at a given time, and why. Shared by expire,
 * the manual-snapshot cap and snapshot:list's Expires column, so they can never disagree.
 * Snapshots of other projects, and of environments no longer in the configuration, get no decision:
 * with no policy to apply, nothing may expire them.
 */
import type { ProjectConfig } from '../config/project-config.ts';
import type { RetentionDecision, RetentionRule, RetentionSnapshot } from '../policy/retention.ts';
import { applyRetention } from '../policy/retention.ts';
import type { Snapshot } from '../snapshot/manifest.ts';

export interface RetentionRow {
  readonly snapshot: Snapshot;
  readonly pinned: boolean;
  readonly decision: RetentionDecision;
}

/** Whether `s` is an environment snapshot of `project` whose environment the configuration still has. */
export function governedBy(project: ProjectConfig, s: Snapshot): boolean {
  return s.environment !== undefined && s.environment.project === project.project && s.env !== undefined && project.environments.has(s.env);
}

/**
 * Decisions for the snapshots the project's policies govern (see governedBy), in the order given.
 * `rule` may adjust an environment's rule (the manual cap applies only max_count).
 */
export function decideRetention(
  project: ProjectConfig,
  snapshots: readonly Snapshot[],
  pins: ReadonlySet<string>,
  now: number,
  rule: (policy: RetentionRule) => RetentionRule = (p) => p,
): RetentionRow[] {
  const governed = snapshots.filter((s) => governedBy(project, s));
  const input: RetentionSnapshot[] = governed.map((s) => ({
    id: s.id,
    env: s.env!,
    time: Date.parse(s.time),
    trigger: s.environment!.trigger,
    pinned: pins.has(s.id),
    tags: s.tags,
  }));
  const decisions = applyRetention(input, (env) => rule(project.environments.get(env)!.policy), now);
  return governed.map((snapshot, i) => ({ snapshot, pinned: pins.has(snapshot.id), decision: decisions[i] }));
}
