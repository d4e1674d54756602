/**
 * A restore of an environment's mounts that fails partway, through the real CLI: the target already
 * holds data, and a pack that only a file in the middle of the snapshot uses is damaged. The restore
 * fails naming the damage; every file of the target is either as it was or the snapshot's version,
 * whole (files are renamed into place only when complete), the damaged file keeps its old content,
 * files the snapshot does not hold are kept, no temporary file is left and maintenance mode is off.
 * Once the pack is repaired (put back from a copy), running the restore again completes it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { oneErrorLine, packFiles, runCli, runJson, runOk, tempDir, walkTree, writePseudoRandomFile, writeShopProject, type TreeEntry } from './helpers.ts';

/** Small files per directory: more than one batch of the restore's parallel file slots. */
const SMALL = 40;

/** var/a/* and var/z/*: small files around var/m/big.bin, in the order the restore walks them. */
async function writeSmallFiles(root: string, tag: string): Promise<void> {
  for (const sub of ['a', 'z']) {
    await mkdir(join(root, 'var', sub), { recursive: true });
    for (let i = 0; i < SMALL; i++) await writeFile(join(root, 'var', sub, `f${String(i).padStart(2, '0')}.txt`), `${tag} ${sub} ${i}\n`);
  }
}

/** sha256 of every file below `root`, by relative path. */
async function fileHashes(root: string): Promise<Map<string, string>> {
  const files = [...(await walkTree(root)).values()].filter((e: TreeEntry) => e.type === 'file');
  return new Map(files.map((e) => [e.display, e.sha256!]));
}

describe('a mounts restore that fails partway (CLI)', () => {
  it('loses nothing at the target: each file as it was or restored whole, no temporary files; after repair the restore completes', async (t) => {
    const dir = await tempDir(t);
    const shop = join(dir, 'shop');
    await writeShopProject(dir, { environment: ['type: integration', 'plan: starter', 'maintenance: { flag: var/.maintenance.flag }'] });
    await runOk(['init'], { cwd: dir });

    // The small files go into the first snapshot's pack; big.bin (in the middle of the walk) into a
    // pack of its own, so damage in the middle of that pack hits big.bin only.
    await writeSmallFiles(shop, 'snapshot');
    await runOk(['-e', 'production', 'snapshot:create'], { cwd: dir });
    const smallPacks = new Set((await packFiles(join(dir, 'repo'))).map((p) => p.name));
    await mkdir(join(shop, 'var', 'm'));
    await writePseudoRandomFile(join(shop, 'var', 'm', 'big.bin'), 8 * 1024 * 1024, 'snapshot big');
    const snap = await runJson<{ snapshotId: string }>(['-e', 'production', 'snapshot:create'], { cwd: dir });
    const snapshotFiles = await fileHashes(join(shop, 'var'));
    const expected = join(dir, 'expected');
    await cp(join(shop, 'var'), expected, { recursive: true, preserveTimestamps: true });

    // The target moves on: every file changes, and one the snapshot does not hold appears.
    await writeSmallFiles(shop, 'target');
    await rm(join(shop, 'var', 'm', 'big.bin'));
    await writePseudoRandomFile(join(shop, 'var', 'm', 'big.bin'), 3 * 1024 * 1024, 'target big');
    await writeFile(join(shop, 'var', 'local-only.txt'), 'made after the snapshot\n');
    const targetFiles = await fileHashes(join(shop, 'var'));

    const bigPack = (await packFiles(join(dir, 'repo'))).filter((p) => !smallPacks.has(p.name)).sort((a, b) => b.size - a.size)[0];
    assert.ok(bigPack && bigPack.size > 8 * 1024 * 1024, 'big.bin is not in a pack of its own');
    const packPath = join(dir, 'repo', bigPack.name);
    const intact = await readFile(packPath);
    const fh = await open(packPath, 'r+');
    const at = Math.floor(bigPack.size / 2);
    await fh.write(Buffer.from([intact[at] ^ 0x01]), 0, 1, at);
    await fh.close();

    const r = await runCli(['-e', 'production', 'snapshot:restore', snap.snapshotId, '--yes'], { cwd: dir });
    assert.equal(r.code, 1, `a restore of damaged data did not fail as documented: exit ${r.code}\n${r.stderr}`);
    const line = oneErrorLine(r);
    assert.match(line, /authentication|damaged/);
    assert.match(line, /check/);

    // After the failure: the damaged big.bin is the target's own, local-only.txt is kept, the files
    // the walk met before big.bin (var/a) are the snapshot's, those after it (var/z) either — each
    // file whole; no temporary file and no maintenance flag.
    const after = await fileHashes(join(shop, 'var'));
    assert.deepEqual([...after.keys()].sort(), [...targetFiles.keys()].sort(), 'the failed restore left a temporary file, or added or removed files');
    assert.equal(after.get('m/big.bin'), targetFiles.get('m/big.bin'), 'the damaged file was not left as it was');
    assert.equal(after.get('local-only.txt'), targetFiles.get('local-only.txt'));
    for (const [rel, hash] of after) {
      const restored = hash === snapshotFiles.get(rel);
      assert.ok(restored || hash === targetFiles.get(rel), `${rel} is neither as it was nor as in the snapshot`);
      if (rel.startsWith('a/')) assert.ok(restored, `${rel}, before the damaged file, was not restored`);
    }
    assert.equal(existsSync(join(shop, 'var', '.maintenance.flag')), false, 'maintenance mode was left on');

    // The documented recovery: repair the repository (here: the pack put back from a copy) and run the restore again.
    await writeFile(packPath, intact);
    await runOk(['check', '--read-data'], { cwd: dir });
    await runOk(['-e', 'production', 'snapshot:restore', snap.snapshotId, '--yes'], { cwd: dir });
    const recovered = await fileHashes(join(shop, 'var'));
    assert.deepEqual(recovered, new Map([...(await fileHashes(expected)), ['local-only.txt', targetFiles.get('local-only.txt')!]]));
  });
});
