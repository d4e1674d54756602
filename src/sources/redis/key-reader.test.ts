/**
 * Reading a live database: key names sorted bytewise, keys deleted since SCAN left out, and the
 * absolute expiry read both ways (PEXPIRETIME on Redis 7+, server time + PTTL before).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testRedis } from '../../testing/servers.ts';
import { expiryModeFor, readKeys, scanKeyNames } from './key-reader.ts';
import { NO_EXPIRY } from './record-format.ts';
import { claimDb, type ClaimedDb } from './test-support.ts';

describe('key reader', () => {
  let db: ClaimedDb;
  before(async () => {
    db = await claimDb(await testRedis());
  });
  after(async () => {
    await db.release();
  });

  it('lists every key name once, sorted bytewise (binary names included)', async () => {
    await db.client.flushdb();
    const names = [Buffer.from('b'), Buffer.from('a'), Buffer.from([0xff]), Buffer.from([0x00, 0x01]), Buffer.alloc(0), Buffer.from('ab')];
    for (const n of names) await db.client.set(n, 'v');
    const p = db.client.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`bulk:${i}`, 'v');
    await p.exec();
    const listed = await scanKeyNames(db.client, 'redis cache');
    assert.equal(listed.length, names.length + 3000);
    for (let i = 1; i < listed.length; i++) assert.ok(Buffer.compare(listed[i - 1], listed[i]) < 0, 'not sorted or not unique');
    assert.deepEqual(listed[0], Buffer.alloc(0));
    assert.deepEqual(listed.at(-1), Buffer.from([0xff]));
  });

  it('leaves out keys deleted since they were listed', async () => {
    await db.client.flushdb();
    await db.client.set('stays', 'v');
    const records = await readKeys(db.client, [Buffer.from('gone'), Buffer.from('stays')], 'pexpiretime');
    assert.deepEqual(
      records.map((r) => r.key.toString()),
      ['stays'],
    );
    assert.equal(records[0].expireAt, NO_EXPIRY);
  });

  it('reads the absolute expiry with PEXPIRETIME, and close to it from PTTL on older servers', async () => {
    await db.client.flushdb();
    await db.client.set('session', 'v', 'EX', 600);
    await db.client.set('forever', 'v');
    const exact = await db.client.pexpiretime('session');
    const keys = [Buffer.from('forever'), Buffer.from('session')];
    const [forever, session] = await readKeys(db.client, keys, 'pexpiretime');
    assert.equal(forever.expireAt, NO_EXPIRY);
    assert.equal(session.expireAt, exact);
    const [, approx] = await readKeys(db.client, keys, 'pttl');
    // Server time (ms, rounded down) + PTTL: never later than the real expiry, and not far before it.
    assert.ok(approx.expireAt <= exact && approx.expireAt > exact - 60_000, `${approx.expireAt} vs ${exact}`);
    assert.deepEqual(approx.payload, session.payload);
  });

  it('picks PEXPIRETIME from Redis 7 on', () => {
    assert.equal(expiryModeFor('7.0.15'), 'pexpiretime');
    assert.equal(expiryModeFor('8.2.1'), 'pexpiretime');
    assert.equal(expiryModeFor('6.2.14'), 'pttl');
    assert.equal(expiryModeFor('unknown'), 'pttl');
  });
});
