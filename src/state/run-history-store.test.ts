import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRunHistory } from './run-history-store.ts';

describe('run history in the state database', () => {
  it('keeps the records across opens, in the order they were updated', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-history-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'envsnap.yaml');
    const a = await projectRunHistory(config);
    assert.deepEqual(a.history.entries(), []);
    await Promise.all([a.history.update('production', 'nightly', { result: 'running', lastStart: 1 }), a.history.update('production', 'nightly', { result: 'ok', lastEnd: 2 })]);
    await a.history.update('staging', 'policy', { result: 'failed', error: 'x' });
    await a.history.update('staging', 'policy', { error: undefined });
    a.close();
    const b = await projectRunHistory(config);
    assert.deepEqual(b.history.get('production', 'nightly'), { result: 'ok', lastStart: 1, lastEnd: 2 });
    assert.deepEqual(b.history.get('staging', 'policy'), { result: 'failed' });
    b.close();
  });

  it('imports the schedules.json of older versions once', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envsnap-history-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, '.envsnap', 'state'), { recursive: true });
    await writeFile(join(dir, '.envsnap', 'state', 'schedules.json'), JSON.stringify({ version: 1, runs: { 'production/nightly': { result: 'ok', lastScheduled: 5 } } }));
    const a = await projectRunHistory(join(dir, 'envsnap.yaml'));
    assert.deepEqual(a.history.get('production', 'nightly'), { result: 'ok', lastScheduled: 5 });
    await a.history.update('production', 'nightly', { lastScheduled: 6 });
    a.close();
    // The database wins from now on: the old file is not read again.
    const b = await projectRunHistory(join(dir, 'envsnap.yaml'));
    assert.equal(b.history.get('production', 'nightly')!.lastScheduled, 6);
    b.close();
  });
});
