/**
 * Entry trees: how source files (a database dump, a Redis keyspace) live in a snapshot. An
 * EntryTreeBuilder is the EntryWriter a source writes through: each file is streamed into chunks
 * (saveStream) and becomes a file node of an ordinary tree, so check, prune, diff and dedup treat
 * source data exactly like captured files. A TreeEntryReader is the EntryReader a sink reads from:
 * it lists a subtree's files and streams one file's chunks in order, a few fetched ahead.
 *
 * Source files get fixed metadata (mode 0600, the given time) so an unchanged source gives
 * identical trees and dedups completely.
 */
import { EnvsnapError } from '../core/errors.ts';
import type { BlobSaver } from '../repo/blob-saver.ts';
import { BlobType } from '../repo/blob.ts';
import type { Repository } from '../repo/repository.ts';
import type { EntryReader, EntryWriter } from '../sources/source.ts';
import { checkEntryPath } from '../sources/entry-path.ts';
import { saveStream } from './stream-saver.ts';
import { encodeTree, type TreeNode } from './tree.ts';
import { loadTree, readChunks } from './tree-reader.ts';

interface DirEntry {
  dirs: Map<string, DirEntry>;
  files: Map<string, TreeNode>;
}

const newDir = (): DirEntry => ({ dirs: new Map(), files: new Map() });

export class EntryTreeBuilder {
  private readonly root = newDir();
  private readonly repo: Repository;
  private readonly saver: BlobSaver;
  private readonly mtimeNs: string;
  private readonly onBytes?: (n: number) => void;
  private readonly claimed = new Set<string>();

  constructor(repo: Repository, saver: BlobSaver, opts: { mtimeNs: string; onBytes?: (n: number) => void }) {
    this.repo = repo;
    this.saver = saver;
    this.mtimeNs = opts.mtimeNs;
    this.onBytes = opts.onBytes;
  }

  /** An EntryWriter whose paths land under `prefix` ('mysql/default'). */
  writer(prefix: string): EntryWriter & { bytes(): number } {
    checkEntryPath(prefix);
    let total = 0;
    return {
      writeFile: async (path, data) => {
        checkEntryPath(path);
        const full = `${prefix}/${path}`;
        if (this.claimed.has(full)) throw new EnvsnapError('INVALID_ARGUMENT', `entry ${full} written twice`);
        this.claimed.add(full);
        const saved = await saveStream(this.saver, this.repo.chunker, data, this.onBytes);
        total += saved.size;
        this.place(full, this.fileNode(full, saved.content, saved.size));
        return { size: saved.size };
      },
      bytes: () => total,
    };
  }

  /** Puts an already stored tree (the captured mounts) at `path`. */
  addSubtree(path: string, treeId: string): void {
    checkEntryPath(path);
    this.place(path, { ...this.baseNode(path), type: 'dir', mode: 0o755, subtree: treeId });
  }

  /** Stores every tree, deepest first; returns the root tree's id. */
  async finish(): Promise<string> {
    return this.saveDir(this.root);
  }

  private async saveDir(dir: DirEntry): Promise<string> {
    const nodes: TreeNode[] = [...dir.files.values()];
    for (const [name, sub] of dir.dirs) nodes.push({ ...this.baseNode(name), type: 'dir', mode: 0o755, subtree: await this.saveDir(sub) });
    nodes.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    const { id } = await this.saver.save(BlobType.tree, encodeTree({ nodes }));
    return id.toString('hex');
  }

  private place(path: string, node: TreeNode): void {
    const parts = path.split('/');
    let dir = this.root;
    for (const part of parts.slice(0, -1)) {
      if (dir.files.has(part)) throw new EnvsnapError('INVALID_ARGUMENT', `entry ${path}: ${part} is a file`);
      let next = dir.dirs.get(part);
      if (!next) dir.dirs.set(part, (next = newDir()));
      dir = next;
    }
    const name = parts.at(-1)!;
    if (dir.dirs.has(name) || dir.files.has(name)) throw new EnvsnapError('INVALID_ARGUMENT', `entry ${path} written twice`);
    dir.files.set(name, { ...node, name });
  }

  private baseNode(path: string): TreeNode {
    return {
      name: path.split('/').at(-1)!,
      type: 'file',
      mode: 0o600,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      mtimeNs: this.mtimeNs,
      ctimeNs: this.mtimeNs,
      inode: '0',
      devId: '0',
      links: 1,
    };
  }

  private fileNode(path: string, content: string[], size: number): TreeNode {
    return { ...this.baseNode(path), size, content };
  }
}

/** Reads the files under one subtree of a snapshot. */
export class TreeEntryReader implements EntryReader {
  private readonly repo: Repository;
  private readonly files: Map<string, TreeNode>;
  private readonly ahead: number;

  private constructor(repo: Repository, files: Map<string, TreeNode>, ahead: number) {
    this.repo = repo;
    this.files = files;
    this.ahead = ahead;
  }

  static async open(repo: Repository, treeId: string, opts: { ahead?: number } = {}): Promise<TreeEntryReader> {
    const files = new Map<string, TreeNode>();
    const walk = async (id: string, prefix: string): Promise<void> => {
      const tree = await loadTree(repo, id);
      for (const n of tree.nodes) {
        const path = prefix ? `${prefix}/${n.name}` : n.name;
        if (n.type === 'dir' && n.subtree) await walk(n.subtree, path);
        else if (n.type === 'file') files.set(path, n);
      }
    };
    await walk(treeId, '');
    return new TreeEntryReader(repo, files, opts.ahead ?? 4);
  }

  list(): { path: string; size: number }[] {
    return [...this.files]
      .map(([path, n]) => ({ path, size: n.size ?? 0 }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async *read(path: string): AsyncIterable<Buffer> {
    const node = this.files.get(path);
    if (!node) throw new EnvsnapError('NOT_FOUND', `the snapshot has no entry ${path}: it may have been taken by an older or newer envsnap`);
    yield* readChunks(this.repo, node.content ?? [], this.ahead);
  }
}
