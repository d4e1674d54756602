/**
 * Pack files: many sealed blobs followed by a sealed header listing them, then the header's sealed
 * length as a little-endian u32. The header is enough to rebuild the index from the packs alone.
 *
 *   blob_0 ‖ … ‖ blob_n-1 ‖ seal(header, ad="envsnap/pack/<packId>") ‖ u32le(len(sealed header))
 *   header = "ESPK" ‖ u8 version(1) ‖ u32le count ‖ count × entry
 *   entry  = u8 type ‖ u8 flags ‖ id[32] ‖ u32le offset ‖ u32le length ‖ u32le rawLength   (46 bytes)
 */
import { seal, open, adFor, SEAL_OVERHEAD } from '../crypto/aead.ts';
import { EnvsnapError } from '../core/errors.ts';
import type { BlobType } from './blob.ts';

export const PACK_MAGIC = Buffer.from('ESPK');
export const PACK_VERSION = 1;
export const ENTRY_BYTES = 46;
const HEADER_FIXED = 4 + 1 + 4;

export interface PackEntry {
  type: BlobType;
  flags: number;
  id: Buffer;
  offset: number;
  length: number;
  rawLength: number;
}

export function encodePackHeader(entries: readonly PackEntry[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_FIXED + entries.length * ENTRY_BYTES);
  PACK_MAGIC.copy(buf, 0);
  buf[4] = PACK_VERSION;
  buf.writeUInt32LE(entries.length, 5);
  let p = HEADER_FIXED;
  for (const e of entries) p = writeEntry(buf, p, e);
  return buf;
}

/** Writes one 46-byte entry at `o`; returns the offset after it. Shared by pack headers and index files. */
export function writeEntry(buf: Buffer, o: number, e: PackEntry): number {
  buf[o] = e.type;
  buf[o + 1] = e.flags;
  e.id.copy(buf, o + 2);
  buf.writeUInt32LE(e.offset, o + 34);
  buf.writeUInt32LE(e.length, o + 38);
  buf.writeUInt32LE(e.rawLength, o + 42);
  return o + ENTRY_BYTES;
}

export function readEntry(buf: Buffer, o: number): PackEntry {
  return {
    type: buf[o] as BlobType,
    flags: buf[o + 1],
    id: Buffer.from(buf.subarray(o + 2, o + 34)),
    offset: buf.readUInt32LE(o + 34),
    length: buf.readUInt32LE(o + 38),
    rawLength: buf.readUInt32LE(o + 42),
  };
}

export function decodePackHeader(buf: Buffer, packId: string): PackEntry[] {
  if (buf.length < HEADER_FIXED || !buf.subarray(0, 4).equals(PACK_MAGIC)) {
    throw new EnvsnapError('CORRUPT', `pack ${packId} has a malformed header: run "envsnap check --read-data"`);
  }
  if (buf[4] !== PACK_VERSION) {
    throw new EnvsnapError('FORMAT_TOO_NEW', `pack ${packId} has header version ${buf[4]}: upgrade envsnap to read it`);
  }
  const count = buf.readUInt32LE(5);
  if (buf.length !== HEADER_FIXED + count * ENTRY_BYTES) {
    throw new EnvsnapError('CORRUPT', `pack ${packId} header length does not match its ${count} entries`);
  }
  const out: PackEntry[] = new Array(count);
  let p = HEADER_FIXED;
  for (let i = 0; i < count; i++) {
    out[i] = readEntry(buf, p);
    p += ENTRY_BYTES;
  }
  return out;
}

/** Bytes of the trailer of a pack of `count` blobs: the sealed header and its length word. */
export function packTrailerLength(count: number): number {
  return HEADER_FIXED + count * ENTRY_BYTES + SEAL_OVERHEAD + 4;
}

/** The trailer (sealed header + its length) appended after the blobs. */
export function packTrailer(key: Uint8Array, packId: string, entries: readonly PackEntry[]): Buffer {
  const sealed = seal(key, encodePackHeader(entries), adFor('pack', packId));
  const out = Buffer.allocUnsafe(sealed.length + 4);
  sealed.copy(out, 0);
  out.writeUInt32LE(sealed.length, sealed.length);
  return out;
}

/** Reads the entries of a pack given its last bytes (at least the trailer). */
export function parsePackTail(key: Uint8Array, packId: string, tail: Buffer, packSize: number): { entries: PackEntry[]; headerStart: number } {
  if (tail.length < 4) throw new EnvsnapError('CORRUPT', `pack ${packId} is truncated: run "envsnap check --read-data"`);
  const len = tail.readUInt32LE(tail.length - 4);
  if (len < SEAL_OVERHEAD || len + 4 > packSize) throw new EnvsnapError('CORRUPT', `pack ${packId} has an impossible header length ${len}`);
  if (len + 4 > tail.length) return { entries: [], headerStart: -(len + 4) }; // caller must fetch more
  const sealed = tail.subarray(tail.length - 4 - len, tail.length - 4);
  const header = open(key, sealed, adFor('pack', packId), `pack ${packId} header`);
  return { entries: decodePackHeader(header, packId), headerStart: packSize - 4 - len };
}
