/**
 * Test fixtures for repositories on disk: a temporary directory holding a new repository (optionally
 * behind a decorator such as FaultyStore), a quiet AppContext, and a helper that writes a file tree.
 * Test-only.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { systemClock } from '../core/clock.ts';
import { noProgress, silentLogger } from '../core/logger.ts';
import type { AppContext } from '../app/context.ts';
import { Repository } from '../repo/repository.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { LocalStore } from '../storage/local/local-store.ts';

export const quietContext: AppContext = { clock: systemClock, logger: silentLogger, progress: noProgress };

export interface TempRepo<S extends BlobStore = BlobStore> {
  /** The temporary directory; the repository is its `repo/` folder. */
  dir: string;
  repoDir: string;
  store: S;
  repo: Repository;
  /** Closes the repository (stops its workers) and deletes the directory. */
  dispose(): Promise<void>;
}

/** A new repository (password "pw") in a fresh temporary directory. */
export async function tempRepo<S extends BlobStore = LocalStore>(prefix: string, wrap?: (local: LocalStore) => S): Promise<TempRepo<S>> {
  const dir = await mkdtemp(join(tmpdir(), `envsnap-${prefix}-`));
  const repoDir = join(dir, 'repo');
  const local = new LocalStore(repoDir);
  const store = (wrap ? wrap(local) : local) as S;
  const repo = await Repository.init(store, 'pw', { clock: systemClock });
  return {
    dir,
    repoDir,
    store,
    repo,
    async dispose() {
      await repo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes files (relative path → contents) under root, creating folders as needed. */
export async function writeFiles(root: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), data);
  }
}
