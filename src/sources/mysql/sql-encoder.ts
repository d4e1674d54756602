/**
 * The SQL encoder of `db:dump`: rows as multi-row `INSERT INTO `t` (`c1`,…) VALUES (…),(…);`
 * statements of at most about 1 MiB (a bigger row is a statement of its own), one row a line,
 * values as literals that the stock mysql/mariadb client loads back exactly.
 *
 * The row reader hands over each value's bytes as the server stores them (character_set_results
 * binary, time_zone '+00:00'; BIT and FLOAT selected as numbers, see format.ts). Literals:
 *
 *   NULL                              NULL
 *   integers, DECIMAL, YEAR, DOUBLE,  the server's number text as is (BIT as col+0; FLOAT as its
 *   BIT, FLOAT                        exact double col+0e0, which rounds back to the same float)
 *   strings: CHAR, VARCHAR, TEXT,     '<bytes>' when every byte is ASCII and the column's character
 *   ENUM, SET, BINARY, BLOB, and      set agrees with ASCII on those bytes (ASCII_SAFE); escaped as
 *   DATE, DATETIME, TIMESTAMP, TIME,  \0 \n \r \Z \' \\ (the dump's sql_mode has no
 *   INET4/6, UUID as text             NO_BACKSLASH_ESCAPES). Otherwise 0x<hex of the stored bytes>.
 *   MySQL's JSON type                 as strings, but CONVERT(0x… USING utf8mb4) instead of plain
 *                                     hex (MySQL refuses a binary string for a JSON column)
 *   other types (geometry …)          0x<hex>, '' when empty
 *
 * Why this is exact: an ASCII literal in the dump's utf8mb4 session converts to the same bytes in
 * any ASCII-compatible column character set (and is copied as is into a binary column), and a hex
 * literal is a binary string, which the server stores into a character column byte for byte
 * (checked for validity, never converted) — so latin1, utf8mb4, utf16, sjis … values all come
 * back with their stored bytes. Non-ASCII text goes out as hex rather than as UTF-8 or latin1
 * bytes: the rows of a dump are plain ASCII, which no client character set or locale can misread
 * (a client splitting statements in gbk or sjis can mistake a UTF-8 byte followed by `\` for one
 * character). ASCII values stay readable and editable (a base URL in core_config_data).
 */
import { isAscii } from 'node:buffer';
import { quoteIdent } from './quote.ts';
import type { ByteSink, RawRow, RowEncoder } from './table-reader.ts';

/** How a column's values are written (see the table above). */
export type LiteralKind = 'number' | 'text' | 'hex' | 'json';

export interface SqlColumn {
  name: string;
  kind: LiteralKind;
}

const NUMBER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'float', 'double', 'real', 'bit', 'year']);
/** Types whose text form is ASCII whatever the connection (their column has no character set). */
const TEXT_FORM_TYPES = new Set(['date', 'datetime', 'timestamp', 'time', 'inet4', 'inet6', 'uuid']);
const STRING_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
/**
 * Character sets in which the bytes 0x00–0x7f are the ASCII characters, so an ASCII value converts
 * to itself. Left out: the UTF-16/32 family (one character is several bytes), the East Asian
 * multi-byte sets and swe7 (which puts Ä Å Ö on ASCII punctuation); their strings go out as hex.
 */
const ASCII_SAFE = new Set(['ascii', 'binary', 'latin1', 'latin2', 'latin5', 'latin7', 'cp1250', 'cp1251', 'cp1256', 'cp1257', 'utf8', 'utf8mb3', 'utf8mb4', 'greek', 'hebrew', 'koi8r', 'koi8u']);

/**
 * The literal kind of a column by its information_schema DATA_TYPE (lower case) and
 * CHARACTER_SET_NAME (null for binary strings and non-string types).
 */
export function literalKind(dataType: string, characterSet: string | null): LiteralKind {
  if (NUMBER_TYPES.has(dataType)) return 'number';
  if (TEXT_FORM_TYPES.has(dataType)) return 'text';
  if (dataType === 'json') return 'json';
  if (STRING_TYPES.has(dataType) && (characterSet === null || ASCII_SAFE.has(characterSet.toLowerCase()))) return 'text';
  return 'hex';
}

/** Statements stop growing past this size (mysqldump's default net_buffer_length). */
export const MAX_STATEMENT_BYTES = 1024 * 1024;

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Fields up to this length are hex-encoded in a JavaScript loop (cheaper than a native call's overhead). */
const SMALL = 48;
/** Large fields are encoded in slices, so the output never needs more than twice a slice at once. */
const SLICE = 64 * 1024;
/** For each byte: 0 when it goes into a quoted literal as is, else the letter after the backslash. */
const ESCAPE = new Uint8Array(256);
ESCAPE[0x00] = 0x30; // \0
ESCAPE[0x0a] = 0x6e; // \n
ESCAPE[0x0d] = 0x72; // \r
ESCAPE[0x1a] = 0x5a; // \Z (end of file to some Windows tools)
ESCAPE[0x27] = 0x27; // \'
ESCAPE[0x5c] = 0x5c; // \\
const NULL = Buffer.from('NULL', 'latin1');
const EMPTY = Buffer.from("''", 'latin1');
const JSON_OPEN = Buffer.from('CONVERT(', 'latin1');
const JSON_CLOSE = Buffer.from(' USING utf8mb4)', 'latin1');
const ROW_SEP = Buffer.from(',\n(', 'latin1');
const END = Buffer.from(';\n', 'latin1');

export class SqlInsertEncoder implements RowEncoder {
  private readonly head: Buffer;
  private readonly kinds: LiteralKind[];
  private readonly maxBytes: number;
  /** Bytes of the open statement, or -1 when none is open. */
  private size = -1;

  constructor(table: string, columns: readonly SqlColumn[], opts: { maxStatementBytes?: number } = {}) {
    this.head = Buffer.from(`INSERT INTO ${quoteIdent(table)} (${columns.map((c) => quoteIdent(c.name)).join(',')}) VALUES\n(`, 'utf8');
    this.kinds = columns.map((c) => c.kind);
    this.maxBytes = opts.maxStatementBytes ?? MAX_STATEMENT_BYTES;
  }

  encodeRow(row: RawRow, out: ByteSink): void {
    const kinds = this.kinds;
    const n = row.count;
    if (n !== kinds.length) throw new Error(`the row has ${n} fields where the INSERT names ${kinds.length} columns`);
    // The row goes into the open statement only if even its largest encoding fits.
    if (this.size >= 0 && this.size + rowBytes(row, kinds) > this.maxBytes) {
      put(out, END);
      this.size = -1;
    }
    let written = this.size < 0 ? put(out, this.head) : put(out, ROW_SEP);
    const b = row.buffer;
    for (let f = 0; f < n; f++) {
      if (f > 0) {
        out.ensure(1);
        out.buf[out.pos++] = 0x2c; // ,
        written++;
      }
      const s = row.start[f];
      if (s === -1) {
        written += put(out, NULL);
        continue;
      }
      const e = row.end[f];
      const kind = kinds[f];
      if (kind === 'number') {
        out.ensure(e - s);
        b.copy(out.buf, out.pos, s, e);
        out.pos += e - s;
        written += e - s;
      } else if (kind === 'hex' || !ascii(b, s, e)) {
        if (kind === 'json') {
          written += put(out, JSON_OPEN);
          written += writeHex(b, s, e, out);
          written += put(out, JSON_CLOSE);
        } else written += writeHex(b, s, e, out);
      } else written += writeQuoted(b, s, e, out);
    }
    out.ensure(1);
    out.buf[out.pos++] = 0x29; // )
    this.size = (this.size < 0 ? 0 : this.size) + written + 1;
  }

  end(out: ByteSink): void {
    if (this.size < 0) return;
    put(out, END);
    this.size = -1;
  }
}

/** Upper bound of a row's bytes in a statement (every text value escaped or hex), known before writing it. */
function rowBytes(row: RawRow, kinds: LiteralKind[]): number {
  let n = 4;
  for (let f = 0; f < row.count; f++) {
    const s = row.start[f];
    if (s === -1) n += 5;
    else {
      const len = row.end[f] - s;
      n += kinds[f] === 'number' ? len + 1 : kinds[f] === 'json' ? 2 * len + 26 : 2 * len + 3;
    }
  }
  return n;
}

function put(out: ByteSink, bytes: Buffer): number {
  out.ensure(bytes.length);
  bytes.copy(out.buf, out.pos);
  out.pos += bytes.length;
  return bytes.length;
}

function ascii(b: Buffer, s: number, e: number): boolean {
  if (e - s > SMALL) return isAscii(b.subarray(s, e));
  for (let i = s; i < e; i++) if (b[i] > 0x7f) return false;
  return true;
}

/** '…' with the bytes of ESCAPE escaped; large fields in slices. Returns the bytes written. */
function writeQuoted(b: Buffer, s: number, e: number, out: ByteSink): number {
  let written = 2;
  out.ensure(1);
  out.buf[out.pos++] = 0x27;
  for (let from = s; from < e; from += SLICE) {
    const to = Math.min(e, from + SLICE);
    out.ensure(2 * (to - from));
    const o = out.buf;
    let pos = out.pos;
    for (let i = from; i < to; i++) {
      const c = b[i];
      const x = ESCAPE[c];
      if (x === 0) o[pos++] = c;
      else {
        o[pos++] = 0x5c;
        o[pos++] = x;
      }
    }
    written += pos - out.pos;
    out.pos = pos;
  }
  out.ensure(1);
  out.buf[out.pos++] = 0x27;
  return written;
}

/** 0x…, or '' when empty. Returns the bytes written. */
function writeHex(b: Buffer, s: number, e: number, out: ByteSink): number {
  if (s === e) return put(out, EMPTY);
  out.ensure(2);
  out.buf[out.pos++] = 0x30; // 0
  out.buf[out.pos++] = 0x78; // x
  for (let from = s; from < e; from += SLICE) {
    const to = Math.min(e, from + SLICE);
    const len = to - from;
    out.ensure(2 * len);
    const o = out.buf;
    if (len > SMALL) {
      out.pos += o.write(b.toString('hex', from, to), out.pos, 'latin1');
      continue;
    }
    let pos = out.pos;
    for (let i = from; i < to; i++) {
      const c = b[i];
      o[pos++] = HEX[c >> 4];
      o[pos++] = HEX[c & 15];
    }
    out.pos = pos;
  }
  return 2 + 2 * (e - s);
}
