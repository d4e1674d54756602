/**
 * FdCache: open read-only file descriptors of pack files, kept for reuse. A restore reads thousands
 * of ranges from a few hundred packs; opening and closing the file for each costs more than the
 * read. Entries are reference-counted so an eviction or delete never closes a descriptor a read is
 * still using (closing it could let the number be reused by another file mid-read).
 */
import { open as openCb, close as closeCb, read as readCb } from 'node:fs';

interface Entry {
  fd: Promise<number>;
  users: number;
  evicted: boolean;
}

export class FdCache {
  private readonly entries = new Map<string, Entry>();
  private readonly capacity: number;

  constructor(capacity = 64) {
    this.capacity = capacity;
  }

  /** Reads exactly [position, position+length) or fewer bytes at end of file; returns the byte count. */
  async read(path: string, buf: Buffer, length: number, position: number): Promise<number> {
    const e = this.acquire(path);
    try {
      const fd = await e.fd;
      let got = 0;
      while (got < length) {
        const n = await new Promise<number>((resolve, reject) =>
          readCb(fd, buf, got, length - got, position + got, (err, bytes) => (err ? reject(err) : resolve(bytes))),
        );
        if (n === 0) break;
        got += n;
      }
      return got;
    } finally {
      this.release(path, e);
    }
  }

  /** Forgets a path (its file is being deleted or replaced). */
  evict(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    e.evicted = true;
    if (e.users === 0) closeEntry(e);
  }

  private acquire(path: string): Entry {
    let e = this.entries.get(path);
    if (e) {
      // Most recently used goes last: Map order is the LRU order.
      this.entries.delete(path);
      this.entries.set(path, e);
    } else {
      e = {
        fd: new Promise<number>((resolve, reject) => openCb(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd)))),
        users: 0,
        evicted: false,
      };
      this.entries.set(path, e);
      const entry = e;
      // A failed open must not stay cached.
      e.fd.catch(() => {
        if (this.entries.get(path) === entry) this.entries.delete(path);
      });
      while (this.entries.size > this.capacity) {
        const oldest = this.entries.keys().next().value as string;
        this.evict(oldest);
      }
    }
    e.users++;
    return e;
  }

  private release(path: string, e: Entry): void {
    e.users--;
    if (e.evicted && e.users === 0) closeEntry(e);
    void path;
  }

  closeAll(): void {
    for (const path of [...this.entries.keys()]) this.evict(path);
  }
}

function closeEntry(e: Entry): void {
  e.fd.then(
    (fd) => closeCb(fd, () => {}),
    () => {},
  );
}
