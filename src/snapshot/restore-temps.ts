/**
 * Temporary files of a restore that the main thread has created and not yet renamed or removed,
 * apart from the restorer so the CLI's signal handler can remove them without loading it on every
 * run. An interrupted restore must not leave `.envsnap-….tmp` files behind; the workers finish (and
 * rename) the files they are writing before they stop, so only these can be left.
 */
import { unlinkSync } from 'node:fs';

const unfinished = new Set<Buffer>();

export function trackRestoreTemp(path: Buffer): void {
  unfinished.add(path);
}

export function untrackRestoreTemp(path: Buffer): void {
  unfinished.delete(path);
}

/** Removes every temporary file still tracked (the CLI's signal handler calls it once the workers have stopped). */
export function removeRestoreTemps(): void {
  for (const path of unfinished) {
    try {
      unlinkSync(path);
    } catch {}
  }
  unfinished.clear();
}
