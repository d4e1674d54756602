/**
 * snapshot:list's Restorable column through the real CLI: a snapshot whose pack is deleted is listed
 * as not restorable (data missing) while the others stay restorable; a snapshot whose pack is
 * corrupted is restorable as far as the structure shows, and not restorable (damaged) once
 * `check --read-data` has found it, until a check that reads all data finds it intact again; --json
 * names the cause and the pack.
 */
import assert from 'node:assert/strict';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { packFiles, pseudoRandom, runCli, runJson, runOk, tempDir } from './helpers.ts';

interface Listed {
  id: string;
  restorable: boolean;
  notRestorable?: { cause: string; detail?: string };
}

describe('snapshot:list Restorable (CLI)', () => {
  it('shows a snapshot whose pack is gone, and one check --read-data found damaged, as not restorable, the others as restorable', async (t) => {
    const dir = await tempDir(t);
    const repo = join(dir, 'repo');
    const opts = { repo, cwd: dir, env: { ENVSNAP_CACHE_DIR: join(dir, 'cache') } };
    await runOk(['init'], opts);

    /** A file snapshot of `name` (its own content, so its own packs), and the packs it added. */
    const snapshot = async (name: string): Promise<{ id: string; packs: { name: string; size: number }[] }> => {
      const before = new Set((await packFiles(repo)).map((p) => p.name));
      await writeFiles(join(dir, name), { 'big.bin': pseudoRandom(600_000, name), 'small.txt': `${name}\n` });
      const { snapshotId } = await runJson<{ snapshotId: string }>(['snapshot:create', name], opts);
      return { id: snapshotId, packs: (await packFiles(repo)).filter((p) => !before.has(p.name)) };
    };
    const a = await snapshot('a');
    const b = await snapshot('b');
    const c = await snapshot('c');
    const list = () => runJson<Listed[]>(['snapshot:list'], opts);
    assert.deepEqual((await list()).map((x) => [x.id, x.restorable]), [[a.id, true], [b.id, true], [c.id, true]]);

    // b's packs are deleted: b is not restorable, and says which pack is missing.
    for (const p of b.packs) await rm(join(repo, p.name));
    let listed = await list();
    assert.deepEqual(listed.map((x) => x.restorable), [true, false, true]);
    assert.equal(listed[1].notRestorable?.cause, 'data missing');
    const missing = b.packs.map((p) => p.name.slice(-64, -56));
    assert.ok(missing.some((short) => listed[1].notRestorable!.detail!.includes(`pack ${short}, which is missing`)), listed[1].notRestorable!.detail);
    const table = await runOk(['snapshot:list'], opts);
    assert.match(table.stdout, new RegExp(`${b.id.slice(0, 8)}\\s+no \\(data missing: run check\\)`));
    assert.match(table.stdout, new RegExp(`${a.id.slice(0, 8)}\\s+yes\\s`));

    // A byte of c's largest pack (its data) flipped: nothing shows it until check reads the data.
    const largest = c.packs.reduce((x, y) => (y.size > x.size ? y : x));
    const flipByte = async () => {
      const fh = await open(join(repo, largest.name), 'r+');
      const byte = Buffer.alloc(1);
      await fh.read(byte, 0, 1, 1000);
      byte[0] ^= 0xff;
      await fh.write(byte, 0, 1, 1000);
      await fh.close();
    };
    await flipByte();
    assert.deepEqual((await list()).map((x) => x.restorable), [true, false, true]);
    const checked = await runCli(['check', '--read-data'], opts);
    assert.notEqual(checked.code, 0, 'check finds the damage');
    listed = await list();
    assert.deepEqual(listed.map((x) => x.restorable), [true, false, false]);
    assert.equal(listed[2].notRestorable?.cause, 'damaged');
    assert.match(listed[2].notRestorable!.detail!, new RegExp(`damaged in pack ${largest.name.slice(-64, -56)}`));
    assert.equal(listed[1].notRestorable?.cause, 'data missing', 'what is missing is still shown as such');
    assert.match((await runOk(['snapshot:list'], opts)).stdout, new RegExp(`${c.id.slice(0, 8)}\\s+no \\(damaged: run check\\)`));

    // A structure-only check cannot see the corruption, so it keeps what reading the data found.
    await runCli(['check'], opts);
    assert.deepEqual((await list()).map((x) => x.restorable), [true, false, false]);

    // Repaired (the byte flipped back), the next check that reads all data finds c intact again.
    await flipByte();
    await runCli(['check', '--read-data'], opts);
    assert.deepEqual((await list()).map((x) => x.restorable), [true, false, true]);
  });
});
