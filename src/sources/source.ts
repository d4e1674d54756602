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

export interface Source {
  readonly kind: SourceKind;
  /** Unique within an environment ("default", "checkout", "cache", …); errors name it. */
  readonly name: string;
  /** Rejects with SOURCE_UNAVAILABLE (naming the source) when the server cannot be reached or refuses. */
  open(opts: CaptureOptions): Promise<void>;
  pin(): Promise<PinResult>;
  capture(out: EntryWriter, opts: CaptureOptions): Promise<CaptureResult>;
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
   * (for MySQL: loaded into a new schema first, swapped in only when complete).
   */
  restore(input: EntryReader, opts: RestoreOptions): Promise<void>;
  close(): Promise<void>;
}
