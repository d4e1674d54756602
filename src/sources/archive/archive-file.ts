/**
 * Reading an archive file (a .tgz, a .sql.gz, a plain .sql) as a byte stream, gunzipped when asked,
 * with every failure turned into one line naming the file and what to do: missing or unreadable,
 * not gzip or damaged, or truncated (the gzip stream ends before its end marker). zlib checks the
 * CRC and length at the end of each gzip member, so a stream read to its end without an error is
 * the whole file as it was written.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EnvsnapError, errnoCode, isEnvsnapError } from '../../core/errors.ts';

/** The file's bytes (decompressed when `gzip`); `onRead` gets the count of each piece read from disk. */
export async function* readArchiveFile(path: string, name: string, opts: { gzip: boolean; onRead?: (n: number) => void }): AsyncGenerator<Buffer> {
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (opts.onRead) input.on('data', (b) => opts.onRead!(b.length));
  let out: Readable = input;
  if (opts.gzip) {
    out = input.pipe(createGunzip({ chunkSize: 256 * 1024 }));
    input.on('error', (err) => out.destroy(err));
  }
  try {
    for await (const piece of out) yield piece as Buffer;
  } catch (err) {
    throw archiveReadError(err, name);
  } finally {
    input.destroy();
    out.destroy();
  }
}

/** One line for a failure while reading `name`. */
export function archiveReadError(err: unknown, name: string): EnvsnapError {
  if (isEnvsnapError(err)) return err;
  const code = errnoCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT') return new EnvsnapError('NOT_FOUND', `${name} does not exist: check the file name`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new EnvsnapError('INVALID_ARGUMENT', `${name} cannot be read (permission denied): run as a user who may read it`, { cause: err });
  if (code === 'EISDIR') return new EnvsnapError('INVALID_ARGUMENT', `${name} is a folder: name the archive file itself`, { cause: err });
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) {
    return new EnvsnapError('INVALID_ARGUMENT', `${name} is truncated (its gzip stream ends early): copy the complete file again and import that`, { cause: err });
  }
  if (code?.startsWith('Z_')) {
    return new EnvsnapError('INVALID_ARGUMENT', `${name} is not a gzip file or is damaged (${msg}): check it with "gzip -t ${name}" and copy it again`, { cause: err });
  }
  return new EnvsnapError('IO', `reading ${name} failed (${code ?? msg}): check the file and the disk`, { cause: err });
}
