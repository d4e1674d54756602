/**
 * Snapshot diff: what changed between two snapshots, path by path. Both trees are walked together by
 * name (merge join on the raw name bytes, the order trees are stored in); a directory whose subtree id
 * is the same on both sides is skipped without loading it, which is what keeps a diff of two large,
 * mostly equal snapshots fast. Changes:
 *   '+' added, '-' removed, 'M' content changed (chunk list, link target or device),
 *   'T' type changed (a file became a directory…), 'U' only metadata changed (mode, mtime, owner).
 * Paths are relative to the snapshot root and '/'-separated; a directory's own change comes before its
 * contents, and the contents of an added or removed directory are listed too.
 */
import type { Repository } from '../repo/repository.ts';
import type { Snapshot } from './manifest.ts';
import { loadTree } from './tree-reader.ts';
import { nodeNameBytes, nodeTargetBytes, type NodeType, type Tree, type TreeNode } from './tree.ts';

export type ChangeKind = '+' | '-' | 'M' | 'T' | 'U';

export interface DiffChange {
  change: ChangeKind;
  path: string;
  /** The node type after the change ('-': before it). */
  type: NodeType;
  /** For 'T': the type before. */
  oldType?: NodeType;
  /** File sizes in bytes on either side, where a side is a regular file. */
  oldSize?: number;
  newSize?: number;
}

export interface DiffTotals {
  /** Regular files added, removed, with changed content, and their bytes (sizes of the added files, the removed files, the modified files' new contents). */
  addedFiles: number;
  removedFiles: number;
  modifiedFiles: number;
  addedBytes: number;
  removedBytes: number;
  modifiedBytes: number;
  /** Directories added and removed. */
  addedDirs: number;
  removedDirs: number;
  /** Paths whose type changed, and paths with only metadata changes (any type). */
  typeChanged: number;
  metadataChanged: number;
  /** Other nodes (symlinks, devices) added, removed or modified. */
  otherChanged: number;
}

export interface DiffResult {
  changes: DiffChange[];
  totals: DiffTotals;
}

export function emptyTotals(): DiffTotals {
  return {
    addedFiles: 0,
    removedFiles: 0,
    modifiedFiles: 0,
    addedBytes: 0,
    removedBytes: 0,
    modifiedBytes: 0,
    addedDirs: 0,
    removedDirs: 0,
    typeChanged: 0,
    metadataChanged: 0,
    otherChanged: 0,
  };
}

/** Adds one change to running totals; for callers that stream diffTrees. */
export function tallyChange(t: DiffTotals, c: DiffChange): void {
  switch (c.change) {
    case '+':
      if (c.type === 'file') {
        t.addedFiles++;
        t.addedBytes += c.newSize ?? 0;
      } else if (c.type === 'dir') t.addedDirs++;
      else t.otherChanged++;
      break;
    case '-':
      if (c.type === 'file') {
        t.removedFiles++;
        t.removedBytes += c.oldSize ?? 0;
      } else if (c.type === 'dir') t.removedDirs++;
      else t.otherChanged++;
      break;
    case 'M':
      if (c.type === 'file') {
        t.modifiedFiles++;
        t.modifiedBytes += c.newSize ?? 0;
      } else t.otherChanged++;
      break;
    case 'T':
      t.typeChanged++;
      break;
    case 'U':
      t.metadataChanged++;
      break;
  }
}

/** Every change between snapshot a (before) and b (after), with totals. Loads the index when needed. */
export async function diffSnapshots(repo: Repository, a: Snapshot, b: Snapshot): Promise<DiffResult> {
  const changes: DiffChange[] = [];
  const totals = emptyTotals();
  for await (const c of diffTrees(repo, a.tree, b.tree)) {
    changes.push(c);
    tallyChange(totals, c);
  }
  return { changes, totals };
}

/** Streams the changes between two root trees (see the file comment for their order). */
export async function* diffTrees(repo: Repository, treeA: string, treeB: string): AsyncGenerator<DiffChange> {
  await repo.loadIndex();
  if (treeA === treeB) return;
  const load = (id: string): Promise<Tree> => loadTree(repo, id);
  yield* diffDirs(load, treeA, treeB, '');
}

type Loader = (id: string) => Promise<Tree>;

function join(rel: string, name: string): string {
  return rel ? `${rel}/${name}` : name;
}

async function* diffDirs(load: Loader, idA: string, idB: string, rel: string): AsyncGenerator<DiffChange> {
  const [ta, tb] = await Promise.all([load(idA), load(idB)]);
  const na = sortedByName(ta.nodes);
  const nb = sortedByName(tb.nodes);
  let i = 0;
  let j = 0;
  while (i < na.length || j < nb.length) {
    const cmp = i >= na.length ? 1 : j >= nb.length ? -1 : Buffer.compare(na[i].key, nb[j].key);
    if (cmp < 0) {
      yield* whole(load, '-', na[i].node, join(rel, na[i].node.name));
      i++;
    } else if (cmp > 0) {
      yield* whole(load, '+', nb[j].node, join(rel, nb[j].node.name));
      j++;
    } else {
      yield* diffNodes(load, na[i].node, nb[j].node, join(rel, nb[j].node.name));
      i++;
      j++;
    }
  }
}

/** Trees are stored sorted by raw name bytes; sorting again is cheap and keeps a hand-made tree from breaking the join. */
function sortedByName(nodes: TreeNode[]): { key: Buffer; node: TreeNode }[] {
  return nodes.map((node) => ({ key: nodeNameBytes(node), node })).sort((x, y) => Buffer.compare(x.key, y.key));
}

/** A node added or removed, with everything below it when it is a directory. */
async function* whole(load: Loader, change: '+' | '-', node: TreeNode, path: string): AsyncGenerator<DiffChange> {
  const c: DiffChange = { change, path, type: node.type };
  if (node.type === 'file') {
    if (change === '+') c.newSize = node.size ?? 0;
    else c.oldSize = node.size ?? 0;
  }
  yield c;
  if (node.type === 'dir' && node.subtree) {
    const tree = await load(node.subtree);
    for (const { node: child } of sortedByName(tree.nodes)) yield* whole(load, change, child, join(path, child.name));
  }
}

async function* diffNodes(load: Loader, a: TreeNode, b: TreeNode, path: string): AsyncGenerator<DiffChange> {
  if (a.type !== b.type) {
    const c: DiffChange = { change: 'T', path, type: b.type, oldType: a.type };
    if (a.type === 'file') c.oldSize = a.size ?? 0;
    if (b.type === 'file') c.newSize = b.size ?? 0;
    yield c;
    // What was inside a directory is gone, or is new.
    if (a.type === 'dir' && a.subtree) for (const { node } of sortedByName((await load(a.subtree)).nodes)) yield* whole(load, '-', node, join(path, node.name));
    if (b.type === 'dir' && b.subtree) for (const { node } of sortedByName((await load(b.subtree)).nodes)) yield* whole(load, '+', node, join(path, node.name));
    return;
  }
  if (a.type === 'dir') {
    const same = a.subtree === b.subtree;
    // A directory's mtime moves whenever an entry is added or removed, which the entries already show;
    // only report it when nothing below changed, or when mode or owner changed.
    if (ownerOrModeDiffer(a, b) || (same && a.mtimeNs !== b.mtimeNs)) yield { change: 'U', path, type: 'dir' };
    if (!same && a.subtree && b.subtree) yield* diffDirs(load, a.subtree, b.subtree, path);
    return;
  }
  if (contentDiffers(a, b)) {
    const c: DiffChange = { change: 'M', path, type: b.type };
    if (b.type === 'file') {
      c.oldSize = a.size ?? 0;
      c.newSize = b.size ?? 0;
    }
    yield c;
    return;
  }
  if (ownerOrModeDiffer(a, b) || a.mtimeNs !== b.mtimeNs) {
    const c: DiffChange = { change: 'U', path, type: b.type };
    if (b.type === 'file') c.oldSize = c.newSize = b.size ?? 0;
    yield c;
  }
}

function ownerOrModeDiffer(a: TreeNode, b: TreeNode): boolean {
  return a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid;
}

function contentDiffers(a: TreeNode, b: TreeNode): boolean {
  switch (a.type) {
    case 'file': {
      const ca = a.content ?? [];
      const cb = b.content ?? [];
      return (a.size ?? 0) !== (b.size ?? 0) || ca.length !== cb.length || ca.some((id, k) => id !== cb[k]);
    }
    case 'symlink':
      return !nodeTargetBytes(a).equals(nodeTargetBytes(b));
    case 'chardev':
    case 'blockdev':
      return a.rdev !== b.rdev;
    default:
      return false;
  }
}
