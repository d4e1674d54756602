/**
 * walkTrees: every tree reachable from a set of root trees, loaded once each (deduplicated by id,
 * bounded concurrency) and handed to a visitor — how check and prune find the blobs snapshots use.
 * A tree that is missing from the index, has the wrong type, cannot be read or fails to decrypt is
 * returned as a TreeProblem instead of thrown, so check can report every damaged tree in one run and
 * prune can refuse to delete anything while one is unreadable. `reason` shortens a lower layer's
 * error message to its cause, for callers that add their own advice.
 */
import { isHexId } from '../core/ids.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { BlobType } from '../repo/blob.ts';
import type { MasterIndex } from '../repo/index.ts';
import type { Repository } from '../repo/repository.ts';
import { decodeTree, type Tree } from './tree.ts';

export type TreeProblemKind =
  /** The id is not in the index at all. */
  | 'missing'
  /** The index knows the id, but as a data blob. */
  | 'wrong-type'
  /** The id is not 64 hex characters (a malformed parent tree or manifest). */
  | 'invalid-id'
  /** Stored but unusable: its pack is gone or short, it failed authentication or its hash check, or it is not a tree. */
  | 'unreadable';

export interface TreeProblem {
  kind: TreeProblemKind;
  treeId: string;
  /** The root tree it was first reached from, and its path below that root ('' for the root itself). */
  root: string;
  path: string;
  /** What went wrong, from the underlying error (without that error's advice). */
  message: string;
  error?: unknown;
}

/** Where a visited tree was first reached from. */
export interface TreeVisit {
  root: string;
  /** '/'-separated path below the root; '' for the root tree. */
  path: string;
}

export interface WalkOptions {
  /** Trees loading at once; default 16. */
  concurrency?: number;
  /**
   * The index used to find trees; default the repository's own. check and prune pass one built from
   * the index files as they are now, so a stale in-memory index cannot hide or invent a tree.
   */
  index?: MasterIndex;
  /** Called for each problem as it is found (they are also returned). */
  onProblem?: (p: TreeProblem) => void;
}

export interface WalkResult {
  /** Distinct trees loaded and visited. */
  trees: number;
  problems: TreeProblem[];
}

/** The cause of a lower-level error without its own advice ("…: run envsnap check"), which would repeat or contradict the caller's. */
export function reason(err: unknown): string {
  return conciseReason(err instanceof Error ? err.message : String(err));
}

function conciseReason(message: string): string {
  return message.replace(/^blob [0-9a-f]{64} /, '').replace(/: run "envsnap[^"]*".*$/s, '');
}

/** Trees up to this size are opened on the calling thread, as Repository.loadBlob does. */

interface Pending {
  id: string;
  root: string;
  path: string;
}

/**
 * Loads every tree reachable from `rootTreeIds` exactly once and calls `visit` for each. Subtrees are
 * followed through dir nodes' `subtree`. Errors thrown by `visit` itself are not problems: they reject.
 */
export async function walkTrees(
  repo: Repository,
  rootTreeIds: Iterable<string>,
  visit: (treeId: string, tree: Tree, at: TreeVisit) => void | Promise<void>,
  opts: WalkOptions = {},
): Promise<WalkResult> {
  const index = opts.index ?? repo.index;
  const limit = Math.max(1, opts.concurrency ?? 16);
  const seen = new Set<string>();
  const queue: Pending[] = [];
  const problems: TreeProblem[] = [];
  let trees = 0;

  const report = (p: TreeProblem) => {
    problems.push(p);
    opts.onProblem?.(p);
  };
  const enqueue = (id: string, root: string, path: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    queue.push({ id, root, path });
  };

  const load = async (item: Pending): Promise<Tree | undefined> => {
    const problem = (kind: TreeProblemKind, message: string, error?: unknown) =>
      report({ kind, treeId: item.id, root: item.root, path: item.path, message, error });
    if (!isHexId(item.id)) {
      problem('invalid-id', `"${item.id}" is not a tree id`);
      return undefined;
    }
    const loc = index.get(Buffer.from(item.id, 'hex'));
    if (!loc) {
      problem('missing', 'not in the index');
      return undefined;
    }
    if (loc.type !== BlobType.tree) {
      problem('wrong-type', 'the index lists it as a data blob');
      return undefined;
    }
    try {
      // Read at the location of the given index, not repo.loadBlob, which would consult the repository's own index.
      const plain = await repo.readBlob(loc);
      return decodeTree(plain, item.id);
    } catch (err) {
      if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
      const why = isEnvsnapError(err, 'NOT_FOUND') ? `its pack ${loc.packId.slice(0, 8)} does not exist` : reason(err);
      problem('unreadable', why, err);
      return undefined;
    }
  };

  // A shared queue drained by `limit` runners; a runner that finds it empty waits while others may still add to it.
  let active = 0;
  let wake: (() => void)[] = [];
  let failure: unknown;
  const notify = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  const runner = async () => {
    for (;;) {
      if (failure !== undefined) return;
      const item = queue.pop();
      if (!item) {
        if (active === 0) return;
        await new Promise<void>((r) => wake.push(r));
        continue;
      }
      active++;
      try {
        const tree = await load(item);
        if (tree) {
          trees++;
          await visit(item.id, tree, { root: item.root, path: item.path });
          for (const n of tree.nodes) {
            if (n.type === 'dir' && typeof n.subtree === 'string') {
              enqueue(n.subtree, item.root, item.path ? `${item.path}/${n.name}` : n.name);
            }
          }
        }
      } catch (err) {
        failure ??= err;
      } finally {
        active--;
        notify();
      }
    }
  };

  for (const id of rootTreeIds) enqueue(id, id, '');
  await Promise.all(Array.from({ length: limit }, runner));
  if (failure !== undefined) throw failure;
  return { trees, problems };
}
