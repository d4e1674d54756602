import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteSink, type RawRow } from './table-reader.ts';
import { TsvEncoder } from './tsv-encoder.ts';
import { TsvRowDecoder } from './tsv-decoder.ts';

/** Rows as arrays of field bytes (null for NULL). */
type Fields = (Buffer | null)[];

function encode(rows: Fields[]): Buffer {
  const out: Buffer[] = [];
  const sink = new ByteSink(16, (b) => out.push(Buffer.from(b)));
  const enc = new TsvEncoder();
  for (const r of rows) {
    const buffer = Buffer.concat(r.map((f) => f ?? Buffer.alloc(0)));
    const start = new Int32Array(r.length);
    const end = new Int32Array(r.length);
    let pos = 0;
    r.forEach((f, i) => {
      start[i] = f === null ? -1 : pos;
      pos += f?.length ?? 0;
      end[i] = f === null ? -1 : pos;
    });
    enc.encodeRow({ buffer, count: r.length, start, end }, sink);
  }
  sink.flush();
  return Buffer.concat(out);
}

const fieldsOf = (row: RawRow): Fields => Array.from({ length: row.count }, (_, i) => (row.start[i] === -1 ? null : Buffer.from(row.buffer.subarray(row.start[i], row.end[i]))));

describe('TSV decoder', () => {
  const rows: Fields[] = [
    [Buffer.from('1'), Buffer.from('plain'), null],
    [Buffer.from('2'), Buffer.from('tab\there, newline\nthere, backslash \\ and NUL \0'), Buffer.from('\\N')],
    [Buffer.from(''), Buffer.from(''), Buffer.from('N')],
    [null, null, null],
    [Buffer.from('4'), Buffer.from([0xff, 0xfe, 0x00, 0x5c, 0x4e]), Buffer.from('ü🍕')],
  ];
  const tsv = encode(rows);

  it('gives back every field the encoder wrote, whatever the chunk boundaries', () => {
    for (let cut = 1; cut <= tsv.length; cut++) {
      const got: Fields[] = [];
      const d = new TsvRowDecoder(3);
      for (let i = 0; i < tsv.length; i += cut) d.push(tsv.subarray(i, i + cut), (r) => got.push(fieldsOf(r)));
      d.end();
      assert.deepEqual(got, rows, `chunks of ${cut} bytes`);
    }
  });

  it('refuses a file cut inside a row and a row with the wrong number of fields', () => {
    const d = new TsvRowDecoder(3);
    d.push(tsv.subarray(0, tsv.length - 2), () => {});
    assert.throws(() => d.end(), /without a final newline/);
    assert.throws(() => new TsvRowDecoder(2).push(tsv, () => {}), /more than the 2 fields/);
    assert.throws(() => new TsvRowDecoder(4).push(tsv, () => {}), /3 fields where its table has 4/);
  });
});
