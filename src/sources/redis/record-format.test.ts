/**
 * The key record file read back however the repository hands out its pieces, and every kind of
 * damage (truncation, a wrong count, trailing bytes, another file, a newer format) refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { decodeKeyRecords, encodeEnd, encodeHeader, encodeRecordHead, NO_EXPIRY, type KeyRecord } from './record-format.ts';

function encode(records: KeyRecord[], count = records.length): Buffer {
  const parts = [encodeHeader()];
  for (const r of records) parts.push(encodeRecordHead(r.key, r.expireAt, r.payload.length), r.payload);
  parts.push(encodeEnd(count));
  return Buffer.concat(parts);
}

async function* pieces(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function decode(b: Buffer, size = 64 * 1024): Promise<KeyRecord[]> {
  const out: KeyRecord[] = [];
  for await (const r of decodeKeyRecords(pieces(b, size), 'redis cache: keys.bin')) out.push({ ...r, key: Buffer.from(r.key), payload: Buffer.from(r.payload) });
  return out;
}

const records: KeyRecord[] = [
  { key: Buffer.alloc(0), expireAt: NO_EXPIRY, payload: Buffer.from('empty key name') },
  { key: Buffer.from([0, 0xff, 0x0a]), expireAt: 1_900_000_000_123, payload: Buffer.alloc(0) },
  { key: Buffer.from('big'), expireAt: NO_EXPIRY, payload: Buffer.alloc(300_000, 7) },
];

async function rejectsCorrupt(b: Buffer, pattern: RegExp): Promise<void> {
  await assert.rejects(decode(b), (err: unknown) => {
    assert.ok(isEnvsnapError(err, 'CORRUPT'), String(err));
    assert.match(err.message, /^redis cache: keys\.bin: /);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('key record file', () => {
  it('reads back every record exactly, whatever the piece sizes', async () => {
    const file = encode(records);
    for (const size of [1, 3, 17, 4096, file.length]) assert.deepEqual(await decode(file, size), records, `pieces of ${size} bytes`);
  });

  it('an empty database is a header and an end record', async () => {
    assert.deepEqual(await decode(encode([])), []);
  });

  it('refuses a truncated file at any length', async () => {
    const file = encode(records);
    for (const cut of [0, 5, 12, 20, 40, file.length - 100, file.length - 1]) await rejectsCorrupt(file.subarray(0, cut), /shorter|cut short|ends after/);
  });

  it('refuses a wrong record count, bytes after the end, and a file of another kind', async () => {
    await rejectsCorrupt(encode(records, 2), /counts 2 keys, the file holds 3/);
    await rejectsCorrupt(Buffer.concat([encode(records), Buffer.from([0])]), /bytes follow/);
    const other = encode(records);
    other.write('NOTREDIS', 0, 'latin1');
    await rejectsCorrupt(other, /not an envsnap Redis key file/);
  });

  it('a newer format version asks for a newer envsnap', async () => {
    const file = encode(records);
    file.writeUInt16BE(2, 8);
    await assert.rejects(decode(file), (err: unknown) => isEnvsnapError(err, 'FORMAT_TOO_NEW') && /upgrade envsnap/.test(err.message));
  });
});
