/**
 * MemoryEntries: an EntryWriter and EntryReader over a Map, so a source driver can be tested with
 * no repository at all. Checks the writer's contract: safe relative paths, each path written once.
 * As a FileTreeWriter it also keeps each file's metadata and the other entries (directories,
 * links, devices) as written.
 */
import { EnvsnapError } from '../core/errors.ts';
import type { EntryMeta, EntryReader, FileTreeWriter, TreeEntry } from '../sources/source.ts';
import { checkEntryPath } from '../sources/entry-path.ts';

export class MemoryEntries implements FileTreeWriter, EntryReader {
  readonly files = new Map<string, Buffer>();
  /** Metadata of the files written with some. */
  readonly meta = new Map<string, EntryMeta>();
  /** Directories, links and devices, in the order written. */
  readonly entries = new Map<string, TreeEntry>();

  async writeFile(path: string, data: AsyncIterable<Uint8Array> | Uint8Array, meta?: EntryMeta): Promise<{ size: number }> {
    checkEntryPath(path);
    if (this.files.has(path) || this.entries.has(path)) throw new Error(`entry ${path} written twice`);
    if (meta) this.meta.set(path, meta);
    this.files.set(path, Buffer.alloc(0)); // claimed while streaming
    const parts: Buffer[] = [];
    if (data instanceof Uint8Array) parts.push(Buffer.from(data));
    else for await (const p of data) parts.push(Buffer.from(p));
    const buf = Buffer.concat(parts);
    this.files.set(path, buf);
    return { size: buf.length };
  }

  addEntry(path: string, entry: TreeEntry): void {
    checkEntryPath(path);
    if (this.files.has(path) || this.entries.has(path)) throw new Error(`entry ${path} written twice`);
    this.entries.set(path, entry);
  }

  list(): { path: string; size: number }[] {
    return [...this.files].map(([path, b]) => ({ path, size: b.length })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async *read(path: string): AsyncIterable<Buffer> {
    const b = this.files.get(path);
    if (!b) throw new EnvsnapError('NOT_FOUND', `no entry ${path} in the snapshot`);
    // Hand out in pieces, as the repository reader does, so sinks cannot assume one buffer per file.
    const piece = 64 * 1024;
    for (let i = 0; i < b.length; i += piece) yield b.subarray(i, Math.min(b.length, i + piece));
  }
}
