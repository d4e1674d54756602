/**
 * Global setup of `npm test`: one MariaDB and one Redis server for every test file (see
 * src/testing/servers.ts), handed to the test processes through the environment.
 */
import { startMariaDb, startRedis, type Running } from '../src/testing/servers.ts';

const running: Running<unknown>[] = [];

export async function globalSetup(): Promise<void> {
  const [db, redis] = await Promise.all([startMariaDb(), startRedis()]);
  running.push(db, redis);
  process.env.ENVSNAP_TEST_MARIADB = JSON.stringify(db.info);
  process.env.ENVSNAP_TEST_REDIS = JSON.stringify(redis.info);
}

export async function globalTeardown(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.stop()));
}
