/**
 * Presence of a snapshot's data: whether every tree and data chunk a snapshot references is in an
 * index, in a pack the store holds, and not among the blobs check found damaged. Reads only the trees
 * (no data blob is read or verified, which is check --read-data's work), so snapshot:list can tell per
 * snapshot whether it can be restored, and check which snapshots the damage it found touches. Trees
 * shared by several snapshots are loaded once; a tree's answer is the first absence found below it.
 */
import { Semaphore } from '../core/async.ts';
import { isEnvsnapError } from '../core/errors.ts';
import { isHexId, shortId } from '../core/ids.ts';
import { BlobType, type BlobLocation } from '../repo/blob.ts';
import type { MasterIndex } from '../repo/index.ts';
import type { Repository } from '../repo/repository.ts';
import { decodeTree } from './tree.ts';
import { reason } from './walk.ts';

export interface PresenceOptions {
  index: MasterIndex;
  /** The ids of the packs the store holds. */
  packs: ReadonlySet<string>;
  /** Blobs known to be damaged (hex id → what is wrong, e.g. "damaged in pack 5e6f7a8b"). */
  damaged?: ReadonlyMap<string, string>;
  /** Trees loading at once; default 16. */
  concurrency?: number;
}

export interface AbsentData {
  /** The first absent or damaged object found, e.g. "data blob 1a2b3c4d is in pack 5e6f7a8b, which is missing". */
  detail: string;
  /** Whether it is one of the given damaged blobs (rather than missing or unreadable). */
  damaged: boolean;
}

/** For each root tree, what of its data is absent, or undefined when all of it is present. Only INTERRUPTED is thrown. */
export async function findAbsentData(repo: Repository, roots: Iterable<string>, opts: PresenceOptions): Promise<Map<string, AbsentData | undefined>> {
  const loads = new Semaphore(Math.max(1, opts.concurrency ?? 16));
  const trees = new Map<string, Promise<AbsentData | undefined>>();
  const missing = (detail: string): AbsentData => ({ detail, damaged: false });

  const locate = (hex: string, type: BlobType): BlobLocation | AbsentData => {
    const what = `${type === BlobType.tree ? 'tree' : 'data blob'} ${shortId(hex)}`;
    if (!isHexId(hex)) return missing(`${JSON.stringify(hex)} is not a valid blob id`);
    const damage = opts.damaged?.get(hex);
    if (damage !== undefined) return { detail: `${what} is ${damage}`, damaged: true };
    const loc = opts.index.get(Buffer.from(hex, 'hex'));
    if (!loc || loc.type !== type) return missing(`${what} is not in the index`);
    if (!opts.packs.has(loc.packId)) return missing(`${what} is in pack ${shortId(loc.packId)}, which is missing`);
    return loc;
  };

  const visit = async (id: string): Promise<AbsentData | undefined> => {
    const loc = locate(id, BlobType.tree);
    if ('detail' in loc) return loc;
    let nodes;
    await loads.acquire();
    try {
      nodes = decodeTree(await repo.readBlob(loc), id).nodes;
    } catch (err) {
      if (isEnvsnapError(err, 'INTERRUPTED')) throw err;
      return missing(`tree ${shortId(id)} cannot be read (${reason(err)})`);
    } finally {
      loads.release();
    }
    const subtrees: string[] = [];
    for (const node of nodes) {
      if (node.type === 'dir' && typeof node.subtree === 'string') subtrees.push(node.subtree);
      for (const chunk of node.type === 'file' ? (node.content ?? []) : []) {
        const found = locate(chunk, BlobType.data);
        if ('detail' in found) return found;
      }
    }
    for (const absent of await Promise.all(subtrees.map(tree))) if (absent !== undefined) return absent;
    return undefined;
  };

  const tree = (id: string): Promise<AbsentData | undefined> => {
    let p = trees.get(id);
    if (!p) trees.set(id, (p = visit(id)));
    return p;
  };

  const out = new Map<string, AbsentData | undefined>();
  const list = [...new Set(roots)];
  const results = await Promise.all(list.map(tree));
  list.forEach((root, i) => out.set(root, results[i]));
  return out;
}
