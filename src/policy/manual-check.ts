/**
 * The gate in front of a manual snapshot: a policy that refuses manual snapshots (Pro staging and
 * production, or a user's override) stops the request with FORBIDDEN and the policy's one-line reason,
 * which says what to do instead.
 */
import { EnvsnapError } from '../core/errors.ts';
import type { ResolvedPolicy } from './policy.ts';

/** Throws FORBIDDEN unless manual snapshots are allowed for the policy's environment. */
export function checkManualSnapshotAllowed(policy: Pick<ResolvedPolicy, 'manual' | 'env'>): void {
  if (policy.manual.allowed) return;
  throw new EnvsnapError('FORBIDDEN', policy.manual.refusal ?? `manual snapshots are not allowed for ${policy.env}: set manual.allowed: true in its policy in envsnap.yaml to allow them`);
}
