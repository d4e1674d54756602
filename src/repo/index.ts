/**
 * The index: which pack holds each blob. In memory it is one hash map from the blob id (as a
 * 32-character latin1 string) to a slot in parallel typed arrays, about 110 bytes per blob in all
 * (see docs/FORMAT.md). On storage, index files are sealed, zstd-compressed lists of packs and their
 * entries; any number of them may exist and they may overlap — a blob listed twice is harmless.
 *
 *   index file plaintext = "ESIX" ‖ u8 version(1) ‖ u32le packCount ‖ packCount × (packId[32] ‖ u32le n ‖ n × entry)
 *   entry as in pack headers (46 bytes)
 */
import { EnvsnapError } from '../core/errors.ts';
import type { BlobLocation, BlobType } from './blob.ts';
import { ENTRY_BYTES, readEntry, writeEntry, type PackEntry } from './pack.ts';

const INDEX_MAGIC = Buffer.from('ESIX');

export function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

export class MasterIndex {
  private readonly slots = new Map<string, number>();
  private packIds: string[] = [];
  private readonly packNumber = new Map<string, number>();
  private pack = new Uint32Array(1024);
  private offset = new Uint32Array(1024);
  private length = new Uint32Array(1024);
  private rawLength = new Uint32Array(1024);
  private typeFlags = new Uint8Array(1024);
  private used = 0;

  get size(): number {
    return this.slots.size;
  }

  has(id: Uint8Array): boolean {
    return this.slots.has(idKey(id));
  }

  hasKey(key: string): boolean {
    return this.slots.has(key);
  }

  /** Adds every entry of a pack; entries already known keep their first location. */
  addPack(packId: string, entries: readonly PackEntry[]): void {
    let pn = this.packNumber.get(packId);
    if (pn === undefined) {
      pn = this.packIds.length;
      this.packIds.push(packId);
      this.packNumber.set(packId, pn);
    }
    for (const e of entries) {
      const key = idKey(e.id);
      if (this.slots.has(key)) continue;
      if (this.used === this.pack.length) this.grow();
      const s = this.used++;
      this.pack[s] = pn;
      this.offset[s] = e.offset;
      this.length[s] = e.length;
      this.rawLength[s] = e.rawLength;
      this.typeFlags[s] = (e.type << 4) | e.flags;
      this.slots.set(key, s);
    }
  }

  get(id: Uint8Array): BlobLocation | undefined {
    const key = idKey(id);
    const s = this.slots.get(key);
    if (s === undefined) return undefined;
    return this.location(s, Buffer.from(id));
  }

  private location(s: number, id: Buffer): BlobLocation {
    return {
      type: (this.typeFlags[s] >> 4) as BlobType,
      flags: this.typeFlags[s] & 15,
      id,
      packId: this.packIds[this.pack[s]],
      offset: this.offset[s],
      length: this.length[s],
      rawLength: this.rawLength[s],
    };
  }

  /** Every blob, grouped by nothing in particular. */
  *entries(): IterableIterator<BlobLocation> {
    for (const [key, s] of this.slots) yield this.location(s, Buffer.from(key, 'latin1'));
  }

  /**
   * Pack ids added to the index — including packs whose blobs are all duplicates of blobs first seen
   * elsewhere, which hold no slot but are indexed all the same (else they would be adopted again and again).
   */
  packs(): Set<string> {
    return new Set(this.packIds);
  }

  private grow(): void {
    const n = this.pack.length * 2;
    const g32 = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.pack = g32(this.pack);
    this.offset = g32(this.offset);
    this.length = g32(this.length);
    this.rawLength = g32(this.rawLength);
    const tf = new Uint8Array(n);
    tf.set(this.typeFlags);
    this.typeFlags = tf;
  }
}

export interface IndexPack {
  packId: string;
  entries: PackEntry[];
}

export function encodeIndex(packs: readonly IndexPack[]): Buffer {
  let size = 4 + 1 + 4;
  for (const p of packs) size += 32 + 4 + p.entries.length * ENTRY_BYTES;
  const buf = Buffer.allocUnsafe(size);
  INDEX_MAGIC.copy(buf, 0);
  buf[4] = 1;
  buf.writeUInt32LE(packs.length, 5);
  let o = 9;
  for (const p of packs) {
    buf.write(p.packId, o, 32, 'hex');
    buf.writeUInt32LE(p.entries.length, o + 32);
    o += 36;
    for (const e of p.entries) o = writeEntry(buf, o, e);
  }
  return buf;
}

export function decodeIndex(buf: Buffer, name: string): IndexPack[] {
  if (buf.length < 9 || !buf.subarray(0, 4).equals(INDEX_MAGIC)) {
    throw new EnvsnapError('CORRUPT', `index ${name} is malformed: run "envsnap check"`);
  }
  if (buf[4] !== 1) throw new EnvsnapError('FORMAT_TOO_NEW', `index ${name} has version ${buf[4]}: upgrade envsnap to read it`);
  const count = buf.readUInt32LE(5);
  const out: IndexPack[] = [];
  let o = 9;
  for (let i = 0; i < count; i++) {
    if (o + 36 > buf.length) throw new EnvsnapError('CORRUPT', `index ${name} is truncated`);
    const packId = buf.toString('hex', o, o + 32);
    const n = buf.readUInt32LE(o + 32);
    o += 36;
    if (o + n * ENTRY_BYTES > buf.length) throw new EnvsnapError('CORRUPT', `index ${name} is truncated`);
    const entries: PackEntry[] = new Array(n);
    for (let j = 0; j < n; j++) {
      entries[j] = readEntry(buf, o);
      o += ENTRY_BYTES;
    }
    out.push({ packId, entries });
  }
  return out;
}
