/**
 * File-system metadata ⇄ tree nodes: what envsnap records of a path (type, mode, owner, times,
 * inode for incremental runs and hardlinks) and the checks that decide a file is unchanged.
 */
import type { BigIntStats } from 'node:fs';
import { encodeName, type NodeType, type TreeNode } from './tree.ts';

export function nodeType(st: BigIntStats): NodeType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return undefined; // sockets are not captured: they mean nothing without their process
}

export function nodeFromStat(name: Buffer, st: BigIntStats, type: NodeType): TreeNode {
  const n = encodeName(name);
  const node: TreeNode = {
    name: n.text,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtimeNs: st.mtimeNs.toString(),
    ctimeNs: st.ctimeNs.toString(),
    inode: st.ino.toString(),
    devId: st.dev.toString(),
    links: Number(st.nlink),
  };
  if (n.raw !== undefined) node.nameRaw = n.raw;
  if (type === 'file') {
    node.size = Number(st.size);
    // Fewer allocated blocks than the size needs means holes.
    if (st.blocks * 512n < st.size) node.sparse = true;
  }
  if (type === 'chardev' || type === 'blockdev') node.rdev = Number(st.rdev);
  return node;
}

/** Same size, mtime, ctime and inode as the parent snapshot's node: the content can be reused unread. */
export function unchangedSince(node: TreeNode, parent: TreeNode | undefined): boolean {
  return (
    parent !== undefined &&
    parent.type === 'file' &&
    node.type === 'file' &&
    parent.size === node.size &&
    parent.mtimeNs === node.mtimeNs &&
    parent.ctimeNs === node.ctimeNs &&
    parent.inode === node.inode &&
    Array.isArray(parent.content)
  );
}
