/**
 * TreeCopier: one snapshot tree from a source repository into a destination repository with other
 * keys. Blob ids are keyed per repository (HMAC under each repository's id key), so no id carries
 * over: every data blob the copy needs is read from the source (decrypted and verified there),
 * identified under the destination's key and handed to the destination's BlobSaver, which stores it
 * only when the destination's index (or a save in flight) lacks it; then each tree is rewritten with
 * the destination ids of its chunks and subtrees and saved the same way — bottom-up, so a tree is
 * saved after everything it names. The caller makes all of it durable (saver.finish) before it writes
 * a manifest naming the root.
 *
 * Reading every chunk again would make each copy cost a full read of the source. A *reference* — one
 * snapshot already present in both repositories — avoids that for what did not change, as the
 * archiver's parent does for files: walking the reference's source and destination trees side by side
 * at the same path, a subtree whose source id equals the reference's maps to the reference's
 * destination tree, and a chunk found in the reference's file of the same name maps to the chunk at
 * the same position in the destination's file. A mapping is used only when the destination's index
 * has the blob (a chunk: of the same length as in the source); anything else is read. Mappings learnt while copying (`BlobIdMap`) carry over to the
 * next snapshot of the same run.
 *
 * Memory: one tree per directory level (and the reference's two at that level), at most `files` files
 * and `loads` chunks in flight (each up to the chunker's maximum), plus the saver's bounded bytes in
 * flight and the id map (bounded, below).
 */
import { Semaphore } from '../core/async.ts';
import type { Progress } from '../core/logger.ts';
import { BlobType } from '../repo/blob.ts';
import type { BlobSaver } from '../repo/blob-saver.ts';
import type { Repository } from '../repo/repository.ts';
import { loadTree } from './tree-reader.ts';
import { encodeTree, nodeNameBytes, type TreeNode } from './tree.ts';

/** Tree ids of one directory in the reference snapshot: in the source and in the destination. */
export interface TreePair {
  src: string;
  dst: string;
}

/** Source id → destination id of blobs already copied or matched, per type. Cleared when full, so memory stays bounded. */
export class BlobIdMap {
  private readonly maps = [new Map<string, string>(), new Map<string, string>()];
  private readonly limit: number;
  /** About 150 bytes an entry: the default keeps it under 40 MiB. */
  constructor(limit = 256 * 1024) {
    this.limit = limit;
  }
  get(type: BlobType, src: string): string | undefined {
    return this.maps[type].get(src);
  }
  set(type: BlobType, src: string, dst: string): void {
    const m = this.maps[type];
    if (m.size >= this.limit) m.clear();
    m.set(src, dst);
  }
}

export interface CopyStats {
  files: number;
  /** Plaintext bytes of the files copied (read or matched). */
  bytes: number;
  /** Data blobs read from the source (the rest were matched through the reference or the id map). */
  readBlobs: number;
  readBytes: number;
}

export interface TreeCopierOptions {
  progress: Progress;
  ids?: BlobIdMap;
  /** Chunks being read from the source at once (default 8). */
  loads?: number;
  /** Files being copied at once (default 8). */
  files?: number;
}

export class TreeCopier {
  readonly stats: CopyStats = { files: 0, bytes: 0, readBlobs: 0, readBytes: 0 };
  private readonly src: Repository;
  private readonly dst: Repository;
  private readonly saver: BlobSaver;
  private readonly ids: BlobIdMap;
  private readonly progress: Progress;
  private readonly loads: Semaphore;
  private readonly fileSlots: Semaphore;
  private failure: unknown;

  constructor(src: Repository, dst: Repository, saver: BlobSaver, opts: TreeCopierOptions) {
    this.src = src;
    this.dst = dst;
    this.saver = saver;
    this.ids = opts.ids ?? new BlobIdMap();
    this.progress = opts.progress;
    this.loads = new Semaphore(opts.loads ?? 8);
    this.fileSlots = new Semaphore(opts.files ?? 8);
  }

  /** Copies the tree `srcId` and everything below it; returns its id in the destination. */
  async copyTree(srcId: string, ref?: TreePair): Promise<string> {
    if (ref && ref.src === srcId && this.dstHas(BlobType.tree, ref.dst)) return ref.dst;
    const known = this.ids.get(BlobType.tree, srcId);
    if (known !== undefined && this.dstHas(BlobType.tree, known)) return known;
    const tree = await loadTree(this.src, srcId);
    const refNodes = ref ? await this.pairNodes(ref) : undefined;
    const nodes: TreeNode[] = new Array(tree.nodes.length);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < tree.nodes.length; i++) {
      if (this.failure) break;
      const node = tree.nodes[i];
      const pair = refNodes?.get(nodeNameBytes(node).toString('latin1'));
      if (node.type === 'dir' && node.subtree !== undefined) {
        const sub = pair?.src.type === 'dir' && pair.src.subtree && pair.dst.subtree ? { src: pair.src.subtree, dst: pair.dst.subtree } : undefined;
        nodes[i] = { ...node, subtree: await this.copyTree(node.subtree, sub) };
      } else if (node.type === 'file' && node.content && node.content.length > 0) {
        await this.fileSlots.acquire();
        const idx = i;
        pending.push(
          this.copyFile(node, pair)
            .then((n) => {
              nodes[idx] = n;
            })
            .catch((err: unknown) => {
              this.failure ??= err;
            })
            .finally(() => this.fileSlots.release()),
        );
      } else {
        nodes[i] = node;
      }
    }
    await Promise.all(pending);
    if (this.failure) throw this.failure;
    const { id } = await this.saver.save(BlobType.tree, encodeTree({ ...tree, nodes }));
    const dstId = id.toString('hex');
    this.ids.set(BlobType.tree, srcId, dstId);
    return dstId;
  }

  /**
   * The reference's nodes by raw name, each with its destination twin. The two trees of a
   * reference list the same names in the same order (one was copied from the other); a pair that
   * does not line up is left out rather than trusted.
   */
  private async pairNodes(ref: TreePair): Promise<Map<string, { src: TreeNode; dst: TreeNode }> | undefined> {
    try {
      const [s, d] = await Promise.all([loadTree(this.src, ref.src), loadTree(this.dst, ref.dst)]);
      if (s.nodes.length !== d.nodes.length) return undefined;
      const out = new Map<string, { src: TreeNode; dst: TreeNode }>();
      for (let i = 0; i < s.nodes.length; i++) {
        const a = s.nodes[i];
        const b = d.nodes[i];
        const name = nodeNameBytes(a);
        if (!name.equals(nodeNameBytes(b)) || a.type !== b.type || (a.content?.length ?? 0) !== (b.content?.length ?? 0)) continue;
        out.set(name.toString('latin1'), { src: a, dst: b });
      }
      return out;
    } catch {
      return undefined; // a reference that cannot be read only costs reading
    }
  }

  /** The node of a file with its chunks as destination ids: matched when known, else read and saved. */
  private async copyFile(node: TreeNode, pair: { src: TreeNode; dst: TreeNode } | undefined): Promise<TreeNode> {
    const content = node.content!;
    const fromRef = new Map<string, string>();
    if (pair?.src.type === 'file' && pair.src.content && pair.dst.content) {
      for (let j = 0; j < pair.src.content.length; j++) fromRef.set(pair.src.content[j], pair.dst.content[j]);
    }
    const out: string[] = new Array(content.length);
    const jobs: Promise<void>[] = [];
    for (let j = 0; j < content.length; j++) {
      if (this.failure) break;
      const srcHex = content[j];
      const matched = this.matchChunk(srcHex, fromRef.get(srcHex) ?? this.ids.get(BlobType.data, srcHex));
      if (matched !== undefined) {
        out[j] = matched.id;
        this.advance(matched.rawLength);
        continue;
      }
      await this.loads.acquire();
      jobs.push(
        this.copyChunk(srcHex)
          .then((dstHex) => {
            out[j] = dstHex;
          })
          .catch((err: unknown) => {
            this.failure ??= err;
          })
          .finally(() => this.loads.release()),
      );
    }
    await Promise.all(jobs);
    if (this.failure) throw this.failure;
    this.stats.files++;
    return { ...node, content: out };
  }

  /** Reads one chunk from the source and saves it in the destination; returns its destination id. */
  private async copyChunk(srcHex: string): Promise<string> {
    const plain = await this.src.loadBlob(BlobType.data, Buffer.from(srcHex, 'hex'));
    const size = plain.byteLength;
    this.stats.readBlobs++;
    this.stats.readBytes += size;
    // save may transfer the buffer to a worker: nothing below touches it.
    const { id } = await this.saver.save(BlobType.data, plain);
    const dstHex = id.toString('hex');
    this.ids.set(BlobType.data, srcHex, dstHex);
    this.advance(size);
    return dstHex;
  }

  /** A destination chunk standing for the source chunk `srcHex`, when the destination has it and its length agrees. */
  private matchChunk(srcHex: string, dstHex: string | undefined): { id: string; rawLength: number } | undefined {
    if (dstHex === undefined) return undefined;
    const loc = this.dst.index.get(Buffer.from(dstHex, 'hex'));
    if (loc?.type !== BlobType.data || loc.rawLength !== this.src.index.get(Buffer.from(srcHex, 'hex'))?.rawLength) return undefined;
    return { id: dstHex, rawLength: loc.rawLength };
  }

  private dstHas(type: BlobType, hex: string): boolean {
    // A blob saved in this run whose pack is not written yet is not in the index: it is read again,
    // and the saver drops the second save.
    return this.dst.index.get(Buffer.from(hex, 'hex'))?.type === type;
  }

  private advance(bytes: number): void {
    this.stats.bytes += bytes;
    this.progress.update({ phase: 'copy', files: this.stats.files, bytes: this.stats.bytes, addedBytes: this.saver.stats.newBytes });
  }
}
