/**
 * repoRef: a repository location and its password as a RepoRef, with envsnap.yaml's `s3:` block
 * attached where it belongs. Every repository a command opens — --repo, --from, --to, the file's
 * `repository:`, an environment's `copy_to:` — gets its RepoRef here, so the block is applied (or
 * not) by one rule: it describes how to reach the s3:// repositories the file names (its
 * `repository:` and every `copy_to:` repository without an `s3:` block of its own, which a copy on
 * another S3 service has), however a command is pointed at them. Other s3:// locations are reached
 * through the AWS SDK's standard chain alone.
 */
import type { ProjectConfig, S3Config } from '../config/project-config.ts';
import { formatS3Location, isS3Url, parseS3Url } from '../storage/s3/s3-location.ts';
import type { RepoRef } from './context.ts';

export function repoRef(location: string, password: string, project: ProjectConfig | undefined): RepoRef {
  const s3 = project ? s3SettingsFor(project, location) : undefined;
  return { location, password, ...(s3 ? { s3 } : {}) };
}

/**
 * The s3: block for `location` when the project file names it (compared in canonical form: `s3://b/p/`
 * is `s3://b/p`): a copy_to repository's own block, else the project's.
 */
function s3SettingsFor(project: ProjectConfig, location: string): S3Config | undefined {
  const key = canonicalS3(location);
  if (key === undefined) return undefined;
  const copies = [...project.environments.values()].flatMap((e) => (e.copyTo ? [e.copyTo] : []));
  const own = copies.find((c) => c.s3 !== undefined && canonicalS3(c.repository) === key);
  if (own) return own.s3;
  const named = [project.repository, ...copies.map((c) => c.repository)];
  return named.some((n) => canonicalS3(n) === key) ? project.s3 : undefined;
}

/** The canonical form of an s3:// location; undefined for anything else (an invalid URL is reported when the store opens it). */
function canonicalS3(location: string): string | undefined {
  if (!isS3Url(location)) return undefined;
  try {
    return formatS3Location(parseS3Url(location));
  } catch {
    return undefined;
  }
}
