/**
 * Global setup of `npm test`: one MariaDB, one Redis and one S3 server (Swift) for every test file
 * (see src/testing/servers.ts), started in parallel and handed to the test processes through the
 * environment. Every envsnap the tests run keeps its host cache in a temporary XDG_CACHE_HOME.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, startRedis, startSwift, type Running } from '../src/testing/servers.ts';

const running: Running<unknown>[] = [];
/** The host cache of every envsnap the tests run (XDG_CACHE_HOME), so none writes to the user's ~/.cache. */
let cacheHome: string | undefined;

export async function globalSetup(): Promise<void> {
  cacheHome = mkdtempSync(join(tmpdir(), 'envsnap-test-cache-'));
  process.env.XDG_CACHE_HOME = cacheHome;
  const started = await Promise.allSettled([withRetries(() => startMariaDb()), withRetries(() => startRedis()), withRetries(() => startSwift())]);
  for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await globalTeardown();
    throw failed.reason;
  }
  const [db, redis, s3] = running;
  process.env.ENVSNAP_TEST_MARIADB = JSON.stringify(db.info);
  process.env.ENVSNAP_TEST_REDIS = JSON.stringify(redis.info);
  process.env.ENVSNAP_TEST_S3 = JSON.stringify(s3.info);
}

/**
 * A server that fails to start is started again (twice at most) on new free ports: a port found free
 * can be taken by another process before the server binds it.
 */
async function withRetries<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

export async function globalTeardown(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  if (cacheHome) rmSync(cacheHome, { recursive: true, force: true });
}
