/**
 * Magento's backup archives by name (System > Tools > Backups): `<unix time>_<type>.<ext>`, one type
 * per backup type of a snapshot (backup-types.ts):
 *   db        <t>_db.sql.gz      the database as an SQL script
 *   snapshot  <t>_snapshot.tgz   system: the files, with the database as var/<t>_db.sql
 *   nomedia   <t>_nomedia.tgz    system without pub/media
 *   media     <t>_media.tgz      db-media: the database and pub/media
 * snapshot:export writes these names; snapshot:import reads them, and any other .sql, .sql.gz,
 * .tar, .tgz or .tar.gz file besides. Pure: no I/O.
 */
import type { EnvironmentBackupType } from './backup-types.ts';

export type MagentoArchiveType = 'db' | 'snapshot' | 'nomedia' | 'media';

/** Magento's archive type for a snapshot of this backup type. */
export function magentoArchiveType(backupType: EnvironmentBackupType, excludeMedia: boolean | undefined): MagentoArchiveType {
  return backupType === 'db' ? 'db' : backupType === 'db-media' ? 'media' : excludeMedia ? 'nomedia' : 'snapshot';
}

/** `<time>_db.sql.gz` or `<time>_<type>.tgz`; `time` in Unix seconds. */
export function magentoArchiveName(time: number, type: MagentoArchiveType): string {
  return type === 'db' ? `${time}_db.sql.gz` : `${time}_${type}.tgz`;
}

/** The name of the database member inside a .tgz (under the root), where Magento's Snapshot backup puts it. */
export function magentoDatabaseMember(time: number): string {
  return `var/${time}_db.sql`;
}

/** Whether a member path is a database member of a Magento archive (`var/<digits>_db.sql`). */
export function isMagentoDatabaseMember(path: string, time?: number): boolean {
  return time !== undefined ? path === magentoDatabaseMember(time) : /^var\/\d+_db\.sql$/.test(path);
}

export interface ImportFileKind {
  /** sql: an SQL dump; tar: a tar archive of files (a database member inside). */
  kind: 'sql' | 'tar';
  gzip: boolean;
  /** The Unix time the name starts with (`<time>_…`, at least 9 digits), if any. */
  time?: number;
  /** Magento's archive type, when the name is exactly one of Magento's. */
  magento?: MagentoArchiveType;
}

const EXTENSIONS: { ext: string; kind: 'sql' | 'tar'; gzip: boolean }[] = [
  { ext: '.sql.gz', kind: 'sql', gzip: true },
  { ext: '.sql', kind: 'sql', gzip: false },
  { ext: '.tar.gz', kind: 'tar', gzip: true },
  { ext: '.tgz', kind: 'tar', gzip: true },
  { ext: '.tar', kind: 'tar', gzip: false },
];

/** What a file is by its name (case-insensitive extension); undefined for an unknown kind. */
export function parseImportFileName(fileName: string): ImportFileKind | undefined {
  const lower = fileName.toLowerCase();
  const e = EXTENSIONS.find((x) => lower.endsWith(x.ext) && lower.length > x.ext.length);
  if (!e) return undefined;
  const stem = fileName.slice(0, fileName.length - e.ext.length);
  const m = /^(\d{9,12})_(.*)$/.exec(stem);
  const out: ImportFileKind = { kind: e.kind, gzip: e.gzip };
  if (m) {
    out.time = Number(m[1]);
    const type = m[2].toLowerCase();
    if (e.kind === 'sql' && type === 'db') out.magento = 'db';
    if (e.kind === 'tar' && (type === 'snapshot' || type === 'nomedia' || type === 'media')) out.magento = type;
  }
  return out;
}
