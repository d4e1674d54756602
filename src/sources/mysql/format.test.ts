/** File names of the snapshot layout and the TSV encoding of raw rows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEntryPath } from '../entry-path.ts';
import { decodeName, encodeName, partPath, schemaPath } from './format.ts';
import { ByteSink, type RawRow } from './table-reader.ts';
import { TsvEncoder } from './tsv-encoder.ts';

describe('object names as path parts', () => {
  it('maps any name to a safe, unique, reversible path part', () => {
    const names = ['orders', 'Orders', '..', '.', 'a/b', 'a%2Fb', 'we`ird tbl.name', 'größe €', 'x y', 'sales-order_1'];
    const parts = names.map(encodeName);
    assert.equal(new Set(parts).size, names.length);
    for (const [i, p] of parts.entries()) {
      checkEntryPath(schemaPath('tables', names[i]));
      assert.match(p, /^[A-Za-z0-9_%-]+$/);
      assert.equal(decodeName(p), names[i]);
    }
    assert.equal(encodeName('..'), '%2E%2E');
    assert.equal(encodeName('größe'), 'gr%C3%B6%C3%9Fe');
  });

  it('names parts by their range index, negative ones too', () => {
    assert.equal(partPath('t', 0n), 'data/t/000000.tsv');
    assert.equal(partPath('t', 12n), 'data/t/000012.tsv');
    assert.equal(partPath('t', -3n), 'data/t/-000003.tsv');
    assert.equal(partPath('t', 12345678n), 'data/t/12345678.tsv');
  });
});

/** Encodes rows given as field values (null = NULL) the way the row reader hands them over. */
function encode(rows: (Buffer | null)[][], chunkBytes = 1024): Buffer {
  const chunks: Buffer[] = [];
  const sink = new ByteSink(chunkBytes, (c) => chunks.push(Buffer.from(c)));
  const enc = new TsvEncoder();
  for (const fields of rows) {
    const buffer = Buffer.concat(fields.map((f) => f ?? Buffer.alloc(0)));
    const row: RawRow = { buffer, count: fields.length, start: new Int32Array(fields.length), end: new Int32Array(fields.length) };
    let o = 0;
    fields.forEach((f, i) => {
      row.start[i] = f === null ? -1 : o;
      row.end[i] = f === null ? -1 : o + f.length;
      o += f?.length ?? 0;
    });
    enc.encodeRow(row, sink);
  }
  sink.flush();
  return Buffer.concat(chunks);
}

describe('TsvEncoder', () => {
  it('writes LOAD DATA text: tab between fields, newline after rows, \\N for NULL, escapes for backslash, tab, newline and NUL', () => {
    const out = encode([
      [Buffer.from('1'), null, Buffer.from(''), Buffer.from('a\tb\nc\\d\0e'), Buffer.from('\\N')],
      [Buffer.from([0xff, 0x80, 0x0d, 0x1a])],
    ]);
    assert.equal(out.toString('latin1'), '1\t\\N\t\ta\\tb\\nc\\\\d\\0e\t\\\\N\n\xff\x80\r\x1a\n');
  });

  it('escapes fields larger than a chunk exactly, all 256 byte values', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const big = Buffer.concat(Array.from({ length: 1000 }, () => all));
    const out = encode([[big, Buffer.from('x')]], 4096);
    const expected = Buffer.from(
      [...big]
        .map((b) => (b === 0 ? '\\0' : b === 9 ? '\\t' : b === 10 ? '\\n' : b === 92 ? '\\\\' : String.fromCharCode(b)))
        .join('') + '\tx\n',
      'latin1',
    );
    assert.ok(out.equals(expected));
  });
});
