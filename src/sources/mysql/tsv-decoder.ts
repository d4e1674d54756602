/**
 * The TSV decoder: the rows of a snapshot's .tsv file (format.ts; written by tsv-encoder.ts) back
 * into RawRows for a RowEncoder, e.g. the SQL encoder when a snapshot's database is exported as an
 * SQL script. Chunks may cut a row anywhere; a row is decoded once its newline has arrived (a
 * newline inside a field is escaped, so every bare newline ends a row). Fields are unescaped into
 * one scratch buffer per row; `\N` alone is NULL.
 */
import type { RawRow } from './table-reader.ts';

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
/** The byte an escape letter stands for (see format.ts); others stand for themselves. */
const UNESCAPE = new Int16Array(256).fill(-1);
UNESCAPE[0x30] = 0x00; // \0
UNESCAPE[0x74] = TAB; // \t
UNESCAPE[0x6e] = NEWLINE; // \n
UNESCAPE[BACKSLASH] = BACKSLASH;

export class TsvRowDecoder {
  private readonly columns: number;
  private carry: Buffer | undefined;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private readonly row: RawRow;

  constructor(columns: number) {
    this.columns = columns;
    this.row = { buffer: this.scratch, count: columns, start: new Int32Array(columns), end: new Int32Array(columns) };
  }

  /** Calls `onRow` for every complete row in `chunk` (and what earlier chunks left over). */
  push(chunk: Buffer, onRow: (row: RawRow) => void): void {
    let data = chunk;
    if (this.carry) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let from = 0;
    for (;;) {
      const nl = data.indexOf(NEWLINE, from);
      if (nl === -1) break;
      this.decodeRow(data, from, nl);
      onRow(this.row);
      from = nl + 1;
    }
    if (from < data.length) this.carry = Buffer.from(data.subarray(from));
  }

  /** Throws when the file ended inside a row (a truncated file). */
  end(): void {
    if (this.carry && this.carry.length > 0) throw new Error(`the rows end without a final newline (${this.carry.length} bytes of a row left)`);
  }

  private decodeRow(data: Buffer, s: number, e: number): void {
    if (this.scratch.length < e - s) {
      this.scratch = Buffer.allocUnsafe(Math.max(e - s, 2 * this.scratch.length));
      this.row.buffer = this.scratch;
    }
    const out = this.scratch;
    const { start, end } = this.row;
    let pos = 0;
    let field = 0;
    let i = s;
    for (;;) {
      if (field >= this.columns) throw new Error(`a row has more than the ${this.columns} fields its table has`);
      // NULL: the field is exactly \N.
      if (data[i] === BACKSLASH && data[i + 1] === 0x4e && (i + 2 === e || data[i + 2] === TAB)) {
        start[field] = -1;
        end[field] = -1;
        i += 2;
      } else {
        start[field] = pos;
        while (i < e && data[i] !== TAB) {
          const c = data[i++];
          if (c !== BACKSLASH) {
            out[pos++] = c;
            continue;
          }
          const x = data[i++];
          const u = UNESCAPE[x];
          out[pos++] = u === -1 ? x : u;
        }
        end[field] = pos;
      }
      field++;
      if (i >= e) break;
      i++; // the tab
    }
    if (field !== this.columns) throw new Error(`a row has ${field} fields where its table has ${this.columns}`);
  }
}
