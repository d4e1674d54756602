/**
 * Repository: an opened envsnap repository — store, master key, config, index, chunker and the
 * worker pool — with the operations every layer above needs: save and load blobs, read and write
 * snapshot manifests, load and rebuild the index. Opening checks the marker, then tries every key file.
 */
import { randomBytes } from 'node:crypto';
import { zstdDecompressSync } from 'node:zlib';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import { mapLimit } from '../core/async.ts';
import type { Clock } from '../core/clock.ts';
import { seal, open, adFor } from '../crypto/aead.ts';
import { defaultKdfParams, type KdfParams } from '../crypto/kdf.ts';
import { newMasterKey, wrapMasterKey, unwrapMasterKey, parseKeyFile, type MasterKey, type KeyFile } from '../crypto/keys.ts';
import { Names, idOf, type BlobInfo, type BlobStore } from '../storage/blob-store.ts';
import { Chunker } from './chunker.ts';
import { newConfig, sealConfig, openConfig, type RepoConfig } from './config.ts';
import { checkMarker, encodeMarker } from './format.ts';
import { marginsProblem, resolveMargins, type SafetyMargins } from './safety-margins.ts';
import type { LockCheck } from './lock.ts';
import { MasterIndex, decodeIndex } from './index.ts';
import { BlobSaver, writeIndexFile } from './blob-saver.ts';
import { WorkerPool } from './worker-pool.ts';
import type { FileTarget, SealedSource, WholeFile } from './worker-protocol.ts';
import { parsePackTail, type PackEntry } from './pack.ts';
import { openBlob } from './blob-codec.ts';

const INLINE_OPEN_BYTES = 16 * 1024;
import { BlobType, deriveBlobIdKeys, type BlobIdKeys } from './blob.ts';
import type { BlobLocation } from './blob.ts';

export interface KeyInfo {
  id: string;
  created: string;
  hostname: string;
  username: string;
  current: boolean;
}

export class Repository {
  readonly store: BlobStore;
  readonly master: MasterKey;
  private sealedConfig: RepoConfig;
  readonly keyId: string;
  readonly index = new MasterIndex();
  readonly chunker: Chunker;
  readonly clock: Clock;
  /** What openBlob needs: the encryption key and the per-type id keys. */
  readonly blobKeys: { encrypt: Buffer; ids: BlobIdKeys };
  private pool: WorkerPool | undefined;
  private indexLoaded = false;
  /**
   * Runs once, just before the worker threads start — when data is about to flow; a run that only
   * reads trees (an unchanged re-snapshot, a listing) never starts them.
   */
  onWorkersStart: (() => void) | undefined;

  private constructor(store: BlobStore, master: MasterKey, config: RepoConfig, keyId: string, clock: Clock) {
    this.store = store;
    this.master = master;
    this.sealedConfig = config;
    this.keyId = keyId;
    this.clock = clock;
    this.blobKeys = { encrypt: master.encrypt, ids: deriveBlobIdKeys(master.id) };
    this.chunker = new Chunker(config.chunker, Buffer.from(config.chunker.seed, 'hex'));
  }

  /** Creates a repository in an empty location. */
  static async init(store: BlobStore, password: string, opts: { clock: Clock; kdf?: KdfParams }): Promise<Repository> {
    if (await store.exists()) {
      const any = await first(store.list(''));
      if (any !== undefined) throw new EnvsnapError('INVALID_ARGUMENT', await whyNotEmpty(store));
    }
    await store.create();
    const master = newMasterKey();
    const config = newConfig(store.preferredPackSize);
    const keyId = randomBytes(32).toString('hex');
    const keyFile = await wrapMasterKey(master, password, opts.kdf ?? defaultKdfParams(), keyId, new Date(opts.clock.now()));
    await store.put(Names.key(keyId), Buffer.from(JSON.stringify(keyFile, null, 1)));
    await store.put(Names.config, sealConfig(master.encrypt, config));
    // The marker is written last: a crash before it leaves no half-made repository that opens.
    await store.put(Names.marker, encodeMarker());
    return new Repository(store, master, config, keyId, opts.clock);
  }

  static async open(store: BlobStore, password: string, opts: { clock: Clock }): Promise<Repository> {
    await checkMarker(store);
    const keyNames: string[] = [];
    for await (const b of store.list('keys/')) keyNames.push(b.name);
    if (keyNames.length === 0) {
      throw new EnvsnapError('CORRUPT', `repository ${store.location} has no key files: it cannot be opened`);
    }
    let damaged = 0;
    for (const name of keyNames) {
      const keyId = idOf(name);
      let file: KeyFile;
      try {
        file = parseKeyFile(await store.get(name), keyId);
      } catch (err) {
        // One damaged key file must not lock out the others.
        if (!isEnvsnapError(err, 'CORRUPT')) throw err;
        damaged++;
        continue;
      }
      const master = await unwrapMasterKey(file, password, keyId);
      if (master) {
        const config = openConfig(master.encrypt, await store.get(Names.config));
        return new Repository(store, master, config, keyId, opts.clock);
      }
    }
    throw new EnvsnapError(
      'WRONG_PASSWORD',
      `wrong password for repository ${store.location}: no key opens with it${damaged ? ` (${damaged} key file(s) are damaged)` : ''}; check ENVSNAP_PASSWORD or --password-file`,
    );
  }

  get config(): RepoConfig {
    return this.sealedConfig;
  }

  /** The safety margins every host sharing the repository applies (see safety-margins.ts). */
  get margins(): SafetyMargins {
    return resolveMargins(this.sealedConfig.margins);
  }

  /**
   * Stores new safety margins in the config (one atomic put replacing it; every other field as it
   * was). Processes already running keep the margins they opened the repository with.
   */
  async saveMargins(margins: SafetyMargins): Promise<void> {
    const problem = marginsProblem(margins);
    if (problem) throw new EnvsnapError('INVALID_ARGUMENT', `${problem}; nothing was changed`);
    const config: RepoConfig = { ...this.sealedConfig, margins: { ...margins } };
    await this.store.put(Names.config, sealConfig(this.master.encrypt, config));
    this.sealedConfig = config;
  }

  workers(): WorkerPool {
    if (!this.pool) {
      this.onWorkersStart?.();
      this.pool = new WorkerPool(this.master, this.config.chunker);
    }
    return this.pool;
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  // ---- index ----

  /** Index file names currently in the store. */
  async listIndexFiles(): Promise<string[]> {
    const out: string[] = [];
    for await (const b of this.store.list('index/')) out.push(b.name);
    return out;
  }

  async readIndexFile(name: string): Promise<{ packId: string; entries: PackEntry[] }[]> {
    const id = idOf(name);
    const body = open(this.master.encrypt, await this.store.get(name), adFor('index', id), `index ${id}`);
    return decodeIndex(zstdDecompressSync(body), id);
  }

  async loadIndex(): Promise<void> {
    if (this.indexLoaded) return;
    const names = await this.listIndexFiles();
    await mapLimit(names, 8, async (name) => {
      for (const p of await this.readIndexFile(name)) this.index.addPack(p.packId, p.entries);
    });
    this.indexLoaded = true;
  }

  /** Pack ids in the store, with sizes. */
  async listPacks(): Promise<Map<string, number>> {
    return new Map([...(await this.listPackInfos())].map(([id, b]) => [id, b.size]));
  }

  /** Pack ids in the store, with sizes and (where the store reports it) when each was written. */
  async listPackInfos(): Promise<Map<string, BlobInfo>> {
    const out = new Map<string, BlobInfo>();
    for await (const b of this.store.list('data/')) out.set(idOf(b.name), b);
    return out;
  }

  /** Reads a pack's header from its tail. */
  async readPackHeader(packId: string, size: number): Promise<PackEntry[]> {
    const name = Names.pack(packId);
    const guess = Math.min(size, 64 * 1024);
    let tail = await this.store.getRange(name, size - guess, guess);
    let r = parsePackTail(this.master.encrypt, packId, tail, size);
    if (r.headerStart < 0) {
      const need = -r.headerStart;
      tail = await this.store.getRange(name, size - need, need);
      r = parsePackTail(this.master.encrypt, packId, tail, size);
    }
    return r.entries;
  }

  /**
   * Adds packs that exist but no index file lists — left by an interrupted run — to the index and
   * writes an index file for them, so their data is reused instead of uploaded again. Returns the count.
   * `lock` (the caller's) is verified before the index file is written.
   */
  async adoptUnindexedPacks(lock: LockCheck): Promise<number> {
    await this.loadIndex();
    const known = this.index.packs();
    const orphans = [...(await this.listPacks())].filter(([id]) => !known.has(id));
    if (orphans.length === 0) return 0;
    const adopted: { packId: string; entries: PackEntry[] }[] = [];
    await mapLimit(orphans, 8, async ([packId, size]) => {
      try {
        const entries = await this.readPackHeader(packId, size);
        adopted.push({ packId, entries });
      } catch (err) {
        if (!isEnvsnapError(err, 'CORRUPT')) throw err; // a damaged orphan is left for prune
      }
    });
    for (const p of adopted) this.index.addPack(p.packId, p.entries);
    if (adopted.length === 0) return 0;
    await lock.verify();
    await writeIndexFile(this.store, this.master.encrypt, adopted);
    return adopted.length;
  }

  // ---- blobs ----

  /** A saver for a writer holding `lock`: the lock is verified before every index file is written. */
  newSaver(opts: { lock: LockCheck; checkpointPacks?: number }): BlobSaver {
    return new BlobSaver({
      store: this.store,
      master: this.master,
      index: this.index,
      pool: () => this.workers(),
      packSize: this.config.packSize,
      checkpointPacks: opts.checkpointPacks,
      beforeIndexWrite: () => opts.lock.verify(),
    });
  }

  locate(type: BlobType, id: Uint8Array): BlobLocation {
    const loc = this.index.get(id);
    if (!loc || loc.type !== type) {
      throw new EnvsnapError(
        'CORRUPT',
        `${type === 1 ? 'tree' : 'data'} blob ${Buffer.from(id).toString('hex')} is missing from the index: run "envsnap check"`,
      );
    }
    return loc;
  }

  /**
   * A recorder of the data blobs a reader is about to read, in its order, for a store that fetches
   * ahead (BlobStore.planReads); undefined when the store does not. Only pack changes are kept, so
   * the plan stays small whatever the number of blobs.
   */
  readPlan(): { add(id: Uint8Array): void; commit(): void } | undefined {
    const store = this.store;
    if (!store.planReads) return undefined;
    const reads: { name: string; offset: number }[] = [];
    let last = '';
    return {
      add: (id) => {
        const loc = this.index.get(id);
        if (!loc) return; // reported when it is read
        const name = Names.pack(loc.packId);
        if (name !== last) reads.push({ name, offset: loc.offset });
        last = name;
      },
      commit: () => store.planReads!(reads),
    };
  }

  /** Loads, decrypts and verifies one blob (on a worker thread). */
  async loadBlob(type: BlobType, id: Uint8Array): Promise<Buffer> {
    return this.readBlob(this.locate(type, id));
  }

  /** Reads, decrypts and verifies the blob at a known location (from this or another index). */
  async readBlob(loc: BlobLocation): Promise<Buffer> {
    const type = loc.type;
    const sealed = await this.store.getRange(Names.pack(loc.packId), loc.offset, loc.length);
    try {
      // Trees and small blobs are cheaper to open here than to send to a worker and back (and a run
      // that only reads trees, like an unchanged re-snapshot, never starts the workers).
      if (loc.type === BlobType.tree || loc.rawLength <= INLINE_OPEN_BYTES) return openBlob(this.blobKeys, type, loc.id, loc.flags, loc.rawLength, sealed);
      return await this.workers().open(type, loc.id, loc.flags, loc.rawLength, sealed);
    } finally {
      this.store.releaseRange?.(sealed);
    }
  }

  /**
   * Writes one verified data blob into an open file at `to.position`. Decryption, the hash check and
   * the write all happen on a worker; with a local store the worker also reads the pack itself.
   */
  async writeBlobTo(id: Uint8Array, to: FileTarget): Promise<number> {
    const loc = this.locate(BlobType.data, id);
    await this.withSealedSource(loc, (source) => this.workers().writeTo(loc.id, loc.flags, loc.rawLength, source, to));
    return loc.rawLength;
  }

  /**
   * Restores a file of at most one data chunk (`id` undefined for an empty file) whole on a worker:
   * see WorkerPool.restoreFile. Returns the bytes written.
   */
  async restoreWholeFile(id: Uint8Array | undefined, file: WholeFile): Promise<number> {
    if (!id) {
      await this.workers().restoreFile(new Uint8Array(0), undefined, file);
      return 0;
    }
    const loc = this.locate(BlobType.data, id);
    await this.withSealedSource(loc, (source) => this.workers().restoreFile(loc.id, { flags: loc.flags, rawLength: loc.rawLength, source }, file));
    return loc.rawLength;
  }

  /**
   * Runs `use` with where a worker finds a data blob's sealed bytes — the local pack file, or the
   * bytes fetched — and releases fetched bytes to the store once it is done.
   */
  private async withSealedSource(loc: BlobLocation, use: (source: SealedSource) => Promise<void>): Promise<void> {
    const name = Names.pack(loc.packId);
    if (this.store.localPath) return use({ path: this.store.localPath(name), offset: loc.offset, length: loc.length });
    const data = await this.store.getRange(name, loc.offset, loc.length);
    try {
      await use({ data });
    } finally {
      this.store.releaseRange?.(data);
    }
  }

  // ---- sealed JSON objects (snapshots) ----

  async putSealedJson(name: string, kind: string, id: string, value: unknown): Promise<void> {
    await this.store.put(name, seal(this.master.encrypt, Buffer.from(JSON.stringify(value)), adFor(kind, id)));
  }

  async getSealedJson<T>(name: string, kind: string, id: string): Promise<T> {
    const raw = await this.store.get(name);
    return JSON.parse(open(this.master.encrypt, raw, adFor(kind, id), `${kind} ${id}`).toString('utf8')) as T;
  }

  // ---- keys ----

  async listKeys(): Promise<KeyInfo[]> {
    const out: KeyInfo[] = [];
    for await (const b of this.store.list('keys/')) {
      const id = idOf(b.name);
      const f = parseKeyFile(await this.store.get(b.name), id);
      out.push({ id, created: f.created, hostname: f.hostname, username: f.username, current: id === this.keyId });
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }

  async addKey(password: string, kdf: KdfParams = defaultKdfParams()): Promise<string> {
    const keyId = randomBytes(32).toString('hex');
    const file: KeyFile = await wrapMasterKey(this.master, password, kdf, keyId, new Date(this.clock.now()));
    await this.store.put(Names.key(keyId), Buffer.from(JSON.stringify(file, null, 1)));
    return keyId;
  }

  async removeKey(keyId: string): Promise<void> {
    if (keyId === this.keyId) {
      throw new EnvsnapError('INVALID_ARGUMENT', `key ${keyId.slice(0, 8)} is the one in use: open the repository with another key to remove it`);
    }
    if (!(await this.store.stat(Names.key(keyId)))) throw new EnvsnapError('NOT_FOUND', `no key ${keyId.slice(0, 8)}: see "envsnap key:list"`);
    await this.store.delete(Names.key(keyId));
  }

  /** Replaces the current key with one for a new password: the new key is written before the old one goes. */
  async changePassword(password: string, kdf: KdfParams = defaultKdfParams()): Promise<string> {
    const newId = await this.addKey(password, kdf);
    await this.store.delete(Names.key(this.keyId));
    return newId;
  }
}

/**
 * Why init refuses a location that holds objects: an envsnap repository, the leftovers of an
 * interrupted envsnap init (only `config` and envsnap key files), or anything else — another tool's
 * repository among them (restic's also has a `config`), which must never be called ours.
 */
async function whyNotEmpty(store: BlobStore): Promise<string> {
  if (await store.stat(Names.marker)) return `${store.location} already holds an envsnap repository: use it as it is, or choose another location`;
  const names: string[] = [];
  for await (const b of store.list('')) {
    names.push(b.name);
    if (names.length > 100) break;
  }
  const leftovers = names.every((n) => n === Names.config || n.startsWith('keys/'));
  const keys = names.filter((n) => n.startsWith('keys/'));
  if (leftovers && keys.length > 0) {
    let ours = true;
    for (const k of keys) {
      try {
        parseKeyFile(await store.get(k), idOf(k));
      } catch {
        ours = false;
      }
    }
    if (ours) return `${store.location} holds an unfinished envsnap repository (an interrupted init): delete what is in it and run init again`;
  }
  return `${store.location} is not empty (it holds ${names.length > 100 ? 'more than 100' : names.length} object(s) that are not an envsnap repository, e.g. ${names[0]}): choose an empty or new location for the repository (a new directory, or an unused bucket prefix)`;
}

async function first<T>(it: AsyncIterable<T>): Promise<T | undefined> {
  for await (const x of it) return x;
  return undefined;
}
