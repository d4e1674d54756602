/**
 * Small JSON records this host keeps about a repository, in its cache directory under
 * repositories/<repository id>/<name>.json: what snapshot:list found present (a cache) and what check
 * found damaged. Losing one costs only time, or a finding the next check makes again, so a record
 * that cannot be read counts as absent and one that cannot be written is skipped with a debug line.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../core/logger.ts';
import type { Repository } from '../repo/repository.ts';
import { writeAtomically } from './atomic-file.ts';
import { localCacheBase } from './open-repository.ts';

function recordPath(repo: Repository, name: string): string | undefined {
  const base = localCacheBase();
  return base === undefined ? undefined : join(base, 'repositories', repo.config.id, `${name}.json`);
}

export async function readLocalRecord<T>(repo: Repository, name: string): Promise<T | undefined> {
  const path = recordPath(repo, name);
  if (path === undefined) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function writeLocalRecord(repo: Repository, name: string, value: unknown, logger: Logger): Promise<void> {
  const path = recordPath(repo, name);
  if (path === undefined) return;
  try {
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
    await writeAtomically(path, (file) => pipeline(Readable.from([JSON.stringify(value)]), file));
  } catch (err) {
    logger.debug(`could not write ${path} (${err instanceof Error ? err.message : String(err)}); it is only a cache`);
  }
}
