/**
 * Prune while another host writes, on one in-memory repository with a fake clock: the writer's lock
 * is lost mid-snapshot (removed by `unlock --remove-all`, or left unrefreshed past lock.stale-age as
 * a stalled process would) and a prune runs at that moment. The prune keeps the writer's packs that
 * no index lists yet (younger than prune.unreferenced-min-age) and deletes an old unused one; the
 * writer then refuses to commit (LOCKED, exit code 11); check finds no errors and the earlier
 * snapshot restores byte-identical.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { check, prune, unlock } from '../app/maintain.ts';
import { createSnapshot } from '../app/create-snapshot.ts';
import { restoreSnapshot } from '../app/restore-snapshot.ts';
import { exitCodeFor } from '../cli/exit-codes.ts';
import { FakeClock } from '../core/clock.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { noProgress, silentLogger } from '../core/logger.ts';
import { BlobType, blobId } from '../repo/blob.ts';
import { PackWriter } from '../repo/pack-writer.ts';
import { Repository } from '../repo/repository.ts';
import { DEFAULT_MARGINS } from '../repo/safety-margins.ts';
import { listSnapshotIds } from '../snapshot/manifest.ts';
import { FaultyStore } from '../storage/faulty/faulty-store.ts';
import { MemoryStore } from '../storage/memory/memory-store.ts';
import { writeFiles } from '../testing/temp-repo.ts';
import type { PruneStats } from './prune.ts';

describe('prune while a snapshot is being written', () => {
  let dir: string;
  const open: Repository[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envsnap-prune-writing-'));
  });
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A pack of one random blob that no snapshot uses, as an interrupted run leaves behind; returns its id. */
  async function strayPack(repo: Repository): Promise<string> {
    const data = randomBytes(4000);
    const id = blobId(repo.blobKeys.ids, BlobType.data, data);
    const { data: sealed, flags } = await repo.workers().seal(BlobType.data, id, data);
    let packId = '';
    const writer = new PackWriter(repo.store, repo.master.encrypt, repo.config.packSize, (p) => {
      packId = p;
    });
    await writer.add(BlobType.data, id, flags, data.length, sealed);
    await writer.flush();
    return packId;
  }

  const ways = {
    'its lock is removed': async (other: Repository) => {
      assert.equal((await unlock(other, true)).length, 1, "the writer's lock");
    },
    'it stalls past lock.stale-age': async (_other: Repository, clock: FakeClock) => {
      clock.advance(DEFAULT_MARGINS.lockStaleAgeMs + 1000);
    },
  };

  for (const [way, loseLock] of Object.entries(ways)) {
    it(`a writer whose lock is lost because ${way} refuses to commit; the prune meanwhile keeps its new packs`, async () => {
      const clock = new FakeClock(Date.now());
      const ctx = { clock, logger: silentLogger, progress: noProgress };
      const memory = new MemoryStore({ clock });
      const faulty = new FaultyStore(memory);
      const writer = await Repository.init(faulty, 'pw', { clock });
      const other = await Repository.open(memory, 'pw', { clock }); // another host
      open.push(writer, other);

      const first = join(dir, 'first');
      await writeFiles(first, { 'a.bin': randomBytes(300 * 1024), 'b.txt': 'b\n' });
      const s0 = (await createSnapshot(ctx, writer, { root: first })).snapshot;
      const stray = await strayPack(writer);
      clock.advance(DEFAULT_MARGINS.unreferencedMinAgeMs + 60_000);

      const second = join(dir, 'second');
      await writeFiles(second, { 'c.bin': randomBytes(500 * 1024) });
      let pruned: PruneStats | undefined;
      let packsAtPrune = new Set<string>();
      faulty.afterPut('data/', async () => {
        await loseLock(other, clock);
        pruned = await prune(ctx, other, {});
        packsAtPrune = new Set((await other.listPacks()).keys());
      });
      await assert.rejects(createSnapshot(ctx, writer, { root: second }), (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'LOCKED'), String(err));
        assert.equal(exitCodeFor(err.code), 11);
        assert.match(err.message, /^snapshot stopped before committing: its repository lock [0-9a-f]{8} (was removed|was not refreshed for)/);
        assert.match(err.message, /nothing was committed — run it again$/);
        return true;
      });

      assert.ok(pruned, 'the prune ran while the snapshot was being written');
      assert.ok(pruned.youngPacksKept >= 1, "the writer's new pack is kept");
      const after = await other.listPacks();
      assert.ok(!after.has(stray), 'the stray pack, older than the margin, is deleted');
      for (const id of packsAtPrune) assert.ok(after.has(id), `pack ${id.slice(0, 8)} present after the prune is still there`);
      assert.deepEqual(await listSnapshotIds(other), [s0.id], 'the refused snapshot is not listed');

      const reopened = await Repository.open(memory, 'pw', { clock });
      open.push(reopened);
      const c = await check(ctx, reopened, { readData: { subsetPercent: 100 } });
      assert.deepEqual(c.errors, []);
      const target = join(dir, 'restore');
      await restoreSnapshot(ctx, reopened, { snapshot: s0.id, target });
      assert.ok((await readFile(join(target, 'a.bin'))).equals(await readFile(join(first, 'a.bin'))));
      assert.equal(await readFile(join(target, 'b.txt'), 'utf8'), 'b\n');
    });
  }
});
