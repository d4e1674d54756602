/**
 * Restore verification (outside the timing): the size and SHA-256 of every file of a tree, and the
 * differences between the source tree's listing and a restored tree.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { walkFiles } from './tree.ts';

export type Listing = Map<string, { size: number; sha256: string }>;

const buffer = Buffer.alloc(4 * 1024 * 1024);

function hashFile(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export function listTree(root: string): Listing {
  const listing: Listing = new Map();
  for (const file of walkFiles(root)) listing.set(file.rel, { size: file.size, sha256: hashFile(file.abs) });
  return listing;
}

/** Human-readable differences (missing, extra, different files); empty when the trees are equal. */
export function compareTrees(expected: Listing, restoredRoot: string): string[] {
  const actual = listTree(restoredRoot);
  const problems: string[] = [];
  for (const [path, want] of expected) {
    const got = actual.get(path);
    if (!got) problems.push(`missing ${path}`);
    else if (got.size !== want.size) problems.push(`size differs: ${path} (${got.size} instead of ${want.size})`);
    else if (got.sha256 !== want.sha256) problems.push(`content differs: ${path}`);
  }
  for (const path of actual.keys()) if (!expected.has(path)) problems.push(`unexpected ${path}`);
  return problems;
}
