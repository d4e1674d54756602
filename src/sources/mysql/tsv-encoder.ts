/**
 * The TSV encoder: rows in the text format LOAD DATA reads by default (see format.ts) — fields
 * joined by tab, rows ended by newline, NULL as \N, and backslash, tab, newline and NUL escaped.
 * A byte-level loop over the raw field bytes; fields without a byte to escape are copied whole.
 */
import type { ByteSink, RawRow, RowEncoder } from './table-reader.ts';

const BACKSLASH = 0x5c;
/** For each byte: 0 when it goes out as is, else the letter after the backslash. */
const ESCAPE = new Uint8Array(256);
ESCAPE[0x00] = 0x30; // \0
ESCAPE[0x09] = 0x74; // \t
ESCAPE[0x0a] = 0x6e; // \n
ESCAPE[BACKSLASH] = BACKSLASH; // \\

/** Fields up to this length are copied byte by byte (cheaper than Buffer#copy's call overhead). */
const SMALL = 32;
/** Large fields are escaped in slices so the output never needs more than twice a slice at once. */
const SLICE = 64 * 1024;

export class TsvEncoder implements RowEncoder {
  encodeRow(row: RawRow, out: ByteSink): void {
    const b = row.buffer;
    const n = row.count;
    for (let f = 0; f < n; f++) {
      const s = row.start[f];
      if (s === -1) {
        out.ensure(3);
        if (f > 0) out.buf[out.pos++] = 0x09;
        out.buf[out.pos++] = BACKSLASH;
        out.buf[out.pos++] = 0x4e; // N
        continue;
      }
      if (f > 0) {
        out.ensure(1);
        out.buf[out.pos++] = 0x09;
      }
      const e = row.end[f];
      for (let from = s; from < e; from += SLICE) writeEscaped(b, from, Math.min(e, from + SLICE), out);
    }
    out.ensure(1);
    out.buf[out.pos++] = 0x0a;
  }
}

function writeEscaped(b: Buffer, s: number, e: number, out: ByteSink): void {
  const len = e - s;
  out.ensure(2 * len);
  const o = out.buf;
  let pos = out.pos;
  if (len > SMALL) {
    let i = s;
    while (i < e && ESCAPE[b[i]] === 0) i++;
    if (i === e) {
      b.copy(o, pos, s, e);
      out.pos = pos + len;
      return;
    }
  }
  for (let i = s; i < e; i++) {
    const c = b[i];
    const x = ESCAPE[c];
    if (x === 0) o[pos++] = c;
    else {
      o[pos++] = BACKSLASH;
      o[pos++] = x;
    }
  }
  out.pos = pos;
}
