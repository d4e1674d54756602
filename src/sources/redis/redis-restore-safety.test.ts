/**
 * A Redis restore leaves the target as it was when it fails, against real Redis servers: through
 * a scratch db swapped in with SWAPDB on the shared test server, and in place with the target's
 * keys copied aside on servers where SWAPDB cannot be used (the command renamed, one database, no
 * empty db). Failures are injected as a corrupt DUMP payload deep in the snapshot and as a
 * snapshot file that cannot be read to its end.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger } from '../../core/logger.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import { startRedis, testRedis, type RedisInfo, type Running } from '../../testing/servers.ts';
import type { EntryReader } from '../source.ts';
import { decodeKeyRecords, encodeEnd, encodeHeader, encodeRecordHead, KEYS_FILE } from './record-format.ts';
import { SCRATCH_MARKER } from './scratch-db.ts';
import { allKeys, capture, fingerprint, NAME, redisClient, restore, suiteClaims } from './test-support.ts';

/**
 * `count` keys of several types, every third with a TTL a few milliseconds under an hour, each a
 * different one (just under a whole minute, so the fingerprint's TTL bucket stays put for a while).
 */
async function fill(c: Redis, prefix: string, count: number): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    if (i % 4 === 0) p.hset(key, 'n', String(i), 'who', prefix);
    else if (i % 4 === 1) p.rpush(key, prefix, String(i));
    else p.set(key, `${prefix} value ${i}`);
    if (i % 3 === 0) p.pexpire(key, 3_600_000 - i * 7);
  }
  for (const [err] of (await p.exec()) ?? []) if (err) throw err;
}

/** Everything a user checks: keys, types, values, and each key's exact expiry instant. */
async function state(c: Redis): Promise<string> {
  const expiries: string[] = [];
  for (const key of await allKeys(c)) expiries.push(`${key.toString('hex')} ${await c.pexpiretime(key)}`);
  return `${await fingerprint(c)}\n${expiries.join('\n')}`;
}

/** The snapshot with record `at` (0-based) given a payload whose CRC no longer matches. */
async function withCorruptPayload(entries: MemoryEntries, at: number): Promise<MemoryEntries> {
  const out = new MemoryEntries();
  const parts: Buffer[] = [encodeHeader()];
  let n = 0;
  for await (const r of decodeKeyRecords(entries.read(KEYS_FILE), 'test')) {
    const payload = Buffer.from(r.payload);
    if (n === at) payload[payload.length - 1] ^= 0xff;
    parts.push(encodeRecordHead(r.key, r.expireAt, payload.length), payload);
    n++;
  }
  parts.push(encodeEnd(n));
  await out.writeFile(KEYS_FILE, Buffer.concat(parts));
  return out;
}

/** A reader whose keys.bin fails after `fraction` of its bytes, as a repository read that breaks off does. */
function breakingAfter(entries: MemoryEntries, fraction: number): EntryReader {
  return {
    list: () => entries.list(),
    async *read(path) {
      const all = entries.files.get(path)!;
      const bytes = Math.floor(all.length * fraction);
      for (let at = 0; at < all.length; at += 4096) {
        if (at >= bytes) throw new EnvsnapError('IO', 'reading the snapshot broke off');
        yield all.subarray(at, Math.min(all.length, at + 4096));
      }
    },
  };
}

/** The db a swap restore used as scratch, from its log. */
function scratchOf(logger: MemoryLogger): number {
  const line = logger.lines.find((l) => /restoring into the empty db \d+/.test(l.message));
  assert.ok(line, `no scratch db in the log:\n${logger.lines.map((l) => l.message).join('\n')}`);
  return Number(/empty db (\d+)/.exec(line.message)![1]);
}

const LIMITED_PASSWORD = 'limited-pw-1';

async function keepFiles(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith('envsnap-redis-keep-'));
}

describe('Redis restore through a scratch db and SWAPDB', () => {
  let shared: RedisInfo;
  const { claim, releaseAll } = suiteClaims(() => shared);
  before(async () => {
    shared = await testRedis();
  });
  after(releaseAll);
  const assertScratchEmpty = async (logger: MemoryLogger) => {
    const scratch = redisClient(shared, scratchOf(logger));
    try {
      assert.equal(await scratch.dbsize(), 0);
    } finally {
      scratch.disconnect();
    }
  };

  it('a restore failing halfway (a corrupt payload) leaves the target exactly as it was and the scratch db empty', async () => {
    const src = await claim();
    const dst = await claim();
    await fill(src.client, 'snap', 3000);
    await fill(dst.client, 'mine', 1500);
    const before = await state(dst.client);
    const { result, writer } = await capture(src.url);
    const broken = await withCorruptPayload(writer as MemoryEntries, 2500);

    const logger = new MemoryLogger();
    await assert.rejects(restore(dst.url, broken, result.details, { logger }), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), String(err));
      assert.ok(err.message.startsWith(`${NAME}: restoring key "snap:`), err.message);
      assert.match(err.message, new RegExp(`db ${dst.db} was left as it was`));
      return true;
    });
    assert.equal(await state(dst.client), before);
    await assertScratchEmpty(logger);
  });

  it('a successful restore leaves exactly the snapshot keys with their TTLs, and the scratch db empty', async () => {
    const src = await claim();
    const dst = await claim();
    await fill(src.client, 'snap', 2500);
    await fill(dst.client, 'mine', 700);
    await dst.client.set('snap:2', 'the target has its own value');
    const expected = await state(src.client);
    const { result, writer } = await capture(src.url);

    const logger = await restore(dst.url, writer as MemoryEntries, result.details);
    // dst.client stayed connected to the target's index through the swap: it sees the new keys.
    assert.equal(await dst.client.exists('mine:0', 'mine:699'), 0);
    assert.equal(await dst.client.get('snap:2'), 'snap value 2');
    assert.equal(await dst.client.dbsize(), 2500);
    assert.equal(await fingerprint(dst.client), await fingerprint(src.client));
    // Keys keep the TTL they had at capture, so their expiry is within the test's run of the source's.
    for (const key of ['snap:0', 'snap:3', 'snap:2499']) {
      const drift = (await dst.client.pexpiretime(key)) - (await src.client.pexpiretime(key));
      assert.ok(drift >= 0 && drift < 30_000, `${key}: expiry moved by ${drift} ms`);
    }
    assert.equal(await dst.client.exists(SCRATCH_MARKER), 0);
    assert.equal(await state(src.client), expected);
    await assertScratchEmpty(logger);
  });

  it('an empty db holding nothing but another restore\'s marker is not taken as scratch', async () => {
    const src = await claim();
    const dst = await claim();
    await src.client.set('a', '1');
    const { result, writer } = await capture(src.url);
    const first = scratchOf(await restore(dst.url, writer as MemoryEntries, result.details));
    const busy = redisClient(shared, first);
    try {
      await busy.set(SCRATCH_MARKER, 'another restore');
      const second = scratchOf(await restore(dst.url, writer as MemoryEntries, result.details));
      assert.notEqual(second, first);
      assert.equal(await busy.get(SCRATCH_MARKER), 'another restore');
    } finally {
      await busy.del(SCRATCH_MARKER);
      busy.disconnect();
    }
    assert.equal(await dst.client.get('a'), '1');
  });
});

describe('Redis restore in place where SWAPDB cannot be used', () => {
  const servers: Running<RedisInfo>[] = [];
  after(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });
  const serverWith = async (settings: string[]) => {
    const s = await startRedis({ settings });
    servers.push(s);
    return s.info;
  };
  const url = (info: RedisInfo, db: number) => `redis://${info.host}:${info.port}/${db}`;

  // The restore runs as `user` (password LIMITED_PASSWORD) when one is given.
  for (const [what, settings, target, says, user] of [
    ['SWAPDB renamed away', ['--rename-command', 'SWAPDB', ''], 1, /SWAPDB cannot be used on this server \(.*unknown command/, undefined],
    ['a single database', ['--databases', '1'], 0, /single database/, undefined],
    ["an ACL user limited to the shop's keys", ['--user', 'limited', 'on', `>${LIMITED_PASSWORD}`, '~snap:*', '~mine:*', '+@all'], 1, /no empty db can be taken as scratch db \(NOPERM/, 'limited'],
  ] as const) {
    it(`${what}: the log says so; a failed restore puts back the target's keys and TTLs, a successful one leaves the snapshot`, async () => {
      const info = await serverWith([...settings]);
      const source = redisClient(info, target);
      const dst = redisClient(info, target);
      try {
        await fill(source, 'snap', 2500);
        const snapshot = await fingerprint(source);
        const { result, writer } = await capture(url(info, target));
        await source.flushdb();
        await fill(dst, 'mine', 1200);
        const before = await state(dst);

        const logger = new MemoryLogger();
        const as = user ? { url: url(info, target).replace('redis://', `redis://${user}@`), password: LIMITED_PASSWORD } : { url: url(info, target) };
        await assert.rejects(restore(as.url, breakingAfter(writer as MemoryEntries, 0.8), result.details, { logger, ...as }), (err: unknown) => {
          assert.ok(isEnvsnapError(err, 'IO'), String(err));
          assert.match(err.message, new RegExp(`broke off \\(db ${target} was left as it was\\)$`));
          return true;
        });
        assert.match(logger.warnings().join('\n'), says);
        assert.equal(await state(dst), before);
        assert.deepEqual(await keepFiles(), []);

        await fill(dst, 'snap', 1);
        await restore(as.url, writer as MemoryEntries, result.details, as);
        assert.equal(await dst.dbsize(), 2500);
        assert.equal(await dst.exists('mine:0'), 0);
        assert.equal(await fingerprint(dst), snapshot);
        assert.deepEqual(await keepFiles(), []);
      } finally {
        source.disconnect();
        dst.disconnect();
      }
    });
  }

  it('no empty db besides the target: restores in place and leaves the other dbs alone', async () => {
    const info = await serverWith(['--databases', '2']);
    const other = redisClient(info, 1);
    const dst = redisClient(info, 0);
    try {
      await other.set('snap', 'from the snapshot');
      const { result, writer } = await capture(url(info, 1));
      await other.del('snap');
      await other.set('app', 'uses db 1');
      await dst.set('old', 'x');
      const logger = await restore(url(info, 0), writer as MemoryEntries, result.details);
      assert.match(logger.warnings().join('\n'), /no db other than db 0 is empty/);
      assert.deepEqual((await allKeys(dst)).map(String), ['snap']);
      assert.deepEqual((await allKeys(other)).map(String), ['app']);
    } finally {
      other.disconnect();
      dst.disconnect();
    }
  });
});
