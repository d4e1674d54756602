/**
 * Restorer: a snapshot tree → a directory. Every name is checked before anything is written (no
 * `..`, `/` or empty names; never through a symlink found in the target). Files are written under a
 * temporary name, chunks fetched in parallel and written in order, each chunk verified against its id
 * by the worker that decrypts it, then renamed into place, so a failed restore never leaves a
 * half-written file under a real name. Directory metadata is set after their contents. Content of
 * larger files is written past the page cache where the file system allows (core/direct-write.ts).
 */
import { mkdir, unlink, symlink, link, utimes, lutimes, chmod, chown, lchown } from 'node:fs/promises';
import { lstatSync, close, closeSync, fchmod, fchown, ftruncate, futimes, open, rename, unlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { EnvsnapError, errnoCode } from '../core/errors.ts';
import { joinPath } from '../core/bytes.ts';
import { Semaphore, mapLimit } from '../core/async.ts';
import type { Logger, Progress } from '../core/logger.ts';
import type { Repository } from '../repo/repository.ts';
import { BlobType } from '../repo/blob.ts';
import { checkSafeName, decodeTree, encodeName, nodeNameBytes, nodeTargetBytes, type Tree, type TreeNode } from './tree.ts';
import { selectionFromPaths, type Selection } from './archiver.ts';
import { DIRECT_OPEN_FLAGS, DirectWriter, directWritesSuit } from '../core/direct-write.ts';
import { trackRestoreTemp, untrackRestoreTemp } from './restore-temps.ts';

export type OverwriteMode = 'always' | 'if-changed' | 'never';

/** What the restore knows about a directory it fills: made by it (nothing in the way), and whether its file system suits direct writes. */
interface DirState {
  fresh: boolean;
  direct: boolean;
}

export interface RestoreOptions {
  target: string;
  include?: string[];
  /** Relative paths never restored (the target keeps its own); exact matches. */
  exclude?: string[];
  overwrite: OverwriteMode;
  logger: Logger;
  progress: Progress;
  files?: number;
  chunksPerFile?: number;
}

export interface RestoreSummary {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  skipped: number;
  warnings: number;
}

const SLASH = Buffer.from('/');
/** Calls on a numeric descriptor (the workers write through it), on the thread pool. */
const fdCalls = {
  open: promisify(open),
  ftruncate: promisify(ftruncate),
  fchmod: promisify(fchmod),
  fchown: promisify(fchown),
  futimes: promisify(futimes),
  close: promisify(close),
  rename: promisify(rename),
};
const asRoot = process.getuid?.() === 0;
/** Temporary names: unique per process and file, no randomness needed. */
const TMP_TAG = `${process.pid}-${randomBytes(4).toString("hex")}`;
let tmpCounter = 0;

export class Restorer {
  private readonly repo: Repository;
  private readonly opts: RestoreOptions;
  private readonly fileSlots: Semaphore;
  /** First restored path of each hardlinked inode, set before its content is written so later links wait for it. */
  private readonly hardlinks = new Map<string, Promise<Buffer | undefined>>();
  private readonly summary: RestoreSummary = { files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: 0, warnings: 0 };
  private totalBytes = 0;
  private totalFiles = 0;
  private failure: unknown;
  private readonly skip: Set<string>;
  private plan: ReturnType<Repository['readPlan']>;
  /** Direct descriptors for large files written chunk by chunk (the workers write through them). */
  private readonly direct = new DirectWriter();

  constructor(repo: Repository, opts: RestoreOptions) {
    this.repo = repo;
    this.opts = opts;
    this.skip = new Set(opts.exclude ?? []);
    this.fileSlots = new Semaphore(opts.files ?? 32);
  }

  async run(rootTree: string): Promise<RestoreSummary> {
    const sel = this.opts.include && this.opts.include.length > 0 ? selectionFromPaths(this.opts.include) : undefined;
    // The workers start on the other cores while the trees are checked (they take a while to boot).
    this.repo.workers();
    this.plan = this.repo.readPlan();
    await this.validate(rootTree, '', sel);
    // The first pass saw every chunk in the order the restore reads them: a remote store fetches ahead.
    this.plan?.commit();
    this.plan = undefined;
    const made = await mkdir(this.opts.target, { recursive: true });
    const root = Buffer.from(this.opts.target);
    await (await this.restoreDir(rootTree, root, '', sel, { fresh: made !== undefined, direct: await directWritesSuit(root) })).done;
    if (this.failure) throw this.failure;
    this.opts.progress.done();
    return this.summary;
  }

  private async loadTree(id: string): Promise<Tree> {
    return decodeTree(await this.repo.loadBlob(BlobType.tree, Buffer.from(id, 'hex')), id);
  }

  /** First pass: refuse unsafe names and missing includes before writing anything; count totals. */
  private async validate(treeId: string, rel: string, sel: Selection | undefined): Promise<void> {
    const tree = await this.loadTree(treeId);
    const seen = new Set<string>();
    for (const node of tree.nodes) {
      const name = nodeNameBytes(node);
      checkSafeName(name, rel);
      const key = name.toString('utf8');
      const childSel = sel && !sel.all ? sel.children.get(key) : undefined;
      if (sel && !sel.all && !childSel) continue;
      seen.add(key);
      const childRel = rel ? `${rel}/${node.name}` : node.name;
      if (this.skip.has(childRel)) continue;
      if (node.type === 'dir') {
        if (!node.subtree) throw new EnvsnapError('CORRUPT', `directory ${childRel} has no tree: run "envsnap check"`);
        await this.validate(node.subtree, childRel, childSel);
      } else if (node.type === 'file') {
        this.totalFiles++;
        this.totalBytes += node.size ?? 0;
        if (this.plan) for (const hex of node.content ?? []) this.plan.add(Buffer.from(hex, 'hex'));
      }
    }
    if (sel && !sel.all) {
      for (const k of sel.children.keys()) {
        if (!seen.has(k)) throw new EnvsnapError('NOT_FOUND', `${rel ? `${rel}/` : ''}${k} is not in the snapshot: see "envsnap snapshot:info" for its paths`);
      }
    }
  }

  private warn(msg: string): void {
    this.summary.warnings++;
    this.opts.logger.warn(msg);
  }

  /**
   * Restores a directory's entries. The walk does not wait at the end of each directory: it goes on
   * while file slots are free, and a directory's metadata is set when everything in it is done (the
   * returned promise), so one large file never stalls the rest of the restore. In a directory this
   * restore created (`fresh`) nothing can be in the way, so entries are not looked up first: a
   * lookup in a directory where files are being created waits for its lock.
   */
  private async restoreDir(treeId: string, abs: Buffer, rel: string, sel: Selection | undefined, here: DirState): Promise<{ done: Promise<void> }> {
    const fresh = here.fresh;
    const tree = await this.loadTree(treeId);
    const pending: Promise<void>[] = [];
    for (const node of tree.nodes) {
      if (this.failure) break;
      const name = nodeNameBytes(node);
      const childSel = sel && !sel.all ? sel.children.get(name.toString('utf8')) : undefined;
      if (sel && !sel.all && !childSel) continue;
      const childAbs = joinPath(abs, SLASH, name);
      const childRel = rel ? `${rel}/${encodeName(name).text}` : encodeName(name).text;
      if (this.skip.has(childRel)) continue;
      switch (node.type) {
        case 'dir':
          const dir = await this.ensureDir(childAbs, childRel, fresh);
          if (dir) {
            // A directory made here is on its parent's file system; an existing one may be a mount point.
            const direct = dir === 'created' ? here.direct : await directWritesSuit(childAbs);
            const contents = await this.restoreDir(node.subtree!, childAbs, childRel, childSel, { fresh: dir === 'created', direct });
            pending.push(
              contents.done
                .then(async () => {
                  if (this.failure) return;
                  await this.setMeta(childAbs, node, false);
                  this.summary.dirs++;
                })
                .catch((err: unknown) => {
                  this.failure ??= err;
                }),
            );
          }
          break;
        case 'file':
          await this.fileSlots.acquire();
          // A failure while this file waited for its slot: replace nothing more.
          if (this.failure) {
            this.fileSlots.release();
            break;
          }
          pending.push(
            this.restoreFile(node, childAbs, childRel, here)
              .catch((err: unknown) => {
                this.failure ??= err;
              })
              .finally(() => this.fileSlots.release()),
          );
          break;
        case 'symlink':
          await this.restoreSymlink(node, childAbs, childRel, fresh);
          break;
        default:
          this.warn(`${childRel}: ${node.type} not restored (special files need mknod)`);
      }
    }
    // Wrapped: an async function returning a bare promise would make the caller wait for it.
    return { done: Promise.all(pending).then(() => undefined) };
  }

  /**
   * Makes sure abs is a real directory (never a symlink to elsewhere): 'created' when this restore
   * made it, undefined to skip the subtree. `parentFresh`: the parent was created by this restore.
   */
  private async ensureDir(abs: Buffer, rel: string, parentFresh: boolean): Promise<'created' | 'existing' | undefined> {
    const st = parentFresh ? undefined : lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    if (st?.isDirectory()) return 'existing';
    if (st) {
      if (this.opts.overwrite !== 'always') {
        this.warn(`${rel}: exists and is not a directory; skipped (use --overwrite always to replace it)`);
        this.summary.skipped++;
        return undefined;
      }
      await unlink(abs);
    }
    await mkdir(abs, { mode: 0o700 });
    return 'created';
  }

  /** Whether an existing path may be replaced; counts skips. */
  private async mayReplace(abs: Buffer, node: TreeNode, rel: string): Promise<boolean> {
    const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    if (!st) return true;
    if (st.isDirectory()) {
      this.warn(`${rel}: a directory is in the way; skipped`);
      this.summary.skipped++;
      return false;
    }
    if (this.opts.overwrite === 'never') {
      this.summary.skipped++;
      return false;
    }
    if (this.opts.overwrite === 'if-changed' && node.type === 'file' && st.isFile()) {
      // Times are restored to the microsecond: compare at that precision.
      const same = Number(st.size) === node.size && st.mtimeNs / 1000n === BigInt(node.mtimeNs) / 1000n;
      if (same) {
        this.summary.skipped++;
        return false;
      }
    }
    return true;
  }

  private async restoreFile(node: TreeNode, abs: Buffer, rel: string, { fresh, direct }: DirState): Promise<void> {
    // Hardlinks: the first path of an inode registers itself before any await, later ones link to it.
    const linkKey = node.links > 1 ? `${node.devId}:${node.inode}` : undefined;
    const firstLink = linkKey ? this.hardlinks.get(linkKey) : undefined;
    let settle: (p: Buffer | undefined) => void = () => {};
    if (linkKey && !firstLink) this.hardlinks.set(linkKey, new Promise((r) => (settle = r)));
    if (!fresh && !(await this.mayReplace(abs, node, rel))) {
      settle(undefined);
      this.opts.progress.update(this.progressState(rel, node.size ?? 0));
      return;
    }
    const first = firstLink ? await firstLink : undefined;
    if (first) {
      if (!fresh) await unlinkIfExists(abs);
      await link(first, abs);
      this.summary.files++;
      return;
    }
    const tmp = joinPath(abs.subarray(0, abs.lastIndexOf(0x2f) + 1), Buffer.from(`.envsnap-${TMP_TAG}-${++tmpCounter}.tmp`));
    const content = node.content ?? [];
    if (content.length <= 1) {
      // Most files are one chunk: a worker makes the whole file, from creation to rename, in one go.
      const file = { tmp, path: abs, size: node.size ?? 0, mode: node.mode, mtime: nsToSeconds(node.mtimeNs), sparse: node.sparse === true, direct, ...(asRoot ? { owner: { uid: node.uid, gid: node.gid } } : {}) };
      try {
        // Awaited first: `bytes += await …` would add to the value read before the wait.
        const written = await this.repo.restoreWholeFile(content.length === 1 ? Buffer.from(content[0], 'hex') : undefined, file);
        this.summary.bytes += written;
      } catch (err) {
        settle(undefined);
        throw err;
      }
      settle(abs);
      this.summary.files++;
      this.opts.progress.update(this.progressState(rel, 0));
      return;
    }
    // Creating, finishing and renaming a file run on the thread pool: they change directories and
    // inodes, which waits on the file system's journal while the data written before is flushed —
    // done synchronously, that stalled every other file of the restore behind the one being made.
    const fd = await fdCalls.open(tmp, 'wx', 0o600);
    trackRestoreTemp(tmp);
    let directFd: number | undefined;
    let closed = false;
    let ok = false;
    try {
      if (direct && !node.sparse) directFd = await this.direct.openAsync(node.size ?? 0, () => fdCalls.open(tmp, DIRECT_OPEN_FLAGS!));
      // Every chunk's offset is known up front from the index (plaintext lengths), so the workers
      // write chunks at their offsets, a window of them at a time, in whatever order they finish.
      const ids = content.map((hex) => Buffer.from(hex, 'hex'));
      const offsets: number[] = new Array(ids.length);
      let pos = 0;
      for (let i = 0; i < ids.length; i++) {
        offsets[i] = pos;
        pos += this.repo.locate(BlobType.data, ids[i]).rawLength;
      }
      // A failed chunk must not close the file while other chunks are still being written into it
      // (the descriptor number could be reused by another file): remember the error, finish the
      // writes under way, skip the rest, then fail.
      let chunkError: unknown;
      await mapLimit(ids, this.opts.chunksPerFile ?? 4, async (id, i) => {
        if (chunkError !== undefined) return;
        try {
          const n = await this.repo.writeBlobTo(id, { fd, directFd, position: offsets[i], sparse: node.sparse === true });
          this.summary.bytes += n;
        } catch (err) {
          chunkError ??= err;
        }
      });
      if (chunkError !== undefined) throw chunkError;
      if (directFd !== undefined) await fdCalls.close(directFd);
      directFd = undefined;
      if (node.sparse || pos !== (node.size ?? pos)) await fdCalls.ftruncate(fd, pos);
      // Owner first: a change of owner clears the set-user-ID and set-group-ID bits.
      if (asRoot) await fdCalls.fchown(fd, node.uid, node.gid);
      await fdCalls.fchmod(fd, node.mode);
      const t = nsToSeconds(node.mtimeNs);
      await fdCalls.futimes(fd, t, t);
      await fdCalls.close(fd);
      closed = true;
      await fdCalls.rename(tmp, abs);
      ok = true;
      untrackRestoreTemp(tmp);
      settle(abs);
      this.summary.files++;
      this.opts.progress.update(this.progressState(rel, 0));
    } finally {
      if (!ok) {
        settle(undefined);
        // A descriptor already closed is not closed again: its number may belong to another file by now.
        if (!closed) {
          try {
            if (directFd !== undefined) closeSync(directFd);
          } catch {}
          try {
            closeSync(fd);
          } catch {}
        }
        try {
          unlinkSync(tmp);
        } catch {}
        untrackRestoreTemp(tmp);
      }
    }
  }

  private async restoreSymlink(node: TreeNode, abs: Buffer, rel: string, fresh: boolean): Promise<void> {
    if (!fresh) {
      if (!(await this.mayReplace(abs, node, rel))) return;
      await unlinkIfExists(abs);
    }
    await symlink(nodeTargetBytes(node), abs);
    await this.setMeta(abs, node, true);
    this.summary.symlinks++;
  }

  private async setMeta(abs: Buffer, node: TreeNode, isLink: boolean): Promise<void> {
    const t = nsToSeconds(node.mtimeNs);
    if (isLink) {
      if (asRoot) await lchown(abs, node.uid, node.gid);
      await lutimes(abs, t, t);
      return;
    }
    if (asRoot) await chown(abs, node.uid, node.gid);
    await chmod(abs, node.mode);
    await utimes(abs, t, t);
  }

  private progressState(rel: string, skippedBytes: number) {
    return {
      phase: 'restore',
      files: this.summary.files + this.summary.skipped,
      bytes: this.summary.bytes + skippedBytes,
      totalFiles: this.totalFiles,
      totalBytes: this.totalBytes,
      currentPath: rel,
    };
  }
}

/**
 * Seconds for utimes. A double holds epoch seconds to about 0.24 µs and libuv truncates it to the
 * µs, so the value is centred in its microsecond (+0.5 µs) to land on the right one.
 */
function nsToSeconds(ns: string): number {
  const n = BigInt(ns);
  return (Number(n / 1000n) + 0.5) / 1e6;
}

async function unlinkIfExists(p: Buffer): Promise<void> {
  try {
    await unlink(p);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

