/**
 * describeSource: the one contract every Source/Sink driver passes (MySQL, Redis, SQLite), run
 * against MemoryEntries so a failure points at the driver, not the repository. A driver's test file
 * supplies a fixture: a seeded source, an empty target, and a fingerprint a user would compare
 * (table checksums, every key with its TTL and value, the database file's rows).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../core/errors.ts';
import { MemoryLogger, noProgress } from '../core/logger.ts';
import type { CaptureOptions, Sink, Source } from '../sources/source.ts';
import { MemoryEntries } from './memory-entries.ts';

export interface SourceFixture {
  /** A source over freshly seeded data. */
  source(): Promise<Source>;
  /** A sink over a fresh, empty target. */
  sink(): Promise<Sink>;
  /** What a user compares after a round trip; equal fingerprints mean equal data. */
  fingerprint(which: 'source' | 'target'): Promise<string>;
  /** Changes the source's data (insert, update, delete, new key). */
  mutate(): Promise<void>;
  /** Fills the target with data of its own (for the "restore over data" case). */
  dirtyTarget(): Promise<void>;
  /** A source whose server cannot be reached or refuses the credentials. */
  unreachable(): Promise<Source>;
  /** Removes what the fixture created. */
  cleanup(): Promise<void>;
}

export interface SourceContractOptions {
  /** The capture reflects the pinned point even when the source changes during capture. */
  pointInTime: boolean;
}

function opts(): CaptureOptions & { logger: MemoryLogger } {
  return { logger: new MemoryLogger(), progress: noProgress };
}

async function captureAll(source: Source, between?: () => Promise<void>): Promise<{ entries: MemoryEntries; details: Record<string, unknown> }> {
  const o = opts();
  const entries = new MemoryEntries();
  try {
    await source.open(o);
    await source.pin();
    await between?.();
    const r = await source.capture(entries, o);
    return { entries, details: r.details };
  } finally {
    await source.close();
  }
}

async function restoreAll(sink: Sink, entries: MemoryEntries, details: Record<string, unknown>): Promise<void> {
  const o = opts();
  try {
    await sink.open(o);
    await sink.restore(entries, { ...o, details });
  } finally {
    await sink.close();
  }
}

export function describeSource(name: string, makeFixture: () => Promise<SourceFixture>, contract: SourceContractOptions): void {
  describe(`Source contract: ${name}`, () => {
    const withFixture = (fn: (f: SourceFixture) => Promise<void>) => async () => {
      const f = await makeFixture();
      try {
        await fn(f);
      } finally {
        await f.cleanup();
      }
    };

    it(
      'round trip: the restored target fingerprints equal to the source',
      withFixture(async (f) => {
        const before = await f.fingerprint('source');
        const { entries, details } = await captureAll(await f.source());
        assert.ok(entries.list().length > 0, 'the capture wrote no files');
        assert.equal(await f.fingerprint('source'), before, 'the capture modified the source');
        await restoreAll(await f.sink(), entries, details);
        assert.equal(await f.fingerprint('target'), before);
      }),
    );

    it(
      'two captures of unchanged data write identical files (so the repository stores them once)',
      withFixture(async (f) => {
        const a = await captureAll(await f.source());
        const b = await captureAll(await f.source());
        assert.deepEqual(
          b.entries.list().map((e) => e.path),
          a.entries.list().map((e) => e.path),
        );
        for (const { path } of a.entries.list()) assert.ok(a.entries.files.get(path)!.equals(b.entries.files.get(path)!), `${path} differs between two captures`);
      }),
    );

    if (contract.pointInTime) {
      it(
        'changes after pin() are not in the capture',
        withFixture(async (f) => {
          const before = await f.fingerprint('source');
          const { entries, details } = await captureAll(await f.source(), () => f.mutate());
          assert.notEqual(await f.fingerprint('source'), before, 'mutate() changed nothing');
          await restoreAll(await f.sink(), entries, details);
          assert.equal(await f.fingerprint('target'), before);
        }),
      );
    }

    it(
      'a restore over a target with data of its own leaves exactly the snapshot',
      withFixture(async (f) => {
        const before = await f.fingerprint('source');
        const { entries, details } = await captureAll(await f.source());
        await f.dirtyTarget();
        const sink = await f.sink();
        await sink.open(opts());
        assert.notEqual(await sink.describeTarget(), '', 'describeTarget() is empty for a target with data');
        await sink.close();
        await restoreAll(await f.sink(), entries, details);
        assert.equal(await f.fingerprint('target'), before);
      }),
    );

    it(
      'an unreachable source fails open() with SOURCE_UNAVAILABLE naming the source; close() is idempotent',
      withFixture(async (f) => {
        const s = await f.unreachable();
        await assert.rejects(s.open(opts()), (err: unknown) => {
          assert.ok(isEnvsnapError(err, 'SOURCE_UNAVAILABLE'), `expected SOURCE_UNAVAILABLE, got ${String(err)}`);
          assert.ok(err.message.includes(s.name), `the message does not name the source "${s.name}": ${err.message}`);
          assert.ok(!err.message.includes('\n'), 'the message is not one line');
          return true;
        });
        await s.close();
        await s.close();
      }),
    );
  });
}
