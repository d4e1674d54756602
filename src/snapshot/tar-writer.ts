/**
 * A snapshot tree (or a directory of it) as tar entries (POSIX ustar with pax headers where names
 * or values need them, written by tar-stream): directories, files with their contents, symlinks,
 * hardlinks (the second path of an inode as a link to the first), FIFOs and devices, with mode,
 * mtime and uid/gid. File contents are fetched a few chunks ahead and written with backpressure, so
 * memory stays bounded whatever the file sizes. Names that are not valid UTF-8 go out in their
 * lossy UTF-8 form, with a warning naming them.
 */
import type { Pack } from 'tar-stream';
import { EnvsnapError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Repository } from '../repo/repository.ts';
import type { TreeNode } from './tree.ts';
import { loadTree as loadTreeOf, readChunks } from './tree-reader.ts';

export interface TarTreeOptions {
  /** Path inside the tree to export (its contents go out under their paths relative to the tree root); default the whole tree. */
  path?: string;
  /** Prefix of every member name ("" or e.g. "shop/"). */
  prefix?: string;
  /** Name members relative to `path` (its contents only) rather than to the tree root. */
  relative?: boolean;
  logger: Logger;
  /** Called with the bytes of file content written. */
  onBytes?: (n: number) => void;
}

export interface TarTreeSummary {
  files: number;
  dirs: number;
  bytes: number;
}

/** Adds the entries of `treeId` (below `opts.path`) to `pack`; does not finalize it. */
export async function addTreeToTar(repo: Repository, treeId: string, pack: Pack, opts: TarTreeOptions): Promise<TarTreeSummary> {
  const summary: TarTreeSummary = { files: 0, dirs: 0, bytes: 0 };
  const prefix = opts.prefix ?? '';
  const firstPathOfInode = new Map<string, string>();
  const loadTree = (id: string) => loadTreeOf(repo, id);

  const addNode = async (n: TreeNode, path: string): Promise<void> => {
    if (n.nameRaw !== undefined) opts.logger.warn(`${path}: the name is not valid UTF-8; the tar holds it as ${JSON.stringify(path)}`);
    const name = prefix + path;
    const base = { mode: n.mode, uid: n.uid, gid: n.gid, mtime: new Date(Number(BigInt(n.mtimeNs) / 1_000_000n)) };
    switch (n.type) {
      case 'dir':
        await entry(pack, { ...base, name: `${name}/`, type: 'directory' });
        summary.dirs++;
        if (n.subtree) for (const c of (await loadTree(n.subtree)).nodes) await addNode(c, `${path}/${c.name}`);
        return;
      case 'symlink':
        await entry(pack, { ...base, name, type: 'symlink', linkname: n.target ?? '' });
        return;
      case 'fifo':
      case 'chardev':
      case 'blockdev': {
        const rdev = n.rdev ?? 0;
        const type = n.type === 'fifo' ? 'fifo' : n.type === 'chardev' ? 'character-device' : 'block-device';
        await entry(pack, { ...base, name, type, devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) });
        return;
      }
      case 'file': {
        const key = n.links > 1 ? `${n.devId}:${n.inode}` : undefined;
        const first = key ? firstPathOfInode.get(key) : undefined;
        if (first !== undefined) {
          await entry(pack, { ...base, name, type: 'link', linkname: first });
          return;
        }
        if (key) firstPathOfInode.set(key, name);
        await fileEntry(repo, pack, { ...base, name, size: n.size ?? 0 }, n.content ?? [], (k) => {
          summary.bytes += k;
          opts.onBytes?.(k);
        });
        summary.files++;
        return;
      }
    }
  };

  let nodes = (await loadTree(treeId)).nodes;
  let at = '';
  const wanted = (opts.path ?? '').split('/').filter((p) => p !== '' && p !== '.');
  for (const part of wanted) {
    const n = nodes.find((x) => x.name === part);
    if (!n) throw new EnvsnapError('NOT_FOUND', `the snapshot has no ${at}${part}: list its contents with snapshot:info, or leave --path out`);
    at += `${part}/`;
    if (n.type !== 'dir') {
      await addNode(n, at.slice(0, -1));
      return summary;
    }
    nodes = n.subtree ? (await loadTree(n.subtree)).nodes : [];
  }
  for (const n of nodes) await addNode(n, (opts.relative ? '' : at) + n.name);
  return summary;
}

/** An entry without content (directory, link, device). */
function entry(pack: Pack, header: Parameters<Pack['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

/** A file entry whose content is streamed from its chunks, a few fetched ahead. */
async function fileEntry(repo: Repository, pack: Pack, header: Parameters<Pack['entry']>[0], ids: string[], onBytes: (n: number) => void): Promise<void> {
  const done = Promise.withResolvers<void>();
  const stream = pack.entry({ ...header, type: 'file' }, (err) => (err ? done.reject(err) : done.resolve()));
  done.promise.catch(() => {});
  let written = 0;
  try {
    for await (const buf of readChunks(repo, ids)) {
      written += buf.length;
      if (written > (header.size ?? 0)) throw new EnvsnapError('CORRUPT', `${header.name}: the content is larger than the size the snapshot recorded: run envsnap check --read-data`);
      onBytes(buf.length);
      if (!stream.write(buf)) await new Promise<void>((r) => stream.once('drain', () => r()));
    }
    if (written !== header.size) throw new EnvsnapError('CORRUPT', `${header.name}: the content is ${written} bytes where the snapshot recorded ${header.size}: run envsnap check --read-data`);
  } catch (err) {
    stream.destroy(err as Error);
    throw err;
  }
  stream.end(() => {});
  await done.promise;
}
