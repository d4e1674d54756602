import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../core/clock.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { MemoryStore } from '../storage/memory/memory-store.ts';
import { Names } from '../storage/blob-store.ts';
import { Repository } from './repository.ts';

const opts = { clock: systemClock };

describe('Repository keys', () => {
  it('opens with any of its keys, and not with a wrong password', async () => {
    const store = new MemoryStore();
    const repo = await Repository.init(store, 'first', opts);
    const second = await repo.addKey('second');
    await repo.close();
    const a = await Repository.open(store, 'first', opts);
    const b = await Repository.open(store, 'second', opts);
    assert.equal(b.keyId, second);
    assert.ok(a.master.encrypt.equals(b.master.encrypt), 'both keys unwrap the same master key');
    await assert.rejects(Repository.open(store, 'third', opts), (e) => isEnvsnapError(e, 'WRONG_PASSWORD'));
  });

  it('still opens with a good key when another key file is damaged', async () => {
    const store = new MemoryStore();
    const repo = await Repository.init(store, 'good', opts);
    const other = await repo.addKey('other');
    await store.put(Names.key(other), Buffer.from('{ not json'));
    const again = await Repository.open(store, 'good', opts);
    assert.equal(again.keyId, repo.keyId);
    await assert.rejects(Repository.open(store, 'other', opts), /1 key file\(s\) are damaged/);
  });

  it('changes a password: the old one stops working, the new one opens', async () => {
    const store = new MemoryStore();
    const repo = await Repository.init(store, 'old', opts);
    await repo.changePassword('new');
    await Repository.open(store, 'new', opts);
    await assert.rejects(Repository.open(store, 'old', opts), (e) => isEnvsnapError(e, 'WRONG_PASSWORD'));
  });

  it('refuses to remove the key in use', async () => {
    const store = new MemoryStore();
    const repo = await Repository.init(store, 'pw', opts);
    await assert.rejects(repo.removeKey(repo.keyId), /the one in use/);
  });
});

describe('Repository.init on a location that holds objects', () => {
  const refusal = async (store: MemoryStore) => {
    let message = '';
    await assert.rejects(Repository.init(store, 'pw', opts), (e) => {
      message = (e as Error).message;
      return isEnvsnapError(e, 'INVALID_ARGUMENT');
    });
    return message;
  };

  it('calls leftovers of an interrupted init (config and envsnap key files) an unfinished repository', async () => {
    const store = new MemoryStore();
    await (await Repository.init(store, 'pw', opts)).close();
    await store.delete(Names.marker);
    assert.match(await refusal(store), /holds an unfinished envsnap repository/);
  });

  it("never calls another tool's repository ours, even with a config object", async () => {
    const store = new MemoryStore();
    await store.create();
    await store.put('config', Buffer.from('restic config'));
    await store.put('keys/0123abcd', Buffer.from('{"kdf":"scrypt"}'));
    const m = await refusal(store);
    assert.match(m, /is not empty \(it holds 2 object\(s\) that are not an envsnap repository/);
    assert.doesNotMatch(m, /unfinished|delete/);
    assert.equal((await store.get('config')).toString(), 'restic config', 'nothing was touched');
  });
});

describe('Repository config', () => {
  it('takes the pack size the store prefers, and keeps it for every later writer', async () => {
    const store: MemoryStore & { preferredPackSize?: number } = Object.assign(new MemoryStore(), { preferredPackSize: 3 * 1024 * 1024 });
    const repo = await Repository.init(store, 'pw', opts);
    assert.equal(repo.config.packSize, 3 * 1024 * 1024);
    await repo.close();
    // The size is the repository's, not the store's: it holds when the store stops preferring one.
    store.preferredPackSize = undefined;
    const again = await Repository.open(store, 'pw', opts);
    assert.equal(again.config.packSize, 3 * 1024 * 1024);
    const plain = await Repository.init(new MemoryStore(), 'pw', opts);
    assert.equal(plain.config.packSize, 16 * 1024 * 1024);
  });
});

describe('Repository worker threads', () => {
  it('runs onWorkersStart once, when the workers first start, and not before', async () => {
    const repo = await Repository.init(new MemoryStore(), 'pw', opts);
    let started = 0;
    repo.onWorkersStart = () => started++;
    await repo.loadIndex();
    assert.equal(started, 0, 'loading the index starts no workers');
    const pool = repo.workers();
    assert.equal(repo.workers(), pool);
    assert.equal(started, 1);
    await repo.close();
  });
});
