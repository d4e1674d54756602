/**
 * Backup types of an environment snapshot, after Magento's System > Tools > Backups:
 *   system    databases, Redis and every mount ("System Backup"); with excludeMedia the mounts
 *             without pub/media ("Include Media folder" unticked)
 *   db-media  databases and pub/media only ("Database and Media Backup"); Redis is neither a
 *             database nor media, so it is left out
 *   db        databases only (MySQL/MariaDB and SQLite; "Database Backup")
 * backupScope turns a type into what to capture: the mounts (relative to the environment's root),
 * extra exclude patterns, and whether Redis is included. Pure: no I/O.
 */
import { EnvsnapError } from '../core/errors.ts';

/** The one list of backup types: snapshot:create --type, policy.automatic.backup_type and schedules[].backup_type (a tuple for z.enum). */
export const ENVIRONMENT_BACKUP_TYPES = ['system', 'db-media', 'db'] as const;
export type EnvironmentBackupType = (typeof ENVIRONMENT_BACKUP_TYPES)[number];

/** Magento's media folder, relative to the environment's root. */
export const MEDIA_PATH = 'pub/media';

export interface BackupScope {
  type: EnvironmentBackupType;
  excludeMedia: boolean;
  /** The mounts to capture, relative to the root; empty for db. */
  mounts: string[];
  /** Exclude patterns to add to the environment's own (pub/media under a wider mount). */
  exclude: string[];
  redis: boolean;
}

export function isBackupType(v: string): v is EnvironmentBackupType {
  return (ENVIRONMENT_BACKUP_TYPES as readonly string[]).includes(v);
}

const isUnder = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/**
 * What a snapshot of the given type captures of an environment with these mounts. Throws
 * INVALID_ARGUMENT for excludeMedia with a type other than system, and for db-media when
 * pub/media is neither a mount nor under one.
 */
export function backupScope(env: { name: string; mounts: readonly string[] }, type: EnvironmentBackupType = 'system', excludeMedia = false): BackupScope {
  if (excludeMedia && type !== 'system') {
    throw new EnvsnapError('INVALID_ARGUMENT', `--exclude-media applies to --type system only (${type === 'db' ? 'db has no files at all' : 'db-media is the databases and the media'}): drop --exclude-media, or use --type system`);
  }
  const mounts = [...env.mounts];
  switch (type) {
    case 'db':
      return { type, excludeMedia: false, mounts: [], exclude: [], redis: false };
    case 'db-media': {
      const inside = mounts.filter((m) => isUnder(m, MEDIA_PATH));
      if (inside.length > 0) return { type, excludeMedia: false, mounts: inside, exclude: [], redis: false };
      if (mounts.some((m) => isUnder(MEDIA_PATH, m))) return { type, excludeMedia: false, mounts: [MEDIA_PATH], exclude: [], redis: false };
      throw new EnvsnapError(
        'INVALID_ARGUMENT',
        `environment ${env.name} has no ${MEDIA_PATH} among its mounts (${mounts.length ? mounts.join(', ') : 'none'}): add ${MEDIA_PATH} to its mounts in envsnap.yaml, or use --type db (databases only) or --type system`,
      );
    }
    case 'system': {
      if (!excludeMedia) return { type, excludeMedia: false, mounts, exclude: [], redis: true };
      const kept = mounts.filter((m) => !isUnder(m, MEDIA_PATH));
      // A wider mount (pub, or the whole root as ".") holds the media: exclude the folder itself.
      const exclude = kept.some((m) => m === '.' || m === '' || isUnder(MEDIA_PATH, m)) ? [MEDIA_PATH] : [];
      return { type, excludeMedia: true, mounts: kept, exclude, redis: true };
    }
  }
}

/**
 * The backup type of a snapshot holding databases and files found elsewhere (an imported archive):
 * db without files, db-media when every file is in pub/media, else system — "no media" when the
 * environment has pub/media (as a mount or under one) and none of the files is in it.
 */
export function backupTypeOfContents(envMounts: readonly string[], files: { media: boolean; other: boolean }): { type: EnvironmentBackupType; excludeMedia: boolean } {
  if (!files.media && !files.other) return { type: 'db', excludeMedia: false };
  if (!files.other) return { type: 'db-media', excludeMedia: false };
  const envHasMedia = envMounts.some((m) => m === '.' || m === '' || isUnder(m, MEDIA_PATH) || isUnder(MEDIA_PATH, m));
  return { type: 'system', excludeMedia: !files.media && envHasMedia };
}

/** Where a path of the files lies for backupTypeOfContents: in pub/media, a folder above it (pub), or elsewhere. */
export function mediaPlace(path: string): 'media' | 'above' | 'other' {
  return isUnder(path, MEDIA_PATH) ? 'media' : MEDIA_PATH.startsWith(`${path}/`) ? 'above' : 'other';
}

/** The label snapshot:list shows: system, "system (no media)", db-media, db. */
export function backupTypeLabel(type: EnvironmentBackupType, excludeMedia: boolean | undefined): string {
  return type === 'system' && excludeMedia ? 'system (no media)' : type;
}
