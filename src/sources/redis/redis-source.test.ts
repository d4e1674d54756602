/**
 * RedisSource / RedisSink against a real Redis server: the source contract over a database with
 * every type (binary, empty and 5 MB strings, small and large hashes, lists, sets, sorted sets, a
 * stream with a consumer group, keys with and without TTL, binary key names), then what the
 * contract does not cover: TTLs after a restore, a 20,000-key round trip in many batches, the
 * capture's meta.json, and the errors a user meets (wrong password, wrong db, server gone,
 * snapshot from a newer Redis).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { isEnvsnapError } from '../../core/errors.ts';
import type { Progress, ProgressState } from '../../core/logger.ts';
import { describeSource } from '../../testing/source-contract.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import { freePort, startRedis, testRedis, type RedisInfo, type Running } from '../../testing/servers.ts';
import type { EntryWriter } from '../source.ts';
import { rdbVersionOf } from './dump-payload.ts';
import { decodeKeyRecords, encodeEnd, encodeHeader, encodeRecordHead, KEYS_FILE } from './record-format.ts';
import { RedisSink } from './redis-sink.ts';
import { META_FILE, type RedisCaptureMeta } from './capture-meta.ts';
import { RedisSource } from './redis-source.ts';
import { capture, claimDb, driverOptions, fingerprint, NAME, redisClient, restore, suiteClaims } from './test-support.ts';

/** The progress a user watches, kept. */
class ProgressLog implements Progress {
  readonly states: ProgressState[] = [];
  update(state: ProgressState): void {
    this.states.push({ ...state });
  }
  done(): void {}
}

/** Keys of every type; TTLs are whole minutes (see the fingerprint's TTL bucket). Returns the count by type. */
async function seed(c: Redis): Promise<Record<string, number>> {
  const p = c.pipeline();
  p.set('str:plain', 'hello');
  p.set('str:empty', '');
  p.set('str:int', '12345');
  p.set('str:binary', Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)));
  p.set('str:large', randomBytes(5 * 1024 * 1024));
  p.set('', 'a key with an empty name');
  p.set(Buffer.from([0x00, 0x01, 0xfe, 0xff]), 'a binary key name');
  p.set(Buffer.from('ключ:ü', 'utf8'), 'a UTF-8 key name');
  p.hset('hash:small', { a: '1', b: '2', c: Buffer.from([0, 255]) });
  p.hset('hash:large', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`field-${i}`, `value-${i}`])));
  p.hset(Buffer.from([0xff, 0x00]), Buffer.from([0x80]), Buffer.from([0x81]));
  p.rpush('list:small', 'x', 'y', 'z');
  p.rpush('list:large', ...Array.from({ length: 10_000 }, (_, i) => `item-${i}`));
  p.sadd('set:ints', 1, 2, 3, 42);
  p.sadd('set:small', 'red', 'green', 'blue');
  p.sadd('set:large', ...Array.from({ length: 1000 }, (_, i) => `member-${i}`));
  p.zadd('zset:small', 1, 'one', 2.5, 'two and a half');
  p.zadd('zset:large', ...Array.from({ length: 300 }, (_, i) => [i * 1.5, `m-${i}`]).flat());
  for (let i = 0; i < 50; i++) p.xadd('stream:events', `${1_700_000_000_000 + i}-0`, 'n', String(i), 'payload', `event ${i}`);
  p.xgroup('CREATE', 'stream:events', 'workers', '0');
  p.xreadgroup('GROUP', 'workers', 'alice', 'COUNT', 10, 'STREAMS', 'stream:events', '>');
  p.set('ttl:string', 'expires', 'EX', 50 * 60);
  p.hset('ttl:hash', 'f', 'v');
  p.pexpire('ttl:hash', 100 * 60 * 1000);
  p.set(Buffer.from([0xfa, 0xce]), 'binary name with ttl', 'EX', 30 * 60);
  const replies = (await p.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  return { hash: 4, list: 2, set: 3, stream: 1, string: 10, zset: 2 };
}

let shared: RedisInfo;
before(async () => {
  shared = await testRedis();
});

describeSource(
  'redis',
  async () => {
    const info = await testRedis();
    const src = await claimDb(info);
    const dst = await claimDb(info);
    await seed(src.client);
    return {
      source: async () => new RedisSource({ name: NAME, url: src.url }),
      sink: async () => new RedisSink({ name: NAME, url: dst.url }),
      fingerprint: async (which) => fingerprint(which === 'source' ? src.client : dst.client),
      mutate: async () => {
        await src.client.set('str:plain', 'changed');
        await src.client.del('list:small');
        await src.client.set('new:key', 'new');
      },
      dirtyTarget: async () => {
        await dst.client.set('str:plain', 'the target has its own value');
        await dst.client.set('only:in:target', 'must be gone after the restore');
        await dst.client.rpush('list:small', 'wrong');
      },
      unreachable: async () => new RedisSource({ name: NAME, url: `redis://127.0.0.1:${await freePort()}/0` }),
      cleanup: async () => {
        await src.release();
        await dst.release();
      },
    };
  },
  { pointInTime: false },
);

function metaOf(entries: MemoryEntries): RedisCaptureMeta {
  return JSON.parse(entries.files.get(META_FILE)!.toString('utf8')) as RedisCaptureMeta;
}

describe('RedisSource and RedisSink', () => {
  const { claim, releaseAll } = suiteClaims(() => shared);
  after(releaseAll);

  it('reports a live capture and writes meta.json with the server, db and keys by type', async () => {
    const src = await claim();
    const byType = await seed(src.client);
    const entries = new MemoryEntries();
    const { pin, result } = await capture(src.url, entries);
    assert.equal(pin.consistent, false);
    assert.equal(pin.details.db, src.db);
    assert.deepEqual(
      entries.list().map((e) => e.path),
      [KEYS_FILE, META_FILE],
    );
    const meta = metaOf(entries);
    assert.equal(meta.db, src.db);
    assert.equal(meta.keys, 22);
    assert.deepEqual(meta.keys_by_type, byType);
    assert.match(meta.redis_version, /^\d+\.\d+/);
    const probe = await src.client.dumpBuffer('str:plain');
    assert.equal(meta.rdb_version, rdbVersionOf(probe!));
    assert.equal(result.bytes, entries.files.get(KEYS_FILE)!.length + entries.files.get(META_FILE)!.length);
    assert.equal(typeof result.details.captured_at_ms, 'number');
  });

  it('restores each key with the TTL it had at capture time', async () => {
    const src = await claim();
    const dst = await claim();
    await src.client.set('session:a', 'logged in', 'EX', 100);
    await src.client.set('config', 'forever');
    const { result, writer } = await capture(src.url);
    await restore(dst.url, writer as MemoryEntries, result.details);
    const pttl = await dst.client.pttl('session:a');
    assert.ok(pttl >= 90_000 && pttl <= 100_000, `session:a has a TTL of ${pttl} ms after the restore, expected 90..100 s`);
    assert.equal(await dst.client.get('session:a'), 'logged in');
    assert.equal(await dst.client.pttl('config'), -1);
  });

  it('without the capture time in the details, keys keep their original expiry instant (and the user is warned)', async () => {
    const src = await claim();
    const dst = await claim();
    await src.client.set('session:a', 'x', 'EX', 1000);
    const expireAt = await src.client.pexpiretime('session:a');
    const { writer } = await capture(src.url);
    const logger = await restore(dst.url, writer as MemoryEntries, {});
    assert.equal(await dst.client.pexpiretime('session:a'), expireAt);
    assert.equal(logger.warnings().length, 1);
  });

  it('round-trips 20,000 keys, written and restored in many batches', async () => {
    const src = await claim();
    const dst = await claim();
    for (let start = 0; start < 20_000; start += 2000) {
      const p = src.client.pipeline();
      for (let i = start; i < start + 2000; i++) {
        if (i % 10 === 0) p.set(`k:${i}`, `value ${i}`, 'EX', 3600);
        else if (i % 10 === 1) p.hset(`h:${i}`, 'f', String(i));
        else p.set(`k:${i}`, randomBytes(i % 200));
      }
      await p.exec();
    }
    const before = await fingerprint(src.client);
    const captureProgress = new ProgressLog();
    const { result, writer } = await capture(src.url, new MemoryEntries(), undefined, captureProgress);
    const entries = writer as MemoryEntries;
    let n = 0;
    let previous: Buffer | undefined;
    for await (const r of decodeKeyRecords(entries.read(KEYS_FILE), 'test')) {
      if (previous) assert.ok(Buffer.compare(previous, r.key) < 0, 'records are not sorted by key');
      previous = r.key;
      n++;
    }
    assert.equal(n, 20_000);
    await dst.client.set('k:1', 'overwritten by the restore');
    const restoreProgress = new ProgressLog();
    await restore(dst.url, entries, result.details, { progress: restoreProgress });
    assert.equal(await dst.client.dbsize(), 20_000);
    assert.equal(await fingerprint(dst.client), before);
    // Both ways went in batches, each reported as it finished: the counts climb to every key.
    for (const [what, log] of [['capture', captureProgress], ['restore', restoreProgress]] as const) {
      const counts = log.states.filter((s) => s.files > 0).map((s) => s.files);
      assert.ok(counts.length >= 20, `${what} reported ${counts.length} batches`);
      assert.deepEqual(counts, [...counts].sort((a, b) => a - b), `${what} progress went backwards`);
      assert.equal(counts.at(-1), 20_000);
    }
  });

  it('an empty database captures to an empty key file, and restoring it empties the target', async () => {
    const src = await claim();
    const dst = await claim();
    const { pin, result, writer } = await capture(src.url);
    assert.equal(pin.details.keys, 0);
    assert.equal(metaOf(writer as MemoryEntries).keys, 0);
    await dst.client.set('old', 'data');
    await restore(dst.url, writer as MemoryEntries, result.details);
    assert.equal(await dst.client.dbsize(), 0);
  });

  it('stops with INTERRUPTED naming the source when the signal fires', async () => {
    const src = await claim();
    await src.client.set('a', '1');
    const source = new RedisSource({ name: NAME, url: src.url });
    const o = { ...driverOptions(), signal: AbortSignal.abort() };
    try {
      await source.open(o);
      await assert.rejects(source.capture(new MemoryEntries(), o), (err: unknown) => isEnvsnapError(err, 'INTERRUPTED') && err.message.startsWith(NAME));
    } finally {
      await source.close();
    }
  });

  it('describeTarget names the server, db and key count, and is empty for an empty db', async () => {
    const dst = await claim();
    const sink = new RedisSink({ name: NAME, url: dst.url });
    try {
      await sink.open(driverOptions());
      assert.equal(await sink.describeTarget(), '');
      await dst.client.mset('a', '1', 'b', '2', 'c', '3');
      assert.equal(await sink.describeTarget(), `redis ${shared.host}:${shared.port} db ${dst.db}: 3 keys`);
    } finally {
      await sink.close();
    }
  });

  it('refuses a snapshot from a newer Redis (RDB version) before touching the target', async () => {
    const src = await claim();
    const dst = await claim();
    await src.client.set('a', 'from the snapshot');
    const { result, writer } = await capture(src.url);
    const entries = writer as MemoryEntries;
    const targetRdb = metaOf(entries).rdb_version!;
    // What a capture on a future Redis looks like: every payload and meta.json carry a higher RDB version.
    const future = new MemoryEntries();
    const parts: Buffer[] = [encodeHeader()];
    let count = 0;
    for await (const r of decodeKeyRecords(entries.read(KEYS_FILE), 'test')) {
      const payload = Buffer.from(r.payload);
      payload.writeUInt16LE(targetRdb + 50, payload.length - 10);
      parts.push(encodeRecordHead(r.key, r.expireAt, payload.length), payload);
      count++;
    }
    parts.push(encodeEnd(count));
    await future.writeFile(KEYS_FILE, Buffer.concat(parts));
    await future.writeFile(META_FILE, Buffer.from(JSON.stringify({ ...metaOf(entries), rdb_version: targetRdb + 50, redis_version: '99.0.0' })));
    await dst.client.set('mine', 'the target keeps this');

    await assert.rejects(restore(dst.url, future, result.details), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), String(err));
      assert.match(err.message, new RegExp(`RDB version ${targetRdb + 50}\\b.*RDB version ${targetRdb}\\b`));
      assert.ok(err.message.startsWith(NAME));
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    assert.equal(await dst.client.get('mine'), 'the target keeps this');
    assert.equal(await dst.client.dbsize(), 1);
  });

  it('a db number the server does not have fails open() instead of using db 0', async () => {
    const source = new RedisSource({ name: NAME, url: `redis://${shared.host}:${shared.port}/64` });
    await assert.rejects(source.open(driverOptions()), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_UNAVAILABLE'), String(err));
      assert.match(err.message, /^redis cache: .*no database 64/);
      return true;
    });
    await source.close();
  });

  it('rejects a URL with a password in it, without repeating the password', () => {
    assert.throws(
      () => new RedisSource({ name: NAME, url: 'redis://:hunter2@127.0.0.1:6379/0' }),
      (err: unknown) => isEnvsnapError(err, 'CONFIG') && err.message.startsWith(NAME) && !err.message.includes('hunter2'),
    );
  });
});

describe('RedisSource on a server of its own', () => {
  let server: Running<RedisInfo>;
  before(async () => {
    server = await startRedis({ settings: ['--requirepass', 'right-password-1'] });
  });
  after(async () => {
    await server.stop();
  });
  const url = () => `redis://${server.info.host}:${server.info.port}/3`;

  it('a wrong or missing password fails open() with SOURCE_UNAVAILABLE, naming the source but not the password', async () => {
    for (const [password, says] of [
      ['wrong-password-2', /refused the credentials.*check the password/],
      [undefined, /requires a password.*set the password/],
    ] as const) {
      const source = new RedisSource({ name: NAME, url: url(), password });
      await assert.rejects(source.open(driverOptions()), (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'SOURCE_UNAVAILABLE'), String(err));
        assert.ok(err.message.startsWith(`${NAME}: `), err.message);
        assert.match(err.message, says);
        assert.ok(!err.message.includes('wrong-password-2') && !err.message.includes('right-password-1'));
        assert.ok(!err.message.includes('\n'));
        return true;
      });
      await source.close();
    }
    const ok = new RedisSource({ name: NAME, url: url(), password: 'right-password-1' });
    await ok.open(driverOptions());
    assert.equal((await ok.pin()).details.keys, 0);
    await ok.close();
  });

  it('a connection lost during the capture fails it with SOURCE_FAILED naming the source', async () => {
    const c = redisClient(server.info, 3, 'right-password-1');
    for (let start = 0; start < 20_000; start += 2000) {
      const p = c.pipeline();
      for (let i = start; i < start + 2000; i++) p.set(`k:${i}`, randomBytes(100));
      await p.exec();
    }
    c.disconnect();
    // A writer that stops the server as soon as the first records arrive.
    const killer: EntryWriter = {
      async writeFile(path, data) {
        let size = 0;
        if (data instanceof Uint8Array) return { size: data.length };
        for await (const piece of data) {
          if (size === 0) await server.stop();
          size += piece.length;
        }
        return { size };
      },
    };
    await assert.rejects(capture(url(), killer, 'right-password-1'), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), String(err));
      assert.ok(err.message.startsWith(`${NAME}: `), err.message);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  });
});
