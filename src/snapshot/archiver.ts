/**
 * Archiver: turns a directory tree into tree and data blobs (file tree → repository). Walks depth
 * first with raw (byte) names, reads files through a bounded number of concurrent readers, cuts them
 * with the repository's chunker, and hands chunks to the BlobSaver. A file whose size, mtime, ctime and
 * inode match the parent snapshot keeps its chunk list without being read. Unreadable paths become
 * warnings and mark the snapshot partial; files that change while read are reported.
 *
 * Metadata is read with synchronous lstat/readdir: for a cached local tree that is several times
 * faster than the thread-pool round trip per call, and an unchanged re-snapshot is nothing but that.
 *
 * Memory: one frame per directory level being walked, plus at most `readers` small files and
 * `largeReaders` read windows (2 × max chunk size each) — independent of the number of files.
 */
import { readlink } from 'node:fs/promises';
import { closeSync, fstatSync, lstatSync, openSync, read, readdirSync, readSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { errnoCode } from '../core/errors.ts';
import { Semaphore } from '../core/async.ts';
import type { Logger, Progress } from '../core/logger.ts';
import type { Repository } from '../repo/repository.ts';
import type { BlobSaver } from '../repo/blob-saver.ts';
import { BlobType } from '../repo/blob.ts';
import { nodeFromStat, nodeType, unchangedSince } from '../sources/files/fs-meta.ts';
import type { ExcludeMatcher } from '../sources/files/exclude.ts';
import { decodeTree, encodeName, encodeTree, nodeNameBytes, type Tree, type TreeNode } from './tree.ts';
import type { SnapshotSummary } from './manifest.ts';

/** Which names under a directory were asked for; `all` means the whole directory. */
export interface Selection {
  all: boolean;
  children: Map<string, Selection>;
}

export function selectionFromPaths(paths: readonly string[]): Selection {
  const root: Selection = { all: false, children: new Map() };
  for (const p of paths) {
    const parts = p.split('/').filter((s) => s !== '' && s !== '.');
    let sel = root;
    for (const part of parts) {
      let next = sel.children.get(part);
      if (!next) {
        next = { all: false, children: new Map() };
        sel.children.set(part, next);
      }
      sel = next;
    }
    sel.all = true;
  }
  return root;
}

export interface ArchiveOptions {
  root: string;
  selection: Selection;
  exclude: ExcludeMatcher;
  parentTree?: string;
  logger: Logger;
  progress: Progress;
  readers?: number;
}

export interface ArchiveResult {
  tree: string;
  summary: Omit<SnapshotSummary, 'addedBytes' | 'storedBytes' | 'durationMs'>;
  warnings: string[];
  warningCount: number;
  partial: boolean;
}

const MAX_KEPT_WARNINGS = 100;

export class Archiver {
  private readonly repo: Repository;
  private readonly saver: BlobSaver;
  private readonly opts: ArchiveOptions;
  private readonly small: Semaphore;
  private readonly large: Semaphore;
  private readonly summary = { files: 0, dirs: 0, bytes: 0, newFiles: 0, changedFiles: 0, unchangedFiles: 0 };
  private readonly warnings: string[] = [];
  private warningCount = 0;
  private partial = false;
  private failure: unknown;
  private progressBytes = 0;

  constructor(repo: Repository, saver: BlobSaver, opts: ArchiveOptions) {
    this.repo = repo;
    this.saver = saver;
    this.opts = opts;
    this.small = new Semaphore(opts.readers ?? 8);
    this.large = new Semaphore(2);
  }

  async run(): Promise<ArchiveResult> {
    const tree = await this.archiveDir(Buffer.from(this.opts.root), '', this.opts.selection, this.opts.parentTree);
    return {
      tree,
      summary: { ...this.summary },
      warnings: this.warnings,
      warningCount: this.warningCount,
      partial: this.partial,
    };
  }

  private warn(rel: string, what: string, partial: boolean): void {
    const msg = `${rel || '.'}: ${what}`;
    this.opts.logger.warn(msg);
    this.warningCount++;
    if (this.warnings.length < MAX_KEPT_WARNINGS) this.warnings.push(msg);
    if (partial) this.partial = true;
  }

  private async loadParent(id: string | undefined): Promise<Map<string, TreeNode> | undefined> {
    if (!id) return undefined;
    try {
      const tree = decodeTree(await this.repo.loadBlob(BlobType.tree, Buffer.from(id, 'hex')), id);
      return new Map(tree.nodes.map((n) => [nodeNameBytes(n).toString('latin1'), n]));
    } catch {
      return undefined; // a damaged parent only costs re-reading
    }
  }

  private async archiveDir(abs: Buffer, rel: string, sel: Selection | undefined, parentId: string | undefined): Promise<string> {
    const parent = await this.loadParent(parentId);
    let names: Buffer[];
    if (sel && !sel.all) {
      names = [...sel.children.keys()].map((k) => Buffer.from(k, 'utf8'));
    } else {
      try {
        names = readdirSync(abs, { encoding: 'buffer' });
      } catch (err) {
        this.warn(rel, `cannot list directory (${errnoCode(err) ?? String(err)}); saved empty`, true);
        names = [];
      }
    }
    names.sort(Buffer.compare);
    const nodes: (TreeNode | undefined)[] = new Array(names.length);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < names.length; i++) {
      if (this.failure) break;
      const name = names[i];
      const childAbs = Buffer.concat([abs, SLASH, name]);
      const display = encodeName(name).text;
      const childRel = rel ? `${rel}/${display}` : display;
      const childSel = sel && !sel.all ? sel.children.get(name.toString('utf8')) : undefined;
      if (!childSel && this.opts.exclude(childRel)) continue;
      let st: BigIntStats;
      try {
        st = lstatSync(childAbs, { bigint: true });
      } catch (err) {
        this.warn(childRel, `cannot stat (${errnoCode(err) ?? String(err)}); skipped`, true);
        continue;
      }
      const type = nodeType(st);
      if (!type) continue;
      const node = nodeFromStat(name, st, type);
      const prev = parent?.get(name.toString('latin1'));
      if (type === 'dir') {
        this.summary.dirs++;
        node.subtree = await this.archiveDir(childAbs, childRel, childSel, prev?.type === 'dir' ? prev.subtree : undefined);
        nodes[i] = node;
      } else if (type === 'symlink') {
        try {
          const t = encodeName((await readlink(childAbs, { encoding: 'buffer' })) as Buffer);
          node.target = t.text;
          if (t.raw !== undefined) node.targetRaw = t.raw;
          nodes[i] = node;
        } catch (err) {
          this.warn(childRel, `cannot read link (${errnoCode(err) ?? String(err)}); skipped`, true);
        }
      } else if (type === 'file') {
        this.summary.files++;
        this.summary.bytes += node.size ?? 0;
        if (unchangedSince(node, prev) && prev!.content!.every((h) => this.repo.index.has(Buffer.from(h, 'hex')))) {
          node.content = prev!.content;
          this.summary.unchangedFiles++;
          this.advance(node.size ?? 0, childRel);
          nodes[i] = node;
          continue;
        }
        if (prev?.type === 'file') this.summary.changedFiles++;
        else this.summary.newFiles++;
        const isLarge = (node.size ?? 0) > this.repo.chunker.params.min;
        const sem = isLarge ? this.large : this.small;
        await sem.acquire();
        const idx = i;
        pending.push(
          this.readFile(childAbs, childRel, st, node, isLarge)
            .then((ok) => {
              if (ok) nodes[idx] = node;
            })
            .catch((err: unknown) => {
              this.failure ??= err;
            })
            .finally(() => sem.release()),
        );
      } else {
        nodes[i] = node;
      }
    }
    await Promise.all(pending);
    if (this.failure) throw this.failure;
    const tree: Tree = { nodes: nodes.filter((n): n is TreeNode => n !== undefined) };
    const { id } = await this.saver.save(BlobType.tree, encodeTree(tree));
    return id.toString('hex');
  }

  private advance(bytes: number, rel: string): void {
    this.progressBytes += bytes;
    this.opts.progress.update({
      phase: 'snapshot',
      files: this.summary.files,
      bytes: this.progressBytes,
      addedBytes: this.saver.stats.newBytes,
      currentPath: rel,
    });
  }

  /** Reads and stores one file; false when it could not be read (reported). */
  private async readFile(abs: Buffer, rel: string, before: BigIntStats, node: TreeNode, isLarge: boolean): Promise<boolean> {
    let fd: number;
    try {
      fd = openSync(abs, 'r');
    } catch (err) {
      this.warn(rel, `cannot open (${errnoCode(err) ?? String(err)}); skipped`, true);
      return false;
    }
    try {
      const content: string[] = [];
      const size = Number(before.size);
      let total: number;
      if (!isLarge) {
        // Small file: read synchronously (page-cached reads cost less than a thread-pool round trip)
        // into one exact-size buffer that becomes the single chunk and is handed to a worker uncopied.
        const buf = new Uint8Array(size);
        total = 0;
        while (total < size) {
          const n = readSync(fd, buf, total, size - total, total);
          if (n === 0) break;
          total += n;
        }
        if (total > 0) content.push((await this.saver.save(BlobType.data, total === size ? buf : buf.subarray(0, total))).id.toString('hex'));
      } else {
        total = await this.readChunked(fd, content, rel);
      }
      const after = fstatSync(fd, { bigint: true });
      if (total !== size || after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
        this.warn(rel, 'changed while being read; saved as read', false);
        node.size = total;
      }
      node.content = content;
      this.advance(total, rel);
      return true;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EIO' || code === 'EACCES' || code === 'EPERM') {
        this.warn(rel, `read failed (${code}); skipped`, true);
        return false;
      }
      throw err;
    } finally {
      closeSync(fd);
    }
  }

  private async readChunked(fd: number, content: string[], rel: string): Promise<number> {
    const { max } = this.repo.chunker.params;
    const win = Buffer.allocUnsafe(max * 2);
    let start = 0; // first unconsumed byte in win
    let end = 0; // end of valid data in win
    let pos = 0; // file position of win[end]
    let eof = false;
    let total = 0;
    for (;;) {
      if (!eof && end - start < max) {
        if (start > 0) {
          win.copy(win, 0, start, end);
          end -= start;
          start = 0;
        }
        while (!eof && end < win.length) {
          const bytesRead = await readAsync(fd, win, end, win.length - end, pos);
          if (bytesRead === 0) eof = true;
          end += bytesRead;
          pos += bytesRead;
        }
      }
      if (start >= end) break;
      const len = this.repo.chunker.cut(win, start, end);
      // The chunk is copied into its own buffer: the window is reused, the copy goes to a worker.
      const chunk = new Uint8Array(len);
      chunk.set(win.subarray(start, start + len));
      const id = this.saver.idOf(BlobType.data, chunk);
      content.push((await this.saver.save(BlobType.data, chunk, id)).id.toString('hex'));
      start += len;
      total += len;
      this.advance(0, rel);
    }
    return total;
  }
}

const SLASH = Buffer.from('/');

/** Large files are read off the main thread, in big slices, while the main thread chunks and hashes. */
function readAsync(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}
