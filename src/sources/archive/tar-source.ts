/**
 * TarSource: the members of a tar archive (gzip'd or not) as a file-tree source — how
 * `snapshot:import` turns Magento's backup archives into the mounts of a snapshot, streamed from the
 * file into the repository without extracting anything to disk.
 *
 * Each member is placed by its path relative to the environment's root:
 *   inside    at or below one of the mounts: becomes an entry (file, directory, symlink, hardlink,
 *             FIFO or device, with mode, owner and mtime as the tar carries them — mtime to the
 *             nanosecond when a pax header has it, else to the second)
 *   ancestor  a directory above a mount (pub/ for pub/media): gives that directory its metadata
 *   database  the archive's database dump (var/<t>_db.sql): handed to `onDatabase`, not a file
 *   left out  outside every mount, matching an exclude pattern, or of a kind not kept (counted)
 * A member whose name is absolute or holds `..` is refused (UNSAFE_PATH) before it is read; so is
 * an archive that is not tar or ends early. Run once with a checker (EntryTreeBuilder.checker) the
 * source proves an archive whole and importable without writing anything.
 */
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Header } from 'tar-stream';
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import type { ExcludeMatcher } from '../files/exclude.ts';
import type { CaptureOptions, CaptureResult, EntryMeta, FileTreeWriter, PinResult, Source } from '../source.ts';
import { archiveReadError, readArchiveFile } from './archive-file.ts';

export interface TarSourceSettings {
  /** The archive as the user named it, for messages. */
  name: string;
  path: string;
  gzip: boolean;
  /** Mounts relative to the root ('var', 'pub/media'; '.' for all of it). */
  mounts: readonly string[];
  /** Paths (relative to the root) left out as a snapshot of the mounts leaves them out. */
  exclude: ExcludeMatcher;
  /** Whether a member is the archive's database dump rather than a file of the tree. */
  isDatabase?: (path: string) => boolean;
  /** Reads a database member to its end; without it database members are skipped. */
  onDatabase?: (path: string, data: AsyncIterable<Buffer>) => Promise<void>;
}

/** What a capture found in the archive (CaptureResult.details). */
export interface TarScan {
  members: number;
  files: number;
  dirs: number;
  /** Bytes of the files imported. */
  bytes: number;
  /** The mounts with at least one member at or below them, in the order of the settings. */
  mounts: string[];
  /** Members outside every mount, left out; how many top-level names they have, and the first five. */
  outside: number;
  outsideTops: number;
  outsideExamples: string[];
  /** Members matching an exclude pattern, left out. */
  excluded: number;
  /** Members of a kind not kept (or hardlinks to files left out), left out. */
  unsupported: number;
  /** Paths of the database members. */
  databases: string[];
}

export type MemberPlace = 'inside' | 'ancestor' | 'outside';

/**
 * A member's name as a safe path relative to the root: '' for the root itself ('.', './'),
 * undefined with the reason when it is absolute or climbs out with '..'.
 */
export function memberPath(name: string): { path: string } | { unsafe: string } {
  if (name.includes('\0')) return { unsafe: 'holds a NUL byte' };
  if (name.startsWith('/')) return { unsafe: 'is an absolute path' };
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { unsafe: 'climbs out with ".."' };
  return { path: parts.join('/') };
}

const isUnder = (path: string, base: string) => base === '.' || base === '' || path === base || path.startsWith(`${base}/`);

/** Where a member path lies relative to the mounts. */
export function memberPlace(path: string, mounts: readonly string[]): MemberPlace {
  if (mounts.some((m) => isUnder(path, m))) return 'inside';
  if (mounts.some((m) => m.startsWith(`${path}/`))) return 'ancestor';
  return 'outside';
}

/** Excluded when the path, or a directory between its mount and it, matches a pattern (the mount itself never does). */
function isExcluded(path: string, mounts: readonly string[], exclude: ExcludeMatcher): boolean {
  const mount = mounts.filter((m) => isUnder(path, m)).sort((a, b) => b.length - a.length)[0] ?? '';
  const parts = path.split('/');
  const from = mount === '.' || mount === '' ? 1 : mount.split('/').length + 1;
  for (let i = from; i <= parts.length; i++) if (exclude(parts.slice(0, i).join('/'))) return true;
  return false;
}

/** mtime in nanoseconds: a pax header's (fractional seconds) when present, else the header's seconds. */
function mtimeNs(h: Header): string {
  const pax = (h.pax as Record<string, string> | null | undefined)?.mtime;
  const m = pax ? /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(pax) : null;
  if (m) return (BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))).toString();
  return (BigInt((h.mtime ?? new Date(0)).getTime()) * 1_000_000n).toString();
}

function metaOf(h: Header): EntryMeta {
  return { mode: (h.mode ?? 0o644) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtimeNs: mtimeNs(h) };
}

/** Linux's dev_t from the major and minor numbers a tar header carries. */
function rdevOf(h: Header): number {
  const major = h.devmajor ?? 0;
  const minor = h.devminor ?? 0;
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & 0xfff00) << 12);
}

async function drain(data: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of data);
}

export class TarSource implements Source<FileTreeWriter> {
  readonly kind = 'files' as const;
  readonly name: string;
  private readonly settings: TarSourceSettings;

  constructor(settings: TarSourceSettings) {
    this.settings = settings;
    this.name = settings.name;
  }

  async open(_opts: CaptureOptions): Promise<void> {
    const st = await stat(this.settings.path).catch((err: unknown) => Promise.reject(archiveReadError(err, this.name)));
    if (!st.isFile()) throw new EnvsnapError('INVALID_ARGUMENT', `${this.name} is not a file: name the archive file itself`);
  }

  async pin(): Promise<PinResult> {
    return { consistent: true, details: {} };
  }

  async capture(out: FileTreeWriter, opts: CaptureOptions): Promise<CaptureResult> {
    const s = this.settings;
    const scan: TarScan = { members: 0, files: 0, dirs: 0, bytes: 0, mounts: [], outside: 0, outsideTops: 0, outsideExamples: [], excluded: 0, unsupported: 0, databases: [] };
    const outsideTops = new Set<string>();
    const mountsSeen = new Set<string>();
    /** Members inside the mounts not imported (of a kind not kept): a hardlink to one is left out too. */
    const unsupported = new Set<string>();
    let read = 0;
    let readFailure: unknown;
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        yield* readArchiveFile(s.path, s.name, { gzip: s.gzip, onRead: (n) => (read += n) });
      } catch (err) {
        readFailure = err;
        throw err;
      }
    }
    // Loaded when an archive is read: this module is imported at start-up by every CLI command.
    const { default: tar } = await import('tar-stream');
    const extract = tar.extract();
    const feeding = pipeline(Readable.from(bytes()), extract);
    feeding.catch(() => {});
    const skip = (path: string, why: 'outside' | 'excluded') => {
      scan[why]++;
      const top = path.split('/')[0];
      if (why === 'outside' && !outsideTops.has(top)) {
        outsideTops.add(top);
        scan.outsideTops++;
        if (scan.outsideExamples.length < 5) scan.outsideExamples.push(top);
      }
    };
    // The writer refuses what is no plain tree (a path twice, a member below a file or symlink…): say so naming the member.
    const place = async (name: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (err) {
        if (err === readFailure || !isEnvsnapError(err, 'INVALID_ARGUMENT')) throw err;
        throw new EnvsnapError('INVALID_ARGUMENT', `${s.name}: member ${JSON.stringify(name)} cannot be imported (${err.message}): the archive does not hold a plain tree of files; check it with "tar -tv${s.gzip ? 'z' : ''}f ${s.name}"`, { cause: err });
      }
    };
    try {
      for await (const member of extract) {
        const h = member.header;
        const entry = member as AsyncIterable<Buffer>;
        scan.members++;
        opts.progress.update({ phase: `reading ${s.name}`, files: scan.members, bytes: read });
        const p = memberPath(h.name);
        if ('unsafe' in p) {
          throw new EnvsnapError('UNSAFE_PATH', `${s.name}: member ${JSON.stringify(h.name)} ${p.unsafe}, so it would land outside the shop's root: refusing the archive; unpack it by hand and check it`);
        }
        const path = p.path;
        const isFile = h.type === 'file' || h.type === 'contiguous-file';
        const where = path === '' ? 'root' : isFile && s.isDatabase?.(path) ? 'database' : memberPlace(path, s.mounts);
        if (where === 'database') {
          scan.databases.push(path);
          if (s.onDatabase) await s.onDatabase(path, entry);
        } else if (where === 'outside' || (where === 'ancestor' && h.type !== 'directory')) {
          skip(path, 'outside');
        } else if (where === 'ancestor') {
          await place(h.name, () => out.addEntry(path, { type: 'dir', meta: metaOf(h) }));
        } else if (where === 'inside' && isExcluded(path, s.mounts, s.exclude)) {
          skip(path, 'excluded');
        } else if (where === 'inside') {
          mountsSeen.add(s.mounts.find((m) => isUnder(path, m))!);
          await place(h.name, () => this.addMember(out, path, h, entry, scan, unsupported, opts));
        }
        await drain(entry);
      }
      await feeding;
    } catch (err) {
      if (isEnvsnapError(err)) throw err;
      const code = (err as { code?: string } | null)?.code;
      if (code !== undefined && /^(Z_|E[A-Z])/.test(code)) throw archiveReadError(err, s.name);
      throw new EnvsnapError('INVALID_ARGUMENT', `${s.name} is not a readable tar archive (${(err as Error).message}): check it with "tar -t${s.gzip ? 'z' : ''}f ${s.name}" and copy it again`, { cause: err });
    } finally {
      extract.destroy();
    }
    scan.mounts = s.mounts.filter((m) => mountsSeen.has(m));
    return { bytes: scan.bytes, details: { ...scan } };
  }

  private async addMember(out: FileTreeWriter, path: string, h: Header, data: AsyncIterable<Buffer>, scan: TarScan, unsupported: Set<string>, opts: CaptureOptions): Promise<void> {
    const s = this.settings;
    switch (h.type) {
      case 'file':
      case 'contiguous-file': {
        const { size } = await out.writeFile(path, data, metaOf(h));
        scan.files++;
        scan.bytes += size;
        return;
      }
      case 'directory':
        out.addEntry(path, { type: 'dir', meta: metaOf(h) });
        scan.dirs++;
        break;
      case 'symlink':
        out.addEntry(path, { type: 'symlink', target: Buffer.from(h.linkname ?? '', 'utf8'), meta: metaOf(h) });
        break;
      case 'link': {
        const target = memberPath(h.linkname ?? '');
        if ('unsafe' in target) {
          throw new EnvsnapError('UNSAFE_PATH', `${this.name}: member ${JSON.stringify(h.name)} is a hardlink to ${JSON.stringify(h.linkname)}, which ${target.unsafe}: refusing the archive; unpack it by hand and check it`);
        }
        const imported = memberPlace(target.path, s.mounts) === 'inside' && !isExcluded(target.path, s.mounts, s.exclude) && !s.isDatabase?.(target.path) && !unsupported.has(target.path);
        if (!imported) {
          opts.logger.warn(`${this.name}: ${path} is left out: it is a hardlink to ${target.path}, which is not imported`);
          scan.unsupported++;
          break;
        }
        out.addEntry(path, { type: 'hardlink', target: target.path });
        scan.files++;
        break;
      }
      case 'fifo':
      case 'character-device':
      case 'block-device':
        out.addEntry(path, { type: h.type === 'fifo' ? 'fifo' : h.type === 'character-device' ? 'chardev' : 'blockdev', rdev: rdevOf(h), meta: metaOf(h) });
        break;
      default:
        opts.logger.warn(`${this.name}: ${path} is left out: envsnap does not keep members of type ${String(h.type)}`);
        unsupported.add(path);
        scan.unsupported++;
    }
  }

  async close(): Promise<void> {}
}
