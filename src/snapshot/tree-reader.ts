/**
 * Reading a snapshot tree out of the repository: a tree by id, the subtree at a directory path,
 * and a file's content as its chunks in order, fetched a few ahead (decrypted and verified on the
 * workers) while the consumer takes the current one.
 */
import { EnvsnapError } from '../core/errors.ts';
import { BlobType } from '../repo/blob.ts';
import type { Repository } from '../repo/repository.ts';
import { decodeTree, type Tree } from './tree.ts';

export async function loadTree(repo: Repository, id: string): Promise<Tree> {
  return decodeTree(await repo.loadBlob(BlobType.tree, Buffer.from(id, 'hex')), id);
}

/** The tree id of a directory path ("mysql/default") inside a snapshot's root tree. */
export async function resolveSubtree(repo: Repository, rootId: string, path: string): Promise<string> {
  let id = rootId;
  for (const part of path.split('/').filter(Boolean)) {
    const next = (await loadTree(repo, id)).nodes.find((n) => n.name === part && n.type === 'dir')?.subtree;
    if (!next) throw new EnvsnapError('CORRUPT', `the snapshot's tree lacks ${path}: run "envsnap check"`);
    id = next;
  }
  return id;
}

/** The data chunks `ids` in order, up to `ahead` of them being fetched at once. */
export async function* readChunks(repo: Repository, ids: readonly string[], ahead = 4): AsyncGenerator<Buffer> {
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (next < ids.length && pending.length < ahead) {
      const p = repo.loadBlob(BlobType.data, Buffer.from(ids[next++], 'hex'));
      p.catch(() => {}); // observed when awaited; avoid an unhandled rejection if the consumer stops early
      pending.push(p);
    }
  };
  fill();
  while (pending.length > 0) {
    const buf = await pending.shift()!;
    fill();
    yield buf;
  }
}
