/**
 * Sources and sinks: the drivers that turn one part of an environment (a MySQL database, a Redis
 * instance, an SQLite file) into files of a snapshot and back. A Source writes a virtual directory
 * of files through an EntryWriter; a Sink reads them back through an EntryReader. Drivers never
 * see the repository: the snapshot layer chunks, dedups and seals what they write, and tests can
 * run a driver against MemoryEntries alone.
 *
 * Lifecycle of a capture (the snapshot layer calls these in order, always ending with close):
 *   open()    connect and check access; before maintenance mode is switched on, so a wrong
 *             password never costs the shop downtime
 *   pin()     fix the consistent point (for MySQL: the consistent-snapshot transactions); called
 *             while maintenance mode is on, must be quick
 *   capture() stream everything as of the pinned point into the writer
 *   close()   release connections and locks; idempotent, also after a failure or without open()
 *
 * A file-tree source (the members of an archive, tar-source.ts) writes through a FileTreeWriter:
 * files with their metadata, and directories, symlinks, hardlinks and devices besides — the entries
 * of the snapshot's `files/` tree, which a walk of the mounts (snapshot/archiver.ts) builds otherwise.
 */
import type { Progress } from '../core/logger.ts';
import type { Logger } from '../core/logger.ts';

export type SourceKind = 'mysql' | 'redis' | 'sqlite';

/** Where a source writes its files. Paths are relative, '/'-separated, without '.' or '..' parts. */
export interface EntryWriter {
  /**
   * Stores one file, its bytes streamed (never held whole). Resolves once every chunk is accepted.
   * Files of one source may be written concurrently; each path at most once.
   */
  writeFile(path: string, data: AsyncIterable<Uint8Array> | Uint8Array): Promise<{ size: number }>;
}

/** Metadata of one entry of a file tree, as an lstat or a tar header gives it. */
export interface EntryMeta {
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch, as a decimal string. */
  mtimeNs: string;
}

/** An entry of a file tree that is not a file's contents. */
export type TreeEntry =
  | { type: 'dir'; meta: EntryMeta }
  | { type: 'symlink'; target: Buffer; meta: EntryMeta }
  /** Another name for a file written before (`target`: its path, relative like every entry path). */
  | { type: 'hardlink'; target: string }
  | { type: 'fifo' | 'chardev' | 'blockdev'; rdev: number; meta: EntryMeta };

/**
 * Where a file-tree source writes. Entries arrive in any order: a directory's own entry may come
 * after entries inside it (its metadata then applies), parents never written get default metadata.
 * Rejects with INVALID_ARGUMENT when a path is written twice, lies below something that is not a
 * directory, or a hardlink names no file written before.
 */
export interface FileTreeWriter extends EntryWriter {
  writeFile(path: string, data: AsyncIterable<Uint8Array> | Uint8Array, meta?: EntryMeta): Promise<{ size: number }>;
  addEntry(path: string, entry: TreeEntry): void;
}

/** Where a sink reads the files its source wrote. */
export interface EntryReader {
  /** Every file path with its size, sorted by path. */
  list(): { path: string; size: number }[];
  /** The bytes of one file, in order; rejects with NOT_FOUND for an unknown path. */
  read(path: string): AsyncIterable<Buffer>;
}

/** What a capture reports; `details` goes into the snapshot manifest as is (no secrets). */
export interface CaptureResult {
  /** Logical bytes captured (what the source's files add up to). */
  bytes: number;
  details: Record<string, unknown>;
}

/** The consistent point a source was pinned at. */
export interface PinResult {
  /** True when every file the capture writes reflects this one point in time. */
  consistent: boolean;
  /** Binlog file and position, GTID, … — goes into the manifest. */
  details: Record<string, unknown>;
}

export interface CaptureOptions {
  logger: Logger;
  progress: Progress;
  signal?: AbortSignal;
}

/** `W`: what the source writes through — source files (EntryWriter), or a whole file tree (FileTreeWriter). */
export interface Source<W extends EntryWriter = EntryWriter> {
  /** 'files' for a file-tree source. */
  readonly kind: SourceKind | 'files';
  /** Unique within an environment ("default", "checkout", "cache", …); errors name it. */
  readonly name: string;
  /** Rejects with SOURCE_UNAVAILABLE (naming the source) when the server cannot be reached or refuses. */
  open(opts: CaptureOptions): Promise<void>;
  pin(): Promise<PinResult>;
  capture(out: W, opts: CaptureOptions): Promise<CaptureResult>;
  close(): Promise<void>;
}

export interface RestoreOptions extends CaptureOptions {
  /** What the capture reported (CaptureResult.details), for drivers that need it. */
  details: Record<string, unknown>;
}

export interface Sink {
  readonly kind: SourceKind;
  readonly name: string;
  open(opts: CaptureOptions): Promise<void>;
  /**
   * One line on what a restore would replace ("database magento on 127.0.0.1:3306: 312 tables"),
   * for the confirmation prompt; empty when the target holds nothing.
   */
  describeTarget(): Promise<string>;
  /**
   * Loads the files into the target. A failure must leave the target as it was or recoverable
   * (for MySQL: loaded into a new schema first, swapped in only when complete; for Redis: loaded
   * into an empty scratch db, swapped in with SWAPDB).
   */
  restore(input: EntryReader, opts: RestoreOptions): Promise<void>;
  close(): Promise<void>;
}
