/**
 * LocalStore: a BlobStore in a local directory. Object names map to files; `data/<id>` is sharded into
 * `data/<first two chars of id>/<id>` so no single folder holds every pack. Writes go to a `.tmp-` file
 * that is fsync'd and renamed into place (then the folder is fsync'd), so a crash leaves either the
 * whole object or a stray temp file, never a prefix; temp files are invisible to list and are swept
 * by removeStaleTemp. File-system errno codes become EnvsnapError codes in one place, mapFsError.
 */
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EnvsnapError, errnoCode } from '../../core/errors.ts';
import { FdCache } from './fd-cache.ts';
import type { BlobInfo, BlobStore, BlobData, BlobWriter } from '../blob-store.ts';

/**
 * Whether a repository location names a directory (a path, relative or absolute) rather than a URL
 * such as s3://BUCKET/PREFIX.
 */
export function isDirectoryLocation(location: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

/** Prefix of files being written; never an object name. */
export const TEMP_PREFIX = '.tmp-';

/** The folders create() makes; data/ shards are made on demand. */
const FOLDERS = ['data', 'keys', 'index', 'snapshots', 'locks'] as const;

/** Files are private to the owner: keys/ holds (encrypted) key material and data/ is nobody else's business. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** How many files list() and removeStaleTemp() stat at once. */
const STAT_BATCH = 64;

/** Above this, getRange checks the file size before allocating, so a damaged index cannot ask for gigabytes. */
const LARGE_RANGE = 64 * 1024 * 1024;

/**
 * The EnvsnapError for a failed file-system call on `path`. `dir` is the folder named when the medium
 * is full (the folder being written to); it defaults to the parent of `path`.
 * NOT_FOUND is not decided here: whether a missing file is "not found" or an I/O failure depends on the call.
 */
export function mapFsError(err: unknown, path: string, dir: string = dirname(path)): EnvsnapError {
  if (err instanceof EnvsnapError) return err;
  const code = errnoCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new EnvsnapError(
        'NO_SPACE',
        `no space left in ${dir} (${code === 'EDQUOT' ? 'disk quota exceeded' : 'device full'}) while writing ${path}: free space and run again`,
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new EnvsnapError('IO', `permission denied on ${path} (${code}): check the permissions of ${path} and its folders`, {
        cause: err,
      });
    case 'EROFS':
      return new EnvsnapError('IO', `${path} is on a read-only file system: mount it read-write or use another location`, { cause: err });
    default:
      return new EnvsnapError('IO', `file-system error on ${path}: ${detail}`, { cause: err });
  }
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Rejects names that could escape the directory or collide with temp files; names are trusted code paths, so this is a guard, not a parser. */
function checkName(name: string): string[] {
  const parts = name.split('/');
  const bad =
    name.length === 0 ||
    name.includes('\\') ||
    name.includes('\0') ||
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    parts[parts.length - 1].startsWith(TEMP_PREFIX) ||
    (parts[0] === 'data' && parts.length !== 2);
  if (bad) throw new EnvsnapError('INVALID_ARGUMENT', `"${name}" is not a valid object name`);
  return parts;
}

function checkRange(name: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new EnvsnapError('INVALID_ARGUMENT', `invalid range offset=${offset} length=${length} for object ${name}`);
  }
}

async function closeQuietly(fh: FileHandle | undefined): Promise<void> {
  try {
    await fh?.close();
  } catch {
    // the original failure is what the caller needs to see
  }
}

async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // already gone, or the folder itself is unusable; the original failure is reported
  }
}

/** Makes a folder's entries (a rename, a new file or subfolder) survive a crash. */
async function fsyncDir(path: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals renames itself.
  if (process.platform === 'win32') return;
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

interface FoundFile {
  /** Absolute path. */
  path: string;
  /** Folder segments relative to the store's directory, then the file name. */
  parts: string[];
}

export class LocalStore implements BlobStore {
  readonly location: string;
  private readonly dir: string;
  private readonly fds = new FdCache();

  constructor(dir: string) {
    this.dir = dir;
    this.location = dir;
  }

  localPath(name: string): string {
    return this.pathOf(name);
  }

  /** The file of an object: `data/<id>` lives in the shard folder `data/<id[0..2]>/`. */
  private pathOf(name: string): string {
    const parts = checkName(name);
    if (parts[0] === 'data') return join(this.dir, 'data', parts[1].slice(0, 2), parts[1]);
    return join(this.dir, ...parts);
  }

  private notFound(name: string, cause: unknown): EnvsnapError {
    return new EnvsnapError('NOT_FOUND', `object ${name} does not exist in ${this.location}`, { cause });
  }

  async get(name: string): Promise<Buffer> {
    const path = this.pathOf(name);
    try {
      return await readFile(path);
    } catch (err) {
      if (isMissing(err)) throw this.notFound(name, err);
      throw mapFsError(err, path);
    }
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    checkRange(name, offset, length);
    const path = this.pathOf(name);
    try {
      // A zero-length range still has to lie inside the object; a huge one is checked before allocating.
      if (length === 0 || length > LARGE_RANGE) {
        const { size } = await stat(path);
        if (size < offset + length) throw this.tooShort(name, size, offset, length);
      }
      const buf = Buffer.allocUnsafe(length);
      const got = await this.fds.read(path, buf, length, offset);
      if (got < length) throw this.tooShort(name, offset + got, offset, length);
      return buf;
    } catch (err) {
      if (isMissing(err)) throw this.notFound(name, err);
      throw mapFsError(err, path);
    }
  }

  private tooShort(name: string, size: number, offset: number, length: number): EnvsnapError {
    return new EnvsnapError(
      'CORRUPT',
      `object ${name} in ${this.location} ends at byte ${size}, before the requested range ${offset}..${offset + length}: the repository is damaged; run a repository check`,
    );
  }

  async put(name: string, data: BlobData): Promise<void> {
    const w = await this.openWriter(name);
    try {
      await w.append(data);
    } catch (err) {
      await w.abort();
      throw err;
    }
    await w.commit();
  }

  /**
   * Streams an object into a temp file in its final folder; commit fsyncs it, renames it into place
   * and fsyncs the folder (the same atomic, durable write as put), abort removes it.
   */
  async openWriter(name: string): Promise<BlobWriter> {
    const path = this.pathOf(name);
    const folder = dirname(path);
    const tmp = join(folder, TEMP_PREFIX + randomBytes(8).toString('hex'));
    let fh: FileHandle;
    try {
      // Open first and make folders only when missing: the common case (folder exists) costs no mkdir.
      try {
        fh = await open(tmp, 'wx', FILE_MODE);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        await this.makeFolder(folder);
        fh = await open(tmp, 'wx', FILE_MODE);
      }
    } catch (err) {
      throw mapFsError(err, path, folder);
    }
    let open_ = true;
    const fail = async (err: unknown): Promise<never> => {
      if (open_) {
        open_ = false;
        await closeQuietly(fh);
        await unlinkQuietly(tmp);
      }
      throw mapFsError(err, path, folder);
    };
    return {
      append: async (data: BlobData) => {
        try {
          await writeParts(fh, data instanceof Uint8Array ? [data] : data);
        } catch (err) {
          await fail(err);
        }
      },
      commit: async () => {
        let renamed = false;
        try {
          await fh.sync();
          open_ = false;
          await fh.close();
          this.fds.evict(path);
          await rename(tmp, path);
          renamed = true;
          await fsyncDir(folder);
        } catch (err) {
          if (!renamed) {
            await closeQuietly(fh);
            await unlinkQuietly(tmp);
          }
          throw mapFsError(err, path, folder);
        }
      },
      abort: async () => {
        if (!open_) return;
        open_ = false;
        await closeQuietly(fh);
        await unlinkQuietly(tmp);
      },
    };
  }

  /** mkdir -p, then fsync the folders that gained an entry so the new folders survive a crash too. */
  private async makeFolder(folder: string): Promise<void> {
    const first = await mkdir(folder, { recursive: true, mode: DIR_MODE });
    if (first === undefined) return;
    // Every folder from the parent of the first created one down to `folder`'s parent gained an entry.
    for (let d = dirname(folder); ; d = dirname(d)) {
      await fsyncDir(d);
      if (d === dirname(first) || d === dirname(d)) break;
    }
  }

  async delete(name: string): Promise<void> {
    const path = this.pathOf(name);
    this.fds.evict(path);
    try {
      await unlink(path);
    } catch (err) {
      if (isMissing(err)) return;
      throw mapFsError(err, path);
    }
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    const top = prefix.includes('/') ? prefix.slice(0, prefix.indexOf('/')) : '';
    if (top === '.' || top === '..' || prefix.includes('\\') || prefix.includes('\0')) {
      throw new EnvsnapError('INVALID_ARGUMENT', `"${prefix}" is not a valid object name prefix`);
    }
    // Walk only the smallest folder that can hold matching names: one shard when the prefix names it.
    let start: string[] = top === '' ? [] : [top];
    if (top === 'data' && prefix.length >= 'data/'.length + 2) start = ['data', prefix.slice(5, 7)];

    for await (const batch of this.walk(start)) {
      const named: { name: string; path: string }[] = [];
      for (const f of batch) {
        const name = this.nameOf(f.parts);
        if (name !== undefined && name.startsWith(prefix)) named.push({ name, path: f.path });
      }
      // A file deleted between readdir and stat is simply no longer there.
      const infos = await Promise.all(named.map(({ name, path }) => statObject(name, path)));
      for (const info of infos) if (info !== undefined) yield info;
    }
  }

  /** The object name of a file found by walk, or undefined for temp files and files outside the layout. */
  private nameOf(parts: string[]): string | undefined {
    const base = parts[parts.length - 1];
    if (base.startsWith(TEMP_PREFIX)) return undefined;
    if (parts[0] === 'data') {
      // only data/<shard>/<id> with the id in its own shard is readable back through pathOf
      if (parts.length !== 3 || base.slice(0, 2) !== parts[1]) return undefined;
      return `data/${base}`;
    }
    return parts.join('/');
  }

  /**
   * Every non-folder under `start` (segments below the store's directory), recursively, in batches of
   * at most STAT_BATCH so callers can stat a batch concurrently. A missing folder yields nothing.
   */
  private async *walk(start: string[]): AsyncGenerator<FoundFile[]> {
    const pending: string[][] = [start];
    let batch: FoundFile[] = [];
    while (pending.length > 0) {
      const rel = pending.pop() as string[];
      const abs = join(this.dir, ...rel);
      let entries: Dirent[];
      try {
        entries = await readdir(abs, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) continue;
        throw mapFsError(err, abs, abs);
      }
      for (const e of entries) {
        const parts = [...rel, e.name];
        if (e.isDirectory()) {
          pending.push(parts);
        } else {
          batch.push({ path: join(abs, e.name), parts });
          if (batch.length >= STAT_BATCH) {
            yield batch;
            batch = [];
          }
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  async stat(name: string): Promise<BlobInfo | undefined> {
    return statObject(name, this.pathOf(name));
  }

  async exists(): Promise<boolean> {
    try {
      return (await stat(this.dir)).isDirectory();
    } catch (err) {
      if (isMissing(err)) return false;
      throw mapFsError(err, this.dir);
    }
  }

  async create(): Promise<void> {
    try {
      await this.makeFolder(this.dir);
      await Promise.all(FOLDERS.map((f) => mkdir(join(this.dir, f), { recursive: true, mode: DIR_MODE })));
      await fsyncDir(this.dir);
    } catch (err) {
      throw mapFsError(err, this.dir, this.dir);
    }
  }

  /**
   * Deletes temp files left by interrupted puts whose last change is more than `olderThanMs` before
   * `now`; returns how many. The age keeps it from deleting the temp file of a put still running.
   */
  async removeStaleTemp(olderThanMs: number, now: number): Promise<number> {
    let removed = 0;
    for await (const batch of this.walk([])) {
      const counts = await Promise.all(
        batch
          .filter((f) => f.parts[f.parts.length - 1].startsWith(TEMP_PREFIX))
          .map(async (f) => {
            try {
              const st = await stat(f.path);
              if (now - st.mtimeMs <= olderThanMs) return 0;
              await unlink(f.path);
              return 1;
            } catch (err) {
              // renamed into place or swept by another prune meanwhile
              if (isMissing(err)) return 0;
              throw mapFsError(err, f.path);
            }
          }),
      );
      for (const c of counts) removed += c;
    }
    return removed;
  }
}

/** Writes parts back to back with writev, resuming after short writes. */
async function writeParts(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  let rest = parts.filter((p) => p.byteLength > 0);
  while (rest.length > 0) {
    // writev takes at most IOV_MAX (1024) buffers at once.
    const batch = rest.slice(0, 1024);
    let { bytesWritten } = await fh.writev(batch);
    let i = 0;
    while (i < batch.length && bytesWritten >= batch[i].byteLength) bytesWritten -= batch[i++].byteLength;
    const left = i < batch.length ? [batch[i].subarray(bytesWritten), ...batch.slice(i + 1)] : [];
    rest = [...left, ...rest.slice(batch.length)];
  }
}

/** Size and mtime of the object stored at `path`; undefined when it is missing or a folder (not an object). */
async function statObject(name: string, path: string): Promise<BlobInfo | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? { name, size: st.size, modified: Math.floor(st.mtimeMs) } : undefined;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw mapFsError(err, path);
  }
}
