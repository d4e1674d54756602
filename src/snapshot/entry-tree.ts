/**
 * Entry trees: how source files (a database dump, a Redis keyspace) live in a snapshot. An
 * EntryTreeBuilder is the EntryWriter a source writes through: each file is streamed into chunks
 * (saveStream) and becomes a file node of an ordinary tree, so check, prune, diff and dedup treat
 * source data exactly like captured files. A TreeEntryReader is the EntryReader a sink reads from:
 * it lists a subtree's files and streams one file's chunks in order, a few fetched ahead.
 *
 * Source files get fixed metadata (mode 0600, the given time) so an unchanged source gives
 * identical trees and dedups completely. A file-tree writer (an archive's members becoming the
 * mounts) carries each entry's own metadata instead, and directories, symlinks, devices and
 * hardlinks (nodes sharing a synthetic inode, which the restorer links) besides. The builder holds
 * every node until finish(); a checker (EntryTreeBuilder.checker) applies the same rules without
 * storing anything.
 */
import { EnvsnapError } from '../core/errors.ts';
import type { BlobSaver } from '../repo/blob-saver.ts';
import { BlobType } from '../repo/blob.ts';
import type { Repository } from '../repo/repository.ts';
import type { EntryMeta, EntryReader, EntryWriter, FileTreeWriter } from '../sources/source.ts';
import { checkEntryPath } from '../sources/entry-path.ts';
import { saveStream, type SavedStream } from './stream-saver.ts';
import { encodeName, encodeTree, type TreeNode } from './tree.ts';
import { loadTree, readChunks } from './tree-reader.ts';

interface DirEntry {
  dirs: Map<string, DirEntry>;
  /** File nodes, and nodes of other kinds (symlinks, devices, stored subtrees). */
  files: Map<string, TreeNode>;
  /** The directory's own metadata: from its entry, else the default of the writer that made it. */
  meta?: EntryMeta;
  /** Its own entry was written (a second one is a duplicate). */
  explicit?: boolean;
}

const newDir = (meta?: EntryMeta): DirEntry => ({ dirs: new Map(), files: new Map(), ...(meta ? { meta } : {}) });

/** The counts a file-tree writer reports. */
export interface FileTreeSummary {
  files: number;
  dirs: number;
  bytes: number;
}

export class EntryTreeBuilder {
  private readonly root = newDir();
  /** Undefined for a checker: file contents are read and counted, nothing is stored. */
  private readonly store: { repo: Repository; saver: BlobSaver } | undefined;
  private readonly mtimeNs: string;
  private readonly onBytes?: (n: number) => void;
  private readonly claimed = new Set<string>();
  /** The nodes sharing each synthetic inode (hardlinks written through a file-tree writer). */
  private readonly linkGroups = new Map<string, TreeNode[]>();

  /** Without a repository and saver: a checker (see checker()). */
  constructor(repo: Repository | undefined, saver: BlobSaver | undefined, opts: { mtimeNs: string; onBytes?: (n: number) => void }) {
    this.store = repo && saver ? { repo, saver } : undefined;
    this.mtimeNs = opts.mtimeNs;
    this.onBytes = opts.onBytes;
  }

  /**
   * A builder that stores nothing: its writers apply every check a real one does (paths, duplicates,
   * parents that are not directories, hardlink targets) and read each file to its end, so a source
   * can be validated completely before anything is written to the repository. finish() is refused.
   */
  static checker(): EntryTreeBuilder {
    return new EntryTreeBuilder(undefined, undefined, { mtimeNs: '0' });
  }

  /** An EntryWriter whose paths land under `prefix` ('mysql/default'). */
  writer(prefix: string): EntryWriter & { bytes(): number } {
    checkEntryPath(prefix);
    let total = 0;
    return {
      writeFile: async (path, data) => {
        const full = this.claim(prefix, path);
        const saved = await this.save(data);
        total += saved.size;
        this.place(full, this.fileNode(full, saved.content, saved.size));
        return { size: saved.size };
      },
      bytes: () => total,
    };
  }

  /**
   * A FileTreeWriter whose entries land under `prefix` ('files'), each with its own metadata;
   * directories created only as parents get `dirMeta`.
   */
  fileTreeWriter(prefix: string, opts: { dirMeta: EntryMeta }): FileTreeWriter & { summary(): FileTreeSummary } {
    checkEntryPath(prefix);
    let files = 0;
    let bytes = 0;
    return {
      writeFile: async (path, data, meta) => {
        const full = this.claim(prefix, path);
        const saved = await this.save(data);
        files++;
        bytes += saved.size;
        this.place(full, { ...this.fileNode(full, saved.content, saved.size), ...(meta ? metaFields(meta) : {}) }, opts.dirMeta);
        return { size: saved.size };
      },
      addEntry: (path, entry) => {
        const full = `${prefix}/${path}`;
        checkEntryPath(path);
        if (entry.type === 'dir') {
          const dir = this.dirAt(full, opts.dirMeta);
          if (dir.explicit) throw new EnvsnapError('INVALID_ARGUMENT', `entry ${full} written twice`);
          dir.explicit = true;
          dir.meta = entry.meta;
          return;
        }
        this.claim(prefix, path);
        if (entry.type === 'hardlink') {
          const target = this.fileAt(`${prefix}/${entry.target}`);
          if (!target) throw new EnvsnapError('INVALID_ARGUMENT', `entry ${full} is a hardlink to ${entry.target}, which is not a file written before it`);
          if (target.links < 2) {
            target.inode = String(this.linkGroups.size + 1);
            this.linkGroups.set(target.inode, [target]);
          }
          this.place(full, { ...target }, opts.dirMeta);
          const group = this.linkGroups.get(target.inode)!;
          group.push(this.fileAt(full)!);
          for (const n of group) n.links = group.length;
          files++;
          bytes += target.size ?? 0;
          return;
        }
        const node: TreeNode = { ...this.baseNode(full), ...metaFields(entry.meta), type: entry.type };
        if (entry.type === 'symlink') {
          const t = encodeName(entry.target);
          node.target = t.text;
          if (t.raw !== undefined) node.targetRaw = t.raw;
        } else node.rdev = entry.rdev;
        this.place(full, node, opts.dirMeta);
      },
      summary: () => ({ files, dirs: countDirs(this.dirAt(prefix)), bytes }),
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

  private claim(prefix: string, path: string): string {
    checkEntryPath(path);
    const full = `${prefix}/${path}`;
    if (this.claimed.has(full)) throw new EnvsnapError('INVALID_ARGUMENT', `entry ${full} written twice`);
    this.claimed.add(full);
    return full;
  }

  private async save(data: AsyncIterable<Uint8Array> | Uint8Array): Promise<SavedStream> {
    if (this.store) return saveStream(this.store.saver, this.store.repo.chunker, data, this.onBytes);
    let size = 0;
    if (data instanceof Uint8Array) size = data.byteLength;
    else for await (const piece of data) size += piece.byteLength;
    this.onBytes?.(size);
    return { content: [], size };
  }

  private async saveDir(dir: DirEntry): Promise<string> {
    if (!this.store) throw new Error('EntryTreeBuilder.checker() stores nothing');
    const nodes: TreeNode[] = [...dir.files.values()];
    for (const [name, sub] of dir.dirs) {
      nodes.push({ ...this.baseNode(name), type: 'dir', mode: 0o755, ...(sub.meta ? metaFields(sub.meta) : {}), subtree: await this.saveDir(sub) });
    }
    nodes.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    const { id } = await this.store.saver.save(BlobType.tree, encodeTree({ nodes }));
    return id.toString('hex');
  }

  /** The directory at `path`, made (with `meta`, and parents likewise) when missing. */
  private dirAt(path: string, meta?: EntryMeta): DirEntry {
    let dir = this.root;
    for (const part of path.split('/')) {
      if (dir.files.has(part)) throw new EnvsnapError('INVALID_ARGUMENT', `entry ${path}: ${part} is not a directory`);
      let next = dir.dirs.get(part);
      if (!next) dir.dirs.set(part, (next = newDir(meta)));
      dir = next;
    }
    return dir;
  }

  private fileAt(path: string): TreeNode | undefined {
    const parts = path.split('/');
    let dir: DirEntry | undefined = this.root;
    for (const part of parts.slice(0, -1)) dir = dir?.dirs.get(part);
    const node = dir?.files.get(parts.at(-1)!);
    return node?.type === 'file' ? node : undefined;
  }

  private place(path: string, node: TreeNode, dirMeta?: EntryMeta): void {
    const parts = path.split('/');
    const dir = parts.length > 1 ? this.dirAt(parts.slice(0, -1).join('/'), dirMeta) : this.root;
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

/** The node fields an entry's metadata sets (ctime is not carried by archives: it takes the mtime). */
function metaFields(meta: EntryMeta): Pick<TreeNode, 'mode' | 'uid' | 'gid' | 'mtimeNs' | 'ctimeNs'> {
  return { mode: meta.mode, uid: meta.uid, gid: meta.gid, mtimeNs: meta.mtimeNs, ctimeNs: meta.mtimeNs };
}

function countDirs(dir: DirEntry): number {
  let n = 0;
  for (const sub of dir.dirs.values()) n += 1 + countDirs(sub);
  return n;
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
