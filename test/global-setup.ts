/**
 * Global setup of `npm test`: one MariaDB, one Redis and one S3 server (Swift) for every test file
 * (see src/testing/servers.ts), started in parallel and handed to the test processes through the
 * environment.
 */
import { startMariaDb, startRedis, startSwift, type Running } from '../src/testing/servers.ts';

const running: Running<unknown>[] = [];

export async function globalSetup(): Promise<void> {
  const started = await Promise.allSettled([startMariaDb(), startRedis(), startSwift()]);
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

export async function globalTeardown(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.stop()));
}
