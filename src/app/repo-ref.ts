/**
 * repoRef: a repository location and its password as a RepoRef, with envsnap.yaml's `s3:` block
 * attached where it belongs. Every repository a command opens — --repo, --from, --to, the file's
 * `repository:`, an environment's `copy_to:` — gets its RepoRef here, so the block is applied (or
 * not) by one rule: it describes how to reach the s3:// repositories the file names (its
 * `repository:` and every `copy_to:` repository), however a command is pointed at them. Other
 * s3:// locations are reached through the AWS SDK's standard chain alone.
 */
import type { ProjectConfig } from '../config/project-config.ts';
import { formatS3Location, isS3Url, parseS3Url } from '../storage/s3/s3-location.ts';
import type { RepoRef } from './context.ts';

export function repoRef(location: string, password: string, project: ProjectConfig | undefined): RepoRef {
  const s3 = project?.s3 && namedInProject(project, location) ? project.s3 : undefined;
  return { location, password, ...(s3 ? { s3 } : {}) };
}

/** Whether `location` is one of the s3:// repositories of the project file (compared in canonical form: `s3://b/p/` is `s3://b/p`). */
function namedInProject(project: ProjectConfig, location: string): boolean {
  const key = canonicalS3(location);
  if (key === undefined) return false;
  const named = [project.repository, ...[...project.environments.values()].map((e) => e.copyTo?.repository)];
  return named.some((n) => n !== undefined && canonicalS3(n) === key);
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
