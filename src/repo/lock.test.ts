import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, FakeClock } from '../core/clock.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { MemoryLogger, silentLogger } from '../core/logger.ts';
import { MemoryStore } from '../storage/memory/memory-store.ts';
import { Names } from '../storage/blob-store.ts';
import { Repository } from './repository.ts';
import { acquireLock, listLocks, removeLocks, withLock } from './lock.ts';
import { DEFAULT_MARGINS } from './safety-margins.ts';

describe('locks', () => {
  it('lets shared locks coexist and keeps an exclusive lock out', async () => {
    const repo = await Repository.init(new MemoryStore(), 'pw', { clock: systemClock });
    const a = await acquireLock(repo, { exclusive: false, operation: 'snapshot', logger: silentLogger });
    const b = await acquireLock(repo, { exclusive: false, operation: 'restore', logger: silentLogger });
    await assert.rejects(acquireLock(repo, { exclusive: true, operation: 'prune', logger: silentLogger }), (e) => isEnvsnapError(e, 'LOCKED'));
    assert.equal((await listLocks(repo)).length, 2, 'the refused lock is not left behind');
    await a.release();
    await b.release();
    const x = await acquireLock(repo, { exclusive: true, operation: 'prune', logger: silentLogger });
    await assert.rejects(acquireLock(repo, { exclusive: false, operation: 'snapshot', logger: silentLogger }), /locked: exclusive lock by prune/);
    await x.release();
    assert.equal((await listLocks(repo)).length, 0);
  });

  it('ignores and reports a lock not refreshed for too long; unlock removes it', async () => {
    const clock = new FakeClock();
    const repo = await Repository.init(new MemoryStore(), 'pw', { clock });
    await acquireLock(repo, { exclusive: true, operation: 'prune', logger: silentLogger }); // never released
    clock.advance(DEFAULT_MARGINS.lockStaleAgeMs + 1);
    const logger = new MemoryLogger();
    const lock = await acquireLock(repo, { exclusive: false, operation: 'snapshot', logger });
    assert.match(logger.warnings().join('\n'), /ignoring stale exclusive lock by prune/);
    await lock.release();
    const removed = await removeLocks(repo, false);
    assert.equal(removed.length, 1);
    assert.equal((await listLocks(repo)).length, 0);
  });

  it('treats a damaged lock file as stale instead of blocking every command', async () => {
    const repo = await Repository.init(new MemoryStore(), 'pw', { clock: systemClock });
    await repo.store.put(Names.lock('a'.repeat(64)), Buffer.from('garbage'));
    const lock = await acquireLock(repo, { exclusive: true, operation: 'prune', logger: silentLogger });
    await lock.release();
    const removed = await removeLocks(repo, false);
    assert.equal(removed.length, 1);
    assert.equal(removed[0].staleReason, 'the lock file is damaged');
  });

  it('lets exactly one of two racing acquirers in: both see each other, back off, and one tries again first', async () => {
    const repo = await Repository.init(new MemoryStore(), 'pw', { clock: systemClock });
    // Started together, both write their lock before either lists: without the back-off both would fail.
    const results = await Promise.allSettled([
      acquireLock(repo, { exclusive: true, operation: 'prune', logger: silentLogger }),
      acquireLock(repo, { exclusive: false, operation: 'snapshot', logger: silentLogger }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, 'one gets the lock, the other is refused');
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(isEnvsnapError(lost.reason, 'LOCKED'), String(lost.reason));
    assert.equal((await listLocks(repo)).length, 1, 'the refused lock is not left behind');
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });

  it('reports the failure of the work, not a failed release after it', async () => {
    const repo = await Repository.init(new MemoryStore(), 'pw', { clock: systemClock });
    const logger = new MemoryLogger();
    const del = repo.store.delete.bind(repo.store);
    await assert.rejects(
      withLock(repo, { exclusive: false, operation: 'snapshot', logger }, async () => {
        repo.store.delete = async () => {
          throw new Error('storage went away');
        };
        throw new Error('the work failed');
      }),
      /the work failed/,
    );
    repo.store.delete = del;
    assert.match(logger.warnings().join('\n'), /could not remove lock .*storage went away/);
  });

  it('refreshes a held lock at the stored interval, and once it is removed neither writes it back nor verifies', async () => {
    const repo = await Repository.init(new MemoryStore(), 'pw', { clock: systemClock });
    await repo.saveMargins({ lockRefreshMs: 1000, lockStaleAgeMs: 5000, clockSkewMs: 0, unreferencedMinAgeMs: 6000 });
    const lock = await acquireLock(repo, { exclusive: false, operation: 'snapshot', logger: silentLogger });
    const [{ time: first }] = await listLocks(repo);
    await new Promise((r) => setTimeout(r, 1300));
    const [{ time: refreshed }] = await listLocks(repo);
    assert.ok(refreshed > first, 'refreshed within the interval');
    await lock.verify();

    await removeLocks(repo, true);
    await new Promise((r) => setTimeout(r, 1300));
    assert.deepEqual(await listLocks(repo), [], 'the refresh after the removal did not write it back');
    await assert.rejects(lock.verify(), (err: unknown) => isEnvsnapError(err, 'LOCKED') && /^snapshot stopped before committing: its repository lock [0-9a-f]{8} was removed/.test(err.message));
    await lock.release();
  });
});
