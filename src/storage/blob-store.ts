/**
 * BlobStore: where a repository keeps its objects. A flat namespace of names like `config`,
 * `keys/<id>`, `data/<id>`, `index/<id>`, `snapshots/<id>`, `pins/<id>`, `locks/<id>` mapped to immutable byte strings.
 * Implementations: local/ (a directory), memory/ (tests), faulty/ (a fault-injecting decorator).
 *
 * Contract (checked by testing/blob-store-contract.ts against every implementation):
 * - put is atomic: a reader sees either no object or all of it, never a prefix, even after a crash.
 *   put of an existing name replaces it atomically (only `locks/` and `config`-like names rely on this).
 *   When put resolves, the object is durable (fsync'd where the medium allows).
 * - get/getRange of a missing name reject with EnvsnapError code NOT_FOUND.
 * - delete is idempotent: deleting a missing name resolves.
 * - list yields every name under a prefix ("data/" lists all packs), in no particular order; names
 *   being written (not yet put) are never listed.
 * - A full medium rejects with code NO_SPACE, other failures with code IO; nothing partial remains.
 * - All methods may be called concurrently.
 */

export interface BlobInfo {
  name: string;
  size: number;
  /**
   * When the object was last written, in ms since the epoch by the store's clock (a file's mtime, an
   * S3 object's LastModified), where the store reports it. Prune keeps unindexed packs until they
   * are older than a margin, and keeps those whose age is unknown.
   */
  modified?: number;
}

/** An object's bytes, whole or as parts written back to back. */
export type BlobData = Uint8Array | readonly Uint8Array[];

export function blobDataLength(data: BlobData): number {
  return data instanceof Uint8Array ? data.byteLength : data.reduce((n, p) => n + p.byteLength, 0);
}

/** One buffer holding the bytes (the buffer itself when whole). */
export function blobDataBytes(data: BlobData): Uint8Array {
  return data instanceof Uint8Array ? data : Buffer.concat(data);
}

/** An object being streamed in (see BlobStore.openWriter). */
export interface BlobWriter {
  append(data: BlobData): Promise<void>;
  /** Makes the object visible whole and durable, like put. */
  commit(): Promise<void>;
  /** Drops what was written; nothing becomes visible. Idempotent. */
  abort(): Promise<void>;
}

export interface BlobStore {
  /** A short description for messages, e.g. the directory path. Never contains secrets. */
  readonly location: string;
  get(name: string): Promise<Buffer>;
  /**
   * Bytes [offset, offset+length) of an object; rejects with CORRUPT if the object is shorter.
   * `into`: a buffer of at least `length` bytes the result may be read into (the result is then a
   * view of it) — a caller's reusable memory; stores that do not download ignore it.
   */
  getRange(name: string, offset: number, length: number, opts?: { into?: Buffer }): Promise<Buffer>;
  /**
   * The caller is done with bytes getRange returned (a worker has used them): a store may reuse their
   * memory. Optional, and only an optimisation: bytes never released are left to the collector.
   */
  releaseRange?(data: Uint8Array): void;
  /** `data` may be given in parts (written back to back, no concatenation needed); callers must not change it until put resolves. */
  put(name: string, data: BlobData): Promise<void>;
  delete(name: string): Promise<void>;
  /** Every object whose name starts with `prefix` (a folder like "data/" or "" for all). */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** Size of an object, or undefined when it does not exist. */
  stat(name: string): Promise<BlobInfo | undefined>;
  /** Whether the store's location exists at all (used to tell "no repository" from "empty"). */
  exists(): Promise<boolean>;
  /** Prepares an empty location (creates the directory or bucket). */
  create(): Promise<void>;
  /**
   * The local file holding an object, for readers in other threads (restore workers read packs
   * directly). Only stores backed by local files implement it; others leave it undefined.
   */
  localPath?(name: string): string;
  /**
   * Target pack size for a repository created in this store, when it differs from the default:
   * object stores bill and wait per request, so fewer, larger packs pay there.
   */
  readonly preferredPackSize?: number;
  /**
   * Streams an object in instead of holding it whole in memory: parts are written as they come and
   * the object appears, atomically, only on commit. Optional; without it callers use put.
   */
  openWriter?(name: string): Promise<BlobWriter>;
  /**
   * The ranges a reader is about to ask for, in the order it will ask (a restore's chunks): a store
   * that fetches ahead can have the next ones under way while the current ones are used. Optional;
   * a later plan replaces an earlier one.
   */
  planReads?(reads: readonly { name: string; offset: number }[]): void;
  /**
   * Removes what interrupted writes left behind (temp files, unfinished multipart uploads) that is
   * more than `olderThanMs` older than `now`; returns how many. Optional: stores that leave nothing
   * behind omit it. The age keeps it from touching a write still running.
   */
  removeStaleTemp?(olderThanMs: number, now: number): Promise<number>;
}

/** Object names of the repository layout; see docs/FORMAT.md. */
export const Names = {
  marker: 'envsnap',
  config: 'config',
  key: (id: string) => `keys/${id}`,
  pack: (id: string) => `data/${id}`,
  index: (id: string) => `index/${id}`,
  snapshot: (id: string) => `snapshots/${id}`,
  pin: (snapshotId: string) => `pins/${snapshotId}`,
  lock: (id: string) => `locks/${id}`,
} as const;

/** Last path segment of a name: the object id. */
export function idOf(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
