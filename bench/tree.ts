/**
 * File-tree walking for the benchmark: every regular file under a directory with its size, and the totals
 * (used for the data-set size and the repository size).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeFile {
  /** Path relative to the walked root, '/'-separated. */
  rel: string;
  abs: string;
  size: number;
}

/** Regular files under `root` in a stable (sorted) order; symlinks and special files are skipped. */
export function* walkFiles(root: string, rel = ''): Generator<TreeFile> {
  const entries = readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) yield* walkFiles(root, childRel);
    else if (entry.isFile()) {
      const abs = join(root, childRel);
      yield { rel: childRel, abs, size: lstatSync(abs).size };
    }
  }
}

export function treeStats(root: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const file of walkFiles(root)) {
    files++;
    bytes += file.size;
  }
  return { files, bytes };
}
