/**
 * The MySQL driver against the Source contract, over a Magento-shaped shop (37 tables, foreign
 * keys, mview triggers, a view, composite keys, a table without primary key) split into many small
 * parts, plus the ways open() must refuse: closed port, wrong password, missing database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import { describeSource } from '../../testing/source-contract.ts';
import { freePort } from '../../testing/servers.ts';
import type { MysqlConnection } from './connection.ts';
import { MysqlSink } from './mysql-sink.ts';
import { MysqlSource } from './mysql-source.ts';
import { admin, dropDatabases, fingerprint, magentoSchema, newDatabaseName, run, settingsFor } from './test-fixtures.ts';

describeSource(
  'mysql',
  async () => {
    const conn = await admin();
    const src = newDatabaseName('snap_src');
    const dst = newDatabaseName('snap_dst');
    await run(conn, magentoSchema(src));
    return {
      // Small parts, so the contract also checks that split tables dump identically twice.
      source: async () => new MysqlSource(await settingsFor(src), { parallel: 2, partBytes: 4096 }),
      sink: async () => new MysqlSink(await settingsFor(dst), { parallel: 2 }),
      fingerprint: (which) => fingerprint(conn, which === 'source' ? src : dst),
      mutate: () =>
        run(conn, [
          `INSERT INTO ${src}.catalog_product_entity (sku, created_at, updated_at) VALUES ('SKU-NEW', NOW(), NOW())`,
          `UPDATE ${src}.sales_order SET status = 'canceled' WHERE entity_id = 3`,
          `DELETE FROM ${src}.cron_schedule WHERE schedule_id > 10`,
          `INSERT INTO ${src}.report_event_log VALUES (9, 9, 9, NOW())`,
          `CREATE TABLE ${src}.created_after_pin (id int PRIMARY KEY)`,
        ]),
      dirtyTarget: () =>
        run(conn, [
          `CREATE DATABASE ${dst}`,
          `CREATE TABLE ${dst}.store (store_id int PRIMARY KEY, other varchar(10))`,
          `INSERT INTO ${dst}.store VALUES (1, 'mine'), (99, 'mine too')`,
          `CREATE TABLE ${dst}.only_in_target (id int PRIMARY KEY)`,
          `CREATE TRIGGER ${dst}.trg_only_in_target BEFORE INSERT ON ${dst}.only_in_target FOR EACH ROW SET NEW.id = NEW.id + 1`,
          `CREATE VIEW ${dst}.v_product_names AS SELECT 1 AS entity_id`,
          `CREATE PROCEDURE ${dst}.p_only_in_target() SELECT 1`,
        ]),
      unreachable: async () => new MysqlSource(await settingsFor(src, { port: await freePort() })),
      cleanup: async () => {
        await dropDatabases(conn, src, dst);
        await conn.close();
      },
    };
  },
  { pointInTime: true },
);

describe('MysqlSource.open / MysqlSink.open refuse clearly', () => {
  let conn: MysqlConnection;
  const db = newDatabaseName('open_src');
  before(async () => {
    conn = await admin();
    await run(conn, [`CREATE DATABASE ${db}`, `CREATE TABLE ${db}.t (id int PRIMARY KEY)`]);
  });
  after(async () => {
    await dropDatabases(conn, db);
    await conn.close();
  });

  const refuses = async (open: () => Promise<void>, close: () => Promise<void>, expect: RegExp) => {
    await assert.rejects(open(), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_UNAVAILABLE'), `expected SOURCE_UNAVAILABLE, got ${String(err)}`);
      assert.match(err.message, /^database default: /);
      assert.match(err.message, expect);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    await close();
  };
  const o = () => ({ logger: new MemoryLogger(), progress: noProgress });

  it('a wrong password: SOURCE_UNAVAILABLE naming the server and user, without the password', async () => {
    const settings = await settingsFor(db, { password: 'not-the-password-3141' });
    const s = new MysqlSource(settings);
    await refuses(() => s.open(o()), () => s.close(), new RegExp(`${settings.host}:${settings.port} refused user "${settings.user}" \\(access denied\\): check the user name and password`));
    const k = new MysqlSink(settings);
    await refuses(() => k.open(o()), () => k.close(), /access denied/);
    await assert.rejects(new MysqlSource(settings).open(o()), (err: Error) => !err.message.includes('not-the-password-3141'));
  });

  it('a closed port: SOURCE_UNAVAILABLE saying the connection was refused', async () => {
    const s = new MysqlSource(await settingsFor(db, { port: await freePort() }));
    await refuses(() => s.open(o()), () => s.close(), /cannot connect to MySQL at 127\.0\.0\.1:\d+ \(connection refused\): check that the server is running/);
  });

  it('a database that does not exist: SOURCE_UNAVAILABLE naming it', async () => {
    const s = new MysqlSource(await settingsFor(`${db}_missing`));
    await refuses(() => s.open(o()), () => s.close(), new RegExp(`database "${db}_missing" does not exist on 127\\.0\\.0\\.1:\\d+`));
  });
});
