/**
 * Which db a Redis restore takes as scratch, on a private server with four databases: the highest
 * empty one, never the target, one holding keys, or one another environment of the project uses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis, type RedisInfo, type Running } from '../../testing/servers.ts';
import { SCRATCH_MARKER, takeScratchDb } from './scratch-db.ts';
import { redisClient } from './test-support.ts';

describe('takeScratchDb', () => {
  let server: Running<RedisInfo>;
  before(async () => {
    server = await startRedis({ settings: ['--databases', '4'] });
  });
  after(() => server.stop());

  /** Takes a scratch db for target db 0, then gives it back (removes the marker). */
  async function scratchFor(usedDbs?: number[]): Promise<number | string> {
    const client = redisClient(server.info, 0);
    try {
      const choice = await takeScratchDb(client, 0, usedDbs);
      if (!('db' in choice)) return choice.unavailable;
      assert.equal(await client.get(SCRATCH_MARKER) !== null, true, 'the scratch db carries the marker');
      await client.del(SCRATCH_MARKER);
      return choice.db;
    } finally {
      client.disconnect();
    }
  }

  it('takes the highest-numbered empty db, skipping one that holds keys', async () => {
    assert.equal(await scratchFor(), 3);
    const app = redisClient(server.info, 3);
    try {
      await app.set('app:key', 'v');
      assert.equal(await scratchFor(), 2);
    } finally {
      await app.flushdb();
      app.disconnect();
    }
  });

  it('never takes a db another environment is configured to use, even while it is empty', async () => {
    assert.equal(await scratchFor([3, 2]), 1);
    assert.match(String(await scratchFor([1, 2, 3])), /no db other than db 0 is empty/);
  });
});
