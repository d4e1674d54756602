/**
 * LocalStore against the BlobStore contract, plus what only a directory has: the on-disk layout
 * (sharding), temp files of interrupted puts, cleanup after failed writes, and errno mapping.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import { Names } from '../blob-store.ts';
import { describeBlobStore } from '../../testing/blob-store-contract.ts';
import { LocalStore, mapFsError } from './local-store.ts';

describeBlobStore('LocalStore', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'envsnap-local-'));
  return { store: new LocalStore(join(tmp, 'repo')), cleanup: () => rm(tmp, { recursive: true, force: true }) };
});

/** Every file below `dir`, as paths relative to it with '/'. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
}

function errno(code: string, message = `${code}: simulated`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function hex64(start: string): string {
  return start + randomBytes(32).toString('hex').slice(start.length);
}

describe('LocalStore on disk', () => {
  let tmp: string;
  let dir: string;
  let store: LocalStore;

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'envsnap-local-'));
    dir = join(tmp, 'repo');
    store = new LocalStore(dir);
    await store.create();
  });

  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('create() makes the layout folders', async () => {
    for (const f of ['data', 'keys', 'index', 'snapshots', 'locks']) {
      assert.ok((await stat(join(dir, f))).isDirectory(), `${f}/ exists`);
    }
    assert.equal(store.location, dir);
  });

  it('shards data/ names by the first two characters of the id and maps other names directly', async () => {
    const id = hex64('ab');
    await store.put(Names.pack(id), Buffer.from('pack'));
    await store.put(Names.key('k1'), Buffer.from('key'));
    await store.put(Names.config, Buffer.from('cfg'));
    assert.deepEqual(await filesUnder(dir), [`config`, `data/ab/${id}`, `keys/k1`].sort());
    assert.deepEqual(
      (await collectNames(store.list(''))),
      ['config', `data/${id}`, 'keys/k1'].sort(),
    );
  });

  it('writes byte-identical files', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const id = hex64('c3');
    await store.put(Names.pack(id), data);
    assert.ok((await readFile(join(dir, 'data', 'c3', id))).equals(data));
    assert.ok((await store.get(Names.pack(id))).equals(data));
  });

  it('does not list leftover .tmp- files, and removeStaleTemp removes only old ones', async () => {
    const id = hex64('ef');
    await store.put(Names.pack(id), Buffer.from('pack'));
    const oldInShard = join(dir, 'data', 'ef', '.tmp-0123abcd');
    const oldAtRoot = join(dir, '.tmp-deadbeef');
    const fresh = join(dir, 'keys', '.tmp-feedface');
    for (const p of [oldInShard, oldAtRoot, fresh]) await writeFile(p, 'partial');
    const now = Date.now();
    const hourAgo = new Date(now - 3600_000);
    await utimes(oldInShard, hourAgo, hourAgo);
    await utimes(oldAtRoot, hourAgo, hourAgo);

    assert.deepEqual(await collectNames(store.list('')), [`data/${id}`]);
    assert.deepEqual(await collectNames(store.list('keys/')), []);

    assert.equal(await store.removeStaleTemp(60_000, now), 2);
    assert.equal(existsSync(oldInShard), false);
    assert.equal(existsSync(oldAtRoot), false);
    assert.equal(existsSync(fresh), true, 'a temp file younger than the limit may belong to a running put');
    assert.equal(await store.removeStaleTemp(60_000, now), 0);
    assert.ok((await store.get(Names.pack(id))).equals(Buffer.from('pack')));
  });

  it('rejects a huge range of a small object with CORRUPT before allocating it', async () => {
    await store.put(Names.index('i1'), randomBytes(100));
    await assert.rejects(store.getRange(Names.index('i1'), 0, 2 ** 40), (err: unknown) => isEnvsnapError(err, 'CORRUPT'));
  });

  it('removeStaleTemp on a missing directory removes nothing', async () => {
    assert.equal(await new LocalStore(join(tmp, 'nowhere')).removeStaleTemp(0, Date.now()), 0);
  });

  it('rejects with IO and leaves nothing when the parent folder cannot be made', async () => {
    // Tests may run as root, where chmod does not stop writes; a file where a folder belongs does.
    await rm(join(dir, 'keys'), { recursive: true });
    await writeFile(join(dir, 'keys'), 'not a folder');
    await assert.rejects(store.put(Names.key('k1'), Buffer.from('key')), (err: unknown) => {
      assert.ok(isEnvsnapError(err, 'IO'), String(err));
      assert.match(err.message, /keys/);
      return true;
    });
    assert.deepEqual(await filesUnder(dir), ['keys']);
  });

  it('rejects with IO and removes the temp file when the rename fails', async () => {
    // a non-empty folder where the object belongs makes rename fail after the temp file was written
    await mkdir(join(dir, 'snapshots', 's1'));
    await writeFile(join(dir, 'snapshots', 's1', 'inside'), 'x');
    await assert.rejects(store.put(Names.snapshot('s1'), randomBytes(1000)), (err: unknown) => isEnvsnapError(err, 'IO'));
    assert.deepEqual(await filesUnder(dir), ['snapshots/s1/inside']);
  });

  it('creates missing folders on put, even without create()', async () => {
    const bare = new LocalStore(join(tmp, 'bare', 'nested'));
    assert.equal(await bare.exists(), false);
    const id = hex64('01');
    await bare.put(Names.pack(id), Buffer.from('x'));
    assert.equal(await bare.exists(), true);
    assert.equal((await bare.get(Names.pack(id))).toString(), 'x');
  });

  it('exists() is false when the location is a file', async () => {
    await writeFile(join(tmp, 'file'), 'x');
    assert.equal(await new LocalStore(join(tmp, 'file')).exists(), false);
  });

  it('rejects names that could leave the directory', async () => {
    for (const bad of ['', '../x', 'keys/../../x', '/etc/passwd', 'keys//x', 'data/ab/cd', 'keys/.tmp-x', 'a\\b']) {
      await assert.rejects(store.put(bad, Buffer.from('x')), (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT'), bad);
      await assert.rejects(store.get(bad), (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT'), bad);
    }
    await assert.rejects(collectNames(store.list('../')), (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT'));
    assert.deepEqual(await filesUnder(tmp), []);
  });

  it('does not list files outside the layout (an unsharded file in data/)', async () => {
    await writeFile(join(dir, 'data', 'stray'), 'x');
    await mkdir(join(dir, 'data', 'zz'));
    await writeFile(join(dir, 'data', 'zz', 'abc'), 'x');
    assert.deepEqual(await collectNames(store.list('')), []);
  });

  it('treats a folder where an object belongs as an IO error on get and as absent on stat', async () => {
    await mkdir(join(dir, 'index', 'i1'));
    await assert.rejects(store.get(Names.index('i1')), (err: unknown) => isEnvsnapError(err, 'IO'));
    assert.equal(await store.stat(Names.index('i1')), undefined);
  });
});

describe('mapFsError', () => {
  it('maps ENOSPC and EDQUOT to NO_SPACE naming the folder and what to do', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const err = mapFsError(errno(code), '/repo/data/ab/abcd', '/repo/data/ab');
      assert.equal(err.code, 'NO_SPACE');
      assert.match(err.message, /\/repo\/data\/ab/);
      assert.match(err.message, /free space and run again/);
      assert.equal((err.cause as NodeJS.ErrnoException).code, code);
    }
  });

  it('maps a real ENOSPC from the file system', { skip: !existsSync('/dev/full') && 'no /dev/full here' }, async () => {
    // /dev/full answers every write with ENOSPC: the one full medium available without mounting
    const real = await writeFile('/dev/full', 'x').then(
      () => assert.fail('writing /dev/full succeeded'),
      (err: unknown) => err,
    );
    const err = mapFsError(real, '/dev/full');
    assert.equal(err.code, 'NO_SPACE');
    assert.match(err.message, /\/dev/);
  });

  it('maps EACCES and EPERM to IO naming the path and permissions', () => {
    for (const code of ['EACCES', 'EPERM']) {
      const err = mapFsError(errno(code), '/repo/keys/k1');
      assert.equal(err.code, 'IO');
      assert.match(err.message, /\/repo\/keys\/k1/);
      assert.match(err.message, /permission/);
    }
  });

  it('maps other errors to IO naming the path and keeping the detail', () => {
    const err = mapFsError(errno('EIO', 'EIO: i/o error, read'), '/repo/config');
    assert.equal(err.code, 'IO');
    assert.match(err.message, /\/repo\/config/);
    assert.match(err.message, /i\/o error/);
    assert.equal(mapFsError('weird', '/x').code, 'IO');
  });

  it('passes an EnvsnapError through unchanged', () => {
    const original = new EnvsnapError('CORRUPT', 'bad');
    assert.equal(mapFsError(original, '/x'), original);
  });
});

async function collectNames(items: AsyncIterable<{ name: string }>): Promise<string[]> {
  const names: string[] = [];
  for await (const i of items) names.push(i.name);
  return names.sort();
}
