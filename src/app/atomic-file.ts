/**
 * Writing a file so that it exists only when whole: into a temporary file beside the target
 * (private, mode 0600, fsync'd on close), renamed into place when the writer succeeds, removed when
 * it fails — and when the process exits meanwhile (an exit hook), e.g. on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';

/**
 * Runs `write` into a new temporary file beside `path` (private, fsync'd on close) and renames it
 * to `path` when it succeeds; removes it when it fails or the process exits meanwhile.
 */
export async function writeAtomically(path: string, write: (file: Writable) => Promise<void>): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.envsnap-${randomBytes(6).toString('hex')}.tmp`);
  const removeAtExit = () => {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  };
  const fh = await open(temp, 'wx', 0o600);
  process.on('exit', removeAtExit);
  try {
    await write(fh.createWriteStream({ flush: true }));
    await rename(temp, path);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  } finally {
    process.off('exit', removeAtExit);
  }
}
