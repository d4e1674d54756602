/**
 * What a user meets when the database changes under a running snapshot: a database dropped after
 * the consistent point fails the capture with SOURCE_FAILED naming the source (never a silently
 * short snapshot), and every connection is released afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import type { MysqlConnection } from './connection.ts';
import { MysqlSource } from './mysql-source.ts';
import { admin, dropDatabases, newDatabaseName, run, settingsFor } from './test-fixtures.ts';

describe('MySQL source: the database disappears during a snapshot', () => {
  let conn: MysqlConnection;
  const db = newDatabaseName('vanish');
  // A user of its own: other test files share the server, so only this user's connections are this test's.
  const user = newDatabaseName('u').slice(0, 32);
  const password = 'vanish test password';

  before(async () => {
    conn = await admin();
    await run(conn, [
      `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`,
      `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%'`,
      `CREATE DATABASE ${db}`,
      `CREATE TABLE ${db}.a (id INT PRIMARY KEY, v VARCHAR(20))`,
      `CREATE TABLE ${db}.b (id INT PRIMARY KEY, v VARCHAR(20))`,
      `INSERT INTO ${db}.a SELECT seq, 'a' FROM ${db}.seq_1_to_1000`,
      `INSERT INTO ${db}.b SELECT seq, 'b' FROM ${db}.seq_1_to_1000`,
    ]);
  });
  after(async () => {
    await dropDatabases(conn, db);
    await run(conn, [`DROP USER IF EXISTS '${user}'@'%'`]);
    await conn.close();
  });

  it('fails with SOURCE_FAILED naming the source, and releases its connections', async () => {
    const settings = await settingsFor(db, { name: 'database default', user, password });
    const source = new MysqlSource(settings, { parallel: 2 });
    const opts = { logger: new MemoryLogger(), progress: noProgress };
    await source.open(opts);
    await source.pin();
    await run(conn, ['SET SESSION lock_wait_timeout = 5', `DROP DATABASE ${db}`]);
    await assert.rejects(source.capture(new MemoryEntries(), opts), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), `expected SOURCE_FAILED, got ${String(err)}`);
      assert.match(err.message, /database default/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    await source.close();
    // The server drops a closed connection from its process list asynchronously: give it a moment.
    let open = -1;
    for (let attempt = 0; attempt < 50 && open !== 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const rows = await conn.query<{ n: number }>(`SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = ? AND id <> CONNECTION_ID()`, [settings.user]);
      open = Number(rows[0].n);
    }
    assert.equal(open, 0, 'connections of the failed snapshot are still open');
  });
});
