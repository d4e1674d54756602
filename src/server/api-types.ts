/**
 * The JSON the API speaks (see docs/openapi.yaml), shared by the server and the console. Types only:
 * the console imports this file, so it must not import Node code.
 */
import type { SnapshotRow } from '../app/snapshot-row.ts';
import type { ScheduleRow } from '../scheduler/schedule-rows.ts';
import type { Activity, ActivityLogLine } from './activities.ts';

export type { SnapshotRow, Activity, ActivityLogLine, ScheduleRow };

/** An environment's schedules and retention policy (GET /environments/{env}/schedules). */
export interface EnvironmentSchedules {
  environment: string;
  /** Whether the environment takes automatic snapshots, and why not. */
  automatic: { enabled: boolean; reason?: string };
  schedules: ScheduleRow[];
  /** Every policy value in envsnap.yaml's terms, with where it was set (plan preset, project, type, environment). */
  policy: { key: string; value: string; origin: string }[];
}

export interface ApiError {
  error: { code: string; message: string };
}

export interface EnvironmentView {
  name: string;
  type: string;
  plan: string;
  /** Whether a Backup may be started by hand, and why not. */
  manualSnapshots: { allowed: boolean; reason?: string };
  lastSnapshot: SnapshotRow | null;
  snapshotCount: number;
  nextScheduledRun: string | null;
  /** The pending or running activity, if any. */
  activity: Activity | null;
}

export interface Me {
  name: string;
  role: string;
  environments: string[];
  /** Per environment the user may see, what they may do there. */
  permissions: Record<string, string[]>;
  /** Project-wide: whether the user may manage users. */
  canManageUsers: boolean;
  /** Present for console sessions: echo it in X-CSRF-Token on every POST, PUT, PATCH and DELETE. */
  csrfToken?: string;
}
