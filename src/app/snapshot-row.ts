/**
 * One listed snapshot as the CLI's `snapshot:list --json` and the server's API show it: Created,
 * Snapshot ID, Restorable, Type, Automated, Live, Size, Expires and the details behind them. The
 * row's type is the API's (server/api-types.ts, a types-only file without imports), so the CLI's JSON
 * and the API's cannot drift apart.
 */
import { backupTypeLabel } from '../policy/backup-types.ts';
import type { Snapshot } from '../snapshot/manifest.ts';
import type { SnapshotRow } from '../server/api-types.ts';
import type { ListedSnapshot } from './manage-snapshots.ts';

export type { SnapshotRow };

export function snapshotRow(r: ListedSnapshot): SnapshotRow {
  const x = r.snapshot;
  return {
    id: x.id,
    shortId: x.id.slice(0, 8),
    created: x.time,
    restorable: r.notRestorable === undefined,
    ...(r.notRestorable ? { notRestorable: r.notRestorable } : {}),
    expired: r.retention?.keep === false,
    type: snapshotType(x),
    backupType: x.environment?.backupType ?? null,
    ...(x.environment?.excludeMedia ? { excludeMedia: true as const } : {}),
    automated: x.environment ? x.environment.trigger === 'automatic' : null,
    live: x.environment ? x.environment.mode === 'live' : null,
    pinned: r.pinned,
    expires: expiresOf(r),
    partial: x.partial,
    size: x.summary.bytes,
    files: x.summary.files,
    paths: x.paths,
    root: x.root,
    hostname: x.hostname,
    tags: x.tags,
    parent: x.parent,
    environment: x.env,
    mode: x.environment?.mode,
    trigger: x.environment?.trigger,
    sources: x.environment?.sources.map((src) => ({ kind: src.kind, id: src.id, bytes: src.bytes })),
  };
}

/** An ISO time, "never", "expired", or null when no policy governs the snapshot. */
export function expiresOf(r: ListedSnapshot): string | null {
  if (r.pinned) return 'never';
  if (r.retention === undefined) return null;
  if (!r.retention.keep) return 'expired';
  return r.retention.expiresAt === undefined ? 'never' : new Date(r.retention.expiresAt).toISOString();
}

/**
 * The recorded backup type (system, "system (no media)", db-media, db); for snapshots of versions
 * that did not record it, derived: system = files and databases, db = databases only, otherwise
 * what it holds ("files", "redis, files"); "paths" for file snapshots.
 */
export function snapshotType(x: Snapshot): string {
  if (!x.environment) return 'paths';
  if (x.environment.backupType) return backupTypeLabel(x.environment.backupType, x.environment.excludeMedia);
  const parts = new Set(x.environment.sources.map((r) => (r.kind === 'mysql' || r.kind === 'sqlite' ? 'database' : r.kind)));
  if (parts.has('database') && parts.has('files')) return 'system';
  if (parts.has('database') && parts.size === 1) return 'db';
  return [...parts].join(', ');
}
