/**
 * The binlog coordinates a pinned MySQL source records, checked the way a user relies on them
 * (replicating or replaying from the snapshot point): on the server's binlog, every transaction
 * committed before the pin lies before the recorded position, every one committed after lies at or
 * after it, the position is an event boundary, and the recorded GTID is the MariaDB GTID of the
 * last transaction before the position. Checked for the parallel pin (SHOW MASTER STATUS under the
 * commit block) and the single-connection one (binlog_snapshot_file/position of the transaction).
 * Other test files write to the same server meanwhile; the checks hold regardless.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import type { MysqlConnection } from './connection.ts';
import { MysqlSource } from './mysql-source.ts';
import { admin, dropDatabases, newDatabaseName, run, settingsFor } from './test-fixtures.ts';

interface BinlogEvent {
  Log_name: string;
  Pos: number | string;
  Event_type: string;
  End_log_pos: number | string;
  Info: string;
}

describe('the binlog point recorded at the snapshot point', () => {
  let conn: MysqlConnection;
  const db = newDatabaseName('binlog_point');
  before(async () => {
    conn = await admin();
    await run(conn, [`CREATE DATABASE ${db}`, `CREATE TABLE ${db}.before_pin (id int PRIMARY KEY)`, `CREATE TABLE ${db}.after_pin (id int PRIMARY KEY)`]);
  });
  after(async () => {
    await dropDatabases(conn, db);
    await conn.close();
  });

  for (const [parallel, method] of [
    [2, 'backup-stage'],
    [1, 'single-connection'],
  ] as const) {
    it(`${method}: commits before the pin lie before the recorded position, commits after it at or after, and the GTID is the last one before it`, async () => {
      const [start] = await conn.query<{ File: string; Position: number | string }>('SHOW MASTER STATUS');
      await conn.query(`INSERT INTO ${db}.before_pin VALUES (${parallel})`);
      const source = new MysqlSource(await settingsFor(db), { parallel });
      let details: Record<string, unknown>;
      try {
        await source.open({ logger: new MemoryLogger(), progress: noProgress });
        details = (await source.pin()).details;
        await conn.query(`INSERT INTO ${db}.after_pin VALUES (${parallel})`);
      } finally {
        await source.close();
      }
      assert.equal(details.method, method);
      assert.equal(details.binlogFile, start.File, 'the binlog rotated during the test');
      const position = details.binlogPosition as number;
      assert.ok(Number.isInteger(position) && position > Number(start.Position), `binlogPosition ${String(details.binlogPosition)}`);
      assert.match(String(details.gtid), /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/, 'a MariaDB GTID list: domain-server-sequence');

      const events = (await conn.query<BinlogEvent>(`SHOW BINLOG EVENTS IN '${start.File}' FROM ${Number(start.Position)}`)).map((e) => ({
        ...e,
        Pos: Number(e.Pos),
        End_log_pos: Number(e.End_log_pos),
      }));
      assert.ok(
        events.some((e) => e.Pos === position),
        'the recorded position is not where an event starts',
      );
      const touching = (table: string) => events.filter((e) => e.Info.includes(table) && e.Info.includes(db));
      assert.ok(touching('before_pin').length > 0 && touching('after_pin').length > 0, 'the test inserts are not in the binlog');
      for (const e of touching('before_pin')) assert.ok(e.End_log_pos <= position, `the insert before the pin ends at ${e.End_log_pos}, after ${position}`);
      for (const e of touching('after_pin')) assert.ok(e.Pos >= position, `the insert after the pin starts at ${e.Pos}, before ${position}`);

      const gtids = events.filter((e) => e.Event_type === 'Gtid' && e.End_log_pos <= position).map((e) => /GTID (\d+-\d+-\d+)/.exec(e.Info)![1]);
      const last = gtids.at(-1)!;
      const domain = last.split('-')[0];
      assert.equal(
        String(details.gtid)
          .split(',')
          .find((g) => g.startsWith(`${domain}-`)),
        last,
      );
    });
  }
});
