/**
 * Trees: one directory listing per tree blob, nodes sorted by the raw bytes of their names. A tree's
 * id is the keyed hash of its JSON, so an unchanged directory is stored once across snapshots.
 * Names and link targets that are not valid UTF-8 are kept byte-exact in base64 (`nameRaw`, `targetRaw`).
 */
import { EnvsnapError } from '../core/errors.ts';

export type NodeType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev';

export interface TreeNode {
  name: string;
  nameRaw?: string;
  type: NodeType;
  /** Permission bits including setuid/setgid/sticky (st_mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch, as a decimal string (exceeds 2^53). */
  mtimeNs: string;
  ctimeNs: string;
  inode: string;
  devId: string;
  links: number;
  size?: number;
  /** Hex ids of the data chunks, in order. */
  content?: string[];
  /** The file had holes when captured; all-zero chunks are restored as holes. */
  sparse?: boolean;
  target?: string;
  targetRaw?: string;
  subtree?: string;
  rdev?: number;
}

export interface Tree {
  nodes: TreeNode[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A name or target as stored: text when valid UTF-8, else lossy text plus the exact bytes. */
export function encodeName(raw: Buffer): { text: string; raw?: string } {
  try {
    return { text: decoder.decode(raw) };
  } catch {
    return { text: raw.toString('utf8'), raw: raw.toString('base64') };
  }
}

export function nodeNameBytes(n: TreeNode): Buffer {
  return n.nameRaw !== undefined ? Buffer.from(n.nameRaw, 'base64') : Buffer.from(n.name, 'utf8');
}

export function nodeTargetBytes(n: TreeNode): Buffer {
  return n.targetRaw !== undefined ? Buffer.from(n.targetRaw, 'base64') : Buffer.from(n.target ?? '', 'utf8');
}

export function encodeTree(tree: Tree): Buffer {
  return Buffer.from(JSON.stringify(tree));
}

export function decodeTree(buf: Buffer, id: string): Tree {
  try {
    const t = JSON.parse(buf.toString('utf8')) as Tree;
    if (!Array.isArray(t.nodes)) throw new Error('no nodes');
    return t;
  } catch (err) {
    throw new EnvsnapError('CORRUPT', `tree ${id} is malformed: run "envsnap check"`, { cause: err });
  }
}

/** Rejects names that could address anything outside their directory. */
export function checkSafeName(name: Buffer, where: string): void {
  if (name.length === 0 || name.includes(0x2f) || name.includes(0) || (name.length <= 2 && /^\.\.?$/.test(name.toString('latin1')))) {
    throw new EnvsnapError(
      'UNSAFE_PATH',
      `snapshot holds an unsafe name ${JSON.stringify(name.toString('utf8'))} in ${where || '.'}: refusing to restore a manifest that escapes the target`,
    );
  }
}

export function compareNames(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}
