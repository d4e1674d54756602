/**
 * The JSON the API speaks (see docs/openapi.yaml), shared by the server, the CLI's server client and
 * the web pages in src/web. Types only, and no imports: the browser code type-checks this file
 * without Node's types, so it must stand alone. The server modules take their row types from here
 * (activities.ts, users.ts, app/snapshot-row.ts, scheduler/schedule-rows.ts); where one keeps its own
 * interface (rbac.ts's Role, Permission and Principal), app.ts checks at compile time that the two
 * are the same.
 */

export type Role = 'viewer' | 'contributor' | 'admin';
export type Permission = 'view' | 'backup' | 'rollback' | 'delete' | 'pin' | 'schedule' | 'policy' | 'export' | 'users';

export interface ApiError {
  error: { code: string; message: string };
}

// --- activities ---

export type ActivityKind = 'create' | 'restore' | 'delete' | 'expire' | 'scheduled';
export type ActivityState = 'pending' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';

export interface ActivityProgress {
  phase: string;
  files: number;
  bytes: number;
  totalFiles?: number;
  totalBytes?: number;
  /** 0–100 when the totals are known. */
  percent?: number;
}

/** An activity as the server records it, the same for every caller (server/activities.ts). */
export interface ActivityRecord {
  id: string;
  kind: ActivityKind;
  environment: string;
  /** null for the scheduler. */
  user: string | null;
  state: ActivityState;
  params: Record<string, unknown>;
  progress: ActivityProgress | null;
  result: Record<string, unknown> | null;
  error: string | null;
  /** Milliseconds since the epoch, as startedAt and finishedAt. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** An activity as the API answers it: the record, and what the caller may do with it. */
export interface Activity extends ActivityRecord {
  /** The activity is pending or running and the caller has the permission a cancel of its kind needs. */
  canCancel: boolean;
}

export interface ActivityLogLine {
  seq: number;
  at: number;
  level: 'info' | 'warn' | 'debug';
  message: string;
}

// --- environments, snapshots, schedules ---

/** One listed snapshot, as `snapshot:list --json` and the API show it (app/snapshot-row.ts). */
export interface SnapshotRow {
  id: string;
  shortId: string;
  created: string;
  /** Unexpired, with all its data present and not found damaged by check. */
  restorable: boolean;
  /** Why not, when restorable is false: expired, "data missing" (what, e.g. a missing pack) or "damaged" (what check found). */
  notRestorable?: { cause: 'expired' | 'data missing' | 'damaged'; detail?: string };
  expired: boolean;
  type: string;
  backupType: string | null;
  excludeMedia?: true;
  automated: boolean | null;
  live: boolean | null;
  pinned: boolean;
  /** An ISO time, "never", "expired", or null when no policy governs the snapshot. */
  expires: string | null;
  partial: boolean;
  size: number;
  files: number;
  paths: string[];
  root: string;
  hostname: string;
  tags: string[];
  parent?: string;
  environment?: string;
  mode?: string;
  trigger?: string;
  sources?: { kind: string; id: string; bytes: number }[];
}

/**
 * An environment as GET /environments lists it. The API answers `EnvironmentView<Activity>`; the
 * server assembles it with the plain record (operations.ts) and app.ts adds `canCancel` for the caller.
 */
export interface EnvironmentView<A extends ActivityRecord = ActivityRecord> {
  name: string;
  type: string;
  plan: string;
  /** Whether a Backup may be started by hand, and why not. */
  manualSnapshots: { allowed: boolean; reason?: string };
  lastSnapshot: SnapshotRow | null;
  snapshotCount: number;
  nextScheduledRun: string | null;
  /** The pending or running activity, if any. */
  activity: A | null;
}

/** One scheduled run, as `schedule:list --json` and the API show it (scheduler/schedule-rows.ts). */
export interface ScheduleRow {
  environment: string;
  id: string;
  /** `schedules`: the environment's list in envsnap.yaml (editable); `policy`: policy.automatic.schedule, used while there is no list. */
  source: 'schedules' | 'policy';
  /** In words, without the time zone: "daily at 02:30", "weekly on Sunday at 03:00", "cron "0 3 * * *"". */
  schedule: string;
  timezone: string;
  live: boolean;
  type: string;
  /** A system snapshot without pub/media. */
  excludeMedia?: true;
  /** false: listed in schedules: but automatic snapshots are off for the environment. */
  enabled: boolean;
  nextRun?: string;
  /** The last run the scheduler recorded: result (running, ok, failed, skipped), lastStart, lastEnd, snapshotId, error, attempts, times as ISO strings. */
  last?: Record<string, unknown>;
}

/** An environment's schedules and retention policy (GET /environments/{env}/schedules). */
export interface EnvironmentSchedules {
  environment: string;
  /** Whether the environment takes automatic snapshots, and why not. */
  automatic: { enabled: boolean; reason?: string };
  schedules: ScheduleRow[];
  /** Every policy value in envsnap.yaml's terms, with where it was set (plan preset, project, type, environment). */
  policy: { key: string; value: string; origin: string }[];
}

/** The body of PUT /environments/{env}/schedules/{id}. */
/** PUT /environments/{env}/policy: envsnap.yaml's policy keys; null removes one (the type, project or plan value applies again). */
export interface PolicyBody {
  manual?: { allowed?: boolean | null; keep_within?: string | null; max_count?: number | null } | null;
  automatic?: Record<string, unknown> | null;
  keep_tags?: string[] | null;
}

export interface ScheduleBody {
  /** As in envsnap.yaml. */
  schedule: { frequency: 'daily' | 'weekly' | 'monthly'; at: string; weekday?: string; day?: number; timezone: string } | { cron: string; timezone: string };
  live?: boolean;
  type?: 'system' | 'db-media' | 'db';
}

// --- users ---

/** A user's role and reach (POST and PATCH /users answer it). */
export interface Principal {
  name: string;
  role: Role;
  /** Environments the role applies to; empty means all of them. */
  environments: readonly string[];
}

/** A user as GET /users lists it. */
export interface UserView extends Principal {
  createdAt: number;
  hasPassword: boolean;
  tokens: number;
}

export interface Me {
  name: string;
  role: Role;
  environments: string[];
  /** Per environment the user may see, what they may do there. */
  permissions: Record<string, Permission[]>;
  /** Project-wide: whether the user may manage users. */
  canManageUsers: boolean;
  /** Present for console sessions: echo it in X-CSRF-Token on every POST, PUT, PATCH and DELETE. */
  csrfToken?: string;
}
