/**
 * Safety margins as data: a repository whose config lacks them (made before they existed) uses the
 * defaults; `NAME=DURATION` changes are validated together with one-line errors naming the settings;
 * stored margins survive reopening and leave every other config field as it was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../core/clock.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { Names } from '../storage/blob-store.ts';
import { MemoryStore } from '../storage/memory/memory-store.ts';
import { openConfig, sealConfig } from './config.ts';
import { Repository } from './repository.ts';
import { DEFAULT_MARGINS, applyMarginSettings, formatSpan, parseSpan } from './safety-margins.ts';

function invalid(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(isEnvsnapError(err, 'INVALID_ARGUMENT'), String(err));
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  };
}

describe('safety margins', () => {
  it('a repository whose config has no margins uses the defaults', async () => {
    const store = new MemoryStore();
    const repo = await Repository.init(store, 'pw', { clock: systemClock });
    const { margins, ...old } = repo.config;
    assert.equal(margins, undefined, 'init stores none: the defaults apply until changed');
    await store.put(Names.config, sealConfig(repo.master.encrypt, old));
    const reopened = await Repository.open(store, 'pw', { clock: systemClock });
    assert.deepEqual(reopened.margins, DEFAULT_MARGINS);
    assert.deepEqual(DEFAULT_MARGINS, { unreferencedMinAgeMs: 2 * 3600_000, lockStaleAgeMs: 30 * 60_000, lockRefreshMs: 5 * 60_000, clockSkewMs: 15 * 60_000 });
  });

  it('stores changed margins in the config, keeping every other field, and reads them back', async () => {
    const store = new MemoryStore();
    const repo = await Repository.init(store, 'pw', { clock: systemClock });
    const before = repo.config;
    const changed = applyMarginSettings(repo.margins, ['prune.unreferenced-min-age=6h', 'lock.clock-skew=5m']);
    await repo.saveMargins(changed);
    const reopened = await Repository.open(store, 'pw', { clock: systemClock });
    assert.deepEqual(reopened.margins, { ...DEFAULT_MARGINS, unreferencedMinAgeMs: 6 * 3600_000, clockSkewMs: 5 * 60_000 });
    const stored = openConfig(repo.master.encrypt, await store.get(Names.config));
    assert.deepEqual({ ...stored, margins: undefined }, { ...before, margins: undefined });
  });

  it('refuses margins that break the invariants, naming the settings, and changes nothing', async () => {
    const store = new MemoryStore();
    const repo = await Repository.init(store, 'pw', { clock: systemClock });
    assert.throws(
      () => applyMarginSettings(repo.margins, ['prune.unreferenced-min-age=40m']),
      invalid(/^prune\.unreferenced-min-age 40m must exceed lock\.stale-age plus lock\.clock-skew \(45m\): raise it or lower those; nothing was changed$/),
    );
    assert.throws(
      () => applyMarginSettings(repo.margins, ['lock.refresh-interval=10m']),
      invalid(/^lock\.stale-age 30m must be at least twice lock\.refresh-interval plus lock\.clock-skew \(35m\)/),
    );
    assert.throws(() => applyMarginSettings(repo.margins, ['lock.refresh-interval=0']), invalid(/^lock\.refresh-interval 0s is too short: use at least 1s/));
    assert.throws(() => applyMarginSettings(repo.margins, ['prune.min-age=3h']), invalid(/^"prune\.min-age=3h" is not a setting: write NAME=DURATION with NAME one of prune\.unreferenced-min-age, lock\.stale-age/));
    assert.throws(() => applyMarginSettings(repo.margins, ['lock.stale-age=30 minutes']), invalid(/^lock\.stale-age "30 minutes" is not a duration/));
    await assert.rejects(repo.saveMargins({ ...DEFAULT_MARGINS, unreferencedMinAgeMs: 1000 }), invalid(/^prune\.unreferenced-min-age 1s must exceed/));
    assert.deepEqual((await Repository.open(store, 'pw', { clock: systemClock })).margins, DEFAULT_MARGINS);
  });

  it('reads and writes durations the way users write them', () => {
    for (const [text, ms] of [['0', 0], ['0s', 0], ['45s', 45_000], ['90m', 90 * 60_000], ['2h', 7_200_000], ['1d', 86_400_000]] as const) {
      assert.equal(parseSpan(text, 'x'), ms, text);
    }
    assert.deepEqual([0, 45_000, 90 * 60_000, 7_200_000, 86_400_000, 1500].map(formatSpan), ['0s', '45s', '90m', '2h', '1d', '1500ms']);
  });
});
