/**
 * The key record file (`keys.bin`): every key of one Redis database as a stream of records, written
 * by RedisSource and read back by RedisSink without ever holding the whole file.
 *
 * Format version 1; integers are big-endian:
 *
 *   file    = header record* end
 *   header  = magic "ESNPREDS" (8 bytes) | u16 version (1) | u16 flags (0)
 *   record  = u32 key length | key bytes | i64 expire_at | u64 payload length | payload bytes
 *   end     = u32 0xFFFFFFFF | u64 number of records
 *
 * - key: the key name, binary-safe (may be empty; a key length of 0xFFFFFFFF marks the end
 *   instead, which no key reaches since Redis caps keys at 512 MiB).
 * - expire_at: the key's absolute expiry in Unix milliseconds on the server's clock (PEXPIRETIME),
 *   or -1 for a key without expiry. Absolute, not the remaining TTL, so two captures of an
 *   unchanged database write the same bytes; the sink turns it back into the remaining TTL using
 *   the capture time from the capture's details.
 * - payload: the key's DUMP reply as is (RDB type byte, value, u16 LE RDB version, CRC64), which
 *   RESTORE takes back and checks.
 * - Records are sorted by key bytes; the end record lets a reader tell a complete file from a
 *   truncated one.
 */
import { EnvsnapError } from '../../core/errors.ts';

export const KEYS_FILE = 'keys.bin';
export const RECORD_FORMAT_VERSION = 1;

const MAGIC = Buffer.from('ESNPREDS', 'latin1');
const HEADER_SIZE = MAGIC.length + 4;
const END_MARK = 0xffffffff;
/** Expiry value of a key that never expires. */
export const NO_EXPIRY = -1;

export interface KeyRecord {
  key: Buffer;
  /** Unix ms, or NO_EXPIRY. */
  expireAt: number;
  payload: Buffer;
}

export function encodeHeader(): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(b, 0);
  b.writeUInt16BE(RECORD_FORMAT_VERSION, MAGIC.length);
  b.writeUInt16BE(0, MAGIC.length + 2);
  return b;
}

/** Everything of a record before its payload, so a large payload is written without a copy. */
export function encodeRecordHead(key: Buffer, expireAt: number, payloadLength: number): Buffer {
  const b = Buffer.allocUnsafe(4 + key.length + 16);
  b.writeUInt32BE(key.length, 0);
  key.copy(b, 4);
  b.writeBigInt64BE(BigInt(expireAt), 4 + key.length);
  b.writeBigUInt64BE(BigInt(payloadLength), 12 + key.length);
  return b;
}

export function encodeEnd(records: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(END_MARK, 0);
  b.writeBigUInt64BE(BigInt(records), 4);
  return b;
}

/**
 * Reads records from a file's pieces in order. Rejects with CORRUPT (message starting with
 * `what`) on a wrong magic, an unknown version, a truncated file, or bytes after the end record.
 */
export async function* decodeKeyRecords(pieces: AsyncIterable<Buffer>, what: string): AsyncGenerator<KeyRecord> {
  const r = new PieceReader(pieces[Symbol.asyncIterator]());
  const corrupt = (why: string) => new EnvsnapError('CORRUPT', `${what}: ${why}; the snapshot's Redis data is damaged, restore another snapshot`);
  if (!(await r.fill(HEADER_SIZE))) throw corrupt('the file is shorter than its header');
  const header = r.take(HEADER_SIZE);
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('the file is not an envsnap Redis key file');
  const version = header.readUInt16BE(MAGIC.length);
  if (version !== RECORD_FORMAT_VERSION) {
    throw new EnvsnapError('FORMAT_TOO_NEW', `${what}: key file format ${version} is not known to this envsnap (it reads ${RECORD_FORMAT_VERSION}); upgrade envsnap`);
  }
  let count = 0;
  for (;;) {
    if (!(await r.fill(4))) throw corrupt(`the file ends after ${count} keys without its end record`);
    const keyLength = r.take(4).readUInt32BE(0);
    if (keyLength === END_MARK) {
      if (!(await r.fill(8))) throw corrupt('the end record is cut short');
      const expected = Number(r.take(8).readBigUInt64BE(0));
      if (expected !== count) throw corrupt(`the end record counts ${expected} keys, the file holds ${count}`);
      if (await r.fill(1)) throw corrupt('bytes follow the end record');
      return;
    }
    if (!(await r.fill(keyLength + 16))) throw corrupt(`key ${count + 1} is cut short`);
    const key = r.take(keyLength);
    const fixed = r.take(16);
    const expireAt = Number(fixed.readBigInt64BE(0));
    const payloadLength = Number(fixed.readBigUInt64BE(8));
    if (!(await r.fill(payloadLength))) throw corrupt(`the value of key ${count + 1} is cut short`);
    count++;
    yield { key, expireAt, payload: r.take(payloadLength) };
  }
}

/**
 * A byte queue over an async iterator of pieces: fill(n) waits until n bytes are buffered, take(n)
 * removes them. Consumed pieces are dropped by advancing `head` (not Array.shift, which would make
 * a large value arriving in many small pieces quadratic).
 */
class PieceReader {
  private pieces: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(it: AsyncIterator<Buffer>) {
    this.it = it;
  }

  /** False when the input ends before n bytes are buffered. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.ended) {
      const next = await this.it.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.pieces.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.pieces[this.head];
    let out: Buffer;
    if (first.length >= n) {
      // A view of the piece: no copy for the common small record.
      out = first.subarray(0, n);
      this.consume(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const p = this.pieces[this.head];
        const used = Math.min(p.length, n - at);
        p.copy(out, at, 0, used);
        at += used;
        this.consume(used);
      }
    }
    return out;
  }

  /** Drops n bytes from the front of the head piece (n at most its length). */
  private consume(n: number): void {
    const p = this.pieces[this.head];
    if (n === p.length) this.head++;
    else this.pieces[this.head] = p.subarray(n);
    this.buffered -= n;
    if (this.head > 1024 && this.head * 2 > this.pieces.length) {
      this.pieces = this.pieces.slice(this.head);
      this.head = 0;
    }
  }
}
