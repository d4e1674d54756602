/**
 * Archiver: turns a directory tree into tree and data blobs (file tree → repository). Walks depth
 * first with raw (byte) names and hands files to the BlobSaver, which has worker threads read, cut
 * and hash them (a bounded number of files at a time) while this thread decides what is new. A file whose size, mtime, ctime and
 * inode match the parent snapshot keeps its chunk list without being read. Unreadable paths become
 * warnings and mark the snapshot partial; files that change while read are reported.
 *
 * Metadata is read with synchronous lstat/readdir: for a cached local tree that is several times
 * faster than the thread-pool round trip per call, and an unchanged re-snapshot is nothing but that.
 *
 * Memory: one frame per directory level being walked, plus what the workers hold (a read window of
 * 2 × max chunk size and the chunks awaiting an answer, each bounded) — independent of the number of files.
 */
import { readlink } from 'node:fs/promises';
import { lstatSync, readdirSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { errnoCode } from '../core/errors.ts';
import { Semaphore } from '../core/async.ts';
import { joinPath } from '../core/bytes.ts';
import type { Logger, Progress } from '../core/logger.ts';
import type { Repository } from '../repo/repository.ts';
import type { BlobSaver } from '../repo/blob-saver.ts';
import { FileReadError } from '../repo/worker-pool.ts';
import { BlobType } from '../repo/blob.ts';
import { nodeFromStat, nodeType, unchangedSince } from './fs-meta.ts';
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
    const tree = await (await this.walkDir(Buffer.from(this.opts.root), '', this.opts.selection, this.opts.parentTree)).tree;
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

  /**
   * Walks one directory: lists it, stats its entries, walks its subdirectories and hands its files to
   * the readers. Resolves once the walk is done, with the directory's tree id to come (a promise in
   * an object, or the async function would wait for it): the tree is saved when the last of its
   * files is stored. The walk itself goes on meanwhile, so the readers
   * are never idle waiting for one directory (a single large file, say) to finish; memory stays
   * bounded because a directory's entries are held only while some of its files are in flight.
   */
  private async walkDir(abs: Buffer, rel: string, sel: Selection | undefined, parentId: string | undefined): Promise<{ tree: Promise<string> }> {
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
      const childAbs = joinPath(abs, SLASH, name);
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
        const subtree = await this.walkDir(childAbs, childRel, childSel, prev?.type === 'dir' ? prev.subtree : undefined);
        const idx = i;
        pending.push(
          subtree.tree.then(
            (id) => {
              node.subtree = id;
              nodes[idx] = node;
            },
            (err: unknown) => {
              this.failure ??= err;
            },
          ),
        );
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
          this.readFile(childAbs, childRel, st, node)
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
    const saved = (async () => {
      await Promise.all(pending);
      if (this.failure) throw this.failure;
      const tree: Tree = { nodes: nodes.filter((n): n is TreeNode => n !== undefined) };
      const { id } = await this.saver.save(BlobType.tree, encodeTree(tree));
      return id.toString('hex');
    })();
    // Observed by the parent (or run()) right away; marked handled so an early failure is not
    // reported as unhandled before then.
    saved.catch(() => {});
    return { tree: saved };
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

  /** Reads and stores one file (on a worker); false when it could not be read (reported). */
  private async readFile(abs: Buffer, rel: string, before: BigIntStats, node: TreeNode): Promise<boolean> {
    try {
      const r = await this.saver.saveFile(abs, { size: Number(before.size), mtimeNs: before.mtimeNs.toString() });
      if (r.changed) {
        this.warn(rel, 'changed while being read; saved as read', false);
        node.size = r.total;
      }
      node.content = r.ids.map((id) => id.toString('hex'));
      this.advance(r.total, rel);
      return true;
    } catch (err) {
      if (err instanceof FileReadError && err.errno !== undefined && READ_WARNINGS.has(err.errno)) {
        this.warn(rel, `cannot read (${err.errno}); skipped`, true);
        return false;
      }
      throw err;
    }
  }
}

/** Read failures that skip the file with a warning (the snapshot is then partial) instead of failing it. */
const READ_WARNINGS = new Set(['EACCES', 'EPERM', 'EIO', 'ENOENT', 'ELOOP', 'ENXIO', 'EISDIR']);

const SLASH = Buffer.from('/');
