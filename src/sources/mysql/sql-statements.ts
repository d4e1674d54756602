/**
 * SQL scripts (mysqldump / mariadb-dump output, Magento's backups, envsnap's own dumps) cut into
 * the statements the mysql client would send, so they can be sent one by one over a driver
 * connection: statements end at the delimiter (`;`, or what a `DELIMITER` line sets) outside
 * quoted strings ('…', "…", `…`) and comments (`-- `, `#`, `/* … *\/`; an executable
 * `/*!40101 … *\/` comment is SQL to the server and scanned as code, as the mysql client does).
 * Comments stay in the statement text; a piece holding no code at all is dropped. The input is bytes and stays bytes: a dump's strings need not be valid
 * UTF-8. Memory: the statement being cut, plus a few bytes of lookahead.
 *
 * statementAction classifies a statement for a load into a scratch database: statements that
 * would leave it (USE, CREATE/DROP DATABASE) or change the server for everyone (SET GLOBAL,
 * CHANGE MASTER) are skipped, naming the database a USE or CREATE DATABASE meant.
 */
import { EnvsnapError } from '../../core/errors.ts';

export interface SqlStatement {
  /** The statement's bytes without its delimiter, comments before it included. */
  sql: Buffer;
  /** 1-based line of its first byte of code. */
  line: number;
}

const NORMAL = 0;
const SINGLE = 1;
const DOUBLE = 2;
const BACKTICK = 3;
const LINE_COMMENT = 4;
const BLOCK_COMMENT = 5;

const NL = 0x0a;
const QUOTE_OF: Record<number, number> = { [SINGLE]: 0x27, [DOUBLE]: 0x22, [BACKTICK]: 0x60 };
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c;

/** Cuts a byte stream into statements; push() pieces in order, then end(). */
export class SqlStatementSplitter {
  private delimiter = Buffer.from(';');
  private state = NORMAL;
  /** Inside a quoted string: the previous byte was a backslash. */
  private escaped = false;
  /** Inside a block comment: the previous byte was '*'. */
  private star = false;
  /** Line of the current statement's first byte of code; 0 while it holds none. */
  private codeLine = 0;
  /** Line where the open string or comment began (for a truncation message). */
  private openedLine = 0;
  /** At the start of a line (only blanks before on it). */
  private lineStart = true;
  private line = 1;
  private parts: Buffer[] = [];
  /** Bytes not scanned yet: a decision at them needs more lookahead than the last piece had. */
  private carry: Buffer = Buffer.alloc(0);

  push(piece: Buffer): SqlStatement[] {
    return this.scan(this.carry.length > 0 ? Buffer.concat([this.carry, piece]) : piece, false);
  }

  /** The last statement (a script may end without a delimiter); throws when the script ends inside a string or comment. */
  end(): SqlStatement[] {
    const out = this.scan(this.carry, true);
    if (this.state !== NORMAL && this.state !== LINE_COMMENT) {
      const what = this.state === BLOCK_COMMENT ? 'a comment' : this.state === BACKTICK ? 'a quoted name' : 'a quoted string';
      throw new EnvsnapError('INVALID_ARGUMENT', `the SQL ends inside ${what} opened at line ${this.openedLine}, so it is truncated or damaged`);
    }
    this.emit(out, Buffer.alloc(0));
    return out;
  }

  private emit(out: SqlStatement[], tail: Buffer): void {
    if (this.codeLine > 0) out.push({ sql: this.parts.length > 0 ? Buffer.concat([...this.parts, tail]) : tail, line: this.codeLine });
    this.parts = [];
    this.codeLine = 0;
  }

  private scan(data: Buffer, final: boolean): SqlStatement[] {
    const out: SqlStatement[] = [];
    const n = data.length;
    let start = 0; // first byte of the current statement within data
    let i = 0;
    const code = () => {
      if (this.codeLine === 0) this.codeLine = this.line;
    };
    // Needs `k` bytes from i to decide; without them (and more to come) stop here and wait.
    const short = (k: number) => !final && i + k > n;
    scan: while (i < n) {
      const b = data[i];
      switch (this.state) {
        case SINGLE:
        case DOUBLE:
        case BACKTICK: {
          if (this.escaped) {
            this.escaped = false;
          } else if (b === 0x5c && this.state !== BACKTICK) {
            this.escaped = true;
          } else if (b === QUOTE_OF[this.state]) {
            this.state = NORMAL;
          }
          if (b === NL) this.line++;
          i++;
          continue;
        }
        case LINE_COMMENT:
          if (b === NL) {
            this.state = NORMAL;
            this.line++;
            this.lineStart = true;
          }
          i++;
          continue;
        case BLOCK_COMMENT:
          if (this.star && b === 0x2f) this.state = NORMAL;
          this.star = b === 0x2a;
          if (b === NL) this.line++;
          i++;
          continue;
      }
      // NORMAL
      if (b === NL) {
        this.line++;
        this.lineStart = true;
        i++;
        continue;
      }
      if (isSpace(b)) {
        i++;
        continue;
      }
      // Decisions that need bytes beyond this piece stop the scan here; it resumes at this byte.
      const atLineStart = this.lineStart;
      const wait = () => {
        this.lineStart = atLineStart;
      };
      this.lineStart = false;
      // A client command `DELIMITER x` on a line of its own, between statements.
      if (atLineStart && this.codeLine === 0 && (b === 0x44 || b === 0x64)) {
        if (short(10)) {
          wait();
          break scan;
        }
        if (/^delimiter[ \t]/i.test(data.toString('latin1', i, Math.min(n, i + 10)))) {
          const eol = data.indexOf(NL, i);
          if (eol < 0 && !final) {
            wait();
            break scan;
          }
          const next = data.toString('latin1', i + 10, eol < 0 ? n : eol).trim().split(/\s+/)[0];
          if (!next) throw new EnvsnapError('INVALID_ARGUMENT', `line ${this.line}: DELIMITER names no delimiter`);
          this.delimiter = Buffer.from(next, 'latin1');
          // What came before on this statement was blank or comments: it goes with the command line.
          this.parts = [];
          i = eol < 0 ? n : eol;
          start = i;
          continue;
        }
      }
      if (b === this.delimiter[0]) {
        if (short(this.delimiter.length)) {
          wait();
          break scan;
        }
        if (data.subarray(i, i + this.delimiter.length).equals(this.delimiter)) {
          this.emit(out, data.subarray(start, i));
          i += this.delimiter.length;
          start = i;
          continue;
        }
      }
      if (b === 0x27 || b === 0x22 || b === 0x60) {
        code();
        this.state = b === 0x27 ? SINGLE : b === 0x22 ? DOUBLE : BACKTICK;
        this.openedLine = this.line;
        i++;
        continue;
      }
      if (b === 0x23) {
        this.state = LINE_COMMENT;
        i++;
        continue;
      }
      if (b === 0x2d) {
        if (short(3)) {
          wait();
          break scan;
        }
        if (data[i + 1] === 0x2d && (i + 2 >= n || data[i + 2] <= 0x20)) {
          this.state = LINE_COMMENT;
          i += 2;
          continue;
        }
      }
      if (b === 0x2f) {
        if (short(4)) {
          wait();
          break scan;
        }
        // /*!NNNNN … */ (and MariaDB's /*M!…*/) is SQL to the server, scanned as code like the mysql
        // client does; other /* … */ comments are skipped.
        if (data[i + 1] === 0x2a && data[i + 2] !== 0x21 && !(data[i + 2] === 0x4d && data[i + 3] === 0x21)) {
          this.state = BLOCK_COMMENT;
          this.star = false;
          this.openedLine = this.line;
          i += 2;
          continue;
        }
      }
      code();
      i++;
    }
    if (start < i) this.parts.push(data.subarray(start, i));
    this.carry = data.subarray(i);
    return out;
  }
}

/** The statements of a script streamed in pieces. */
export async function* splitSqlStatements(input: AsyncIterable<Buffer>): AsyncGenerator<SqlStatement> {
  const splitter = new SqlStatementSplitter();
  for await (const piece of input) yield* splitter.push(piece);
  yield* splitter.end();
}

export type StatementAction =
  | { run: true }
  /** `database`: the database a USE or CREATE/DROP DATABASE names. */
  | { run: false; what: string; database?: string };

/**
 * Whether to run a statement in a scratch database. Looks at its first words, with plain comments
 * skipped and executable comments read as SQL (mysqldump writes `/*!40000 DROP DATABASE …*\/`).
 */
export function statementAction(sql: Buffer): StatementAction {
  const words = leadingWords(sql.toString('latin1', 0, Math.min(sql.length, 4096)), 6);
  const upper = words.map((w) => (w.startsWith('`') ? w : w.toUpperCase()));
  const name = (w: string | undefined) => (w === undefined ? undefined : w.startsWith('`') ? w.slice(1, -1).replaceAll('``', '`') : w);
  const [w0, w1] = upper;
  if (w0 === 'USE') return { run: false, what: 'USE', database: name(words[1]) };
  if ((w0 === 'CREATE' || w0 === 'DROP') && (w1 === 'DATABASE' || w1 === 'SCHEMA')) {
    let k = 2;
    while (upper[k] === 'IF' || upper[k] === 'NOT' || upper[k] === 'EXISTS') k++;
    return { run: false, what: `${w0} DATABASE`, database: name(words[k]) };
  }
  if (w0 === 'SET' && (w1 === 'GLOBAL' || w1 === 'PERSIST' || w1 === 'PERSIST_ONLY' || w1?.startsWith('@@GLOBAL.') || w1?.startsWith('@@PERSIST'))) return { run: false, what: 'SET GLOBAL' };
  if (w0 === 'CHANGE' && (w1 === 'MASTER' || w1 === 'REPLICATION')) return { run: false, what: `CHANGE ${w1}` };
  return { run: true };
}

/** The first `max` words of a statement: names (bare or `quoted`) and @@variables; comments skipped, /*! markers dropped. */
function leadingWords(text: string, max: number): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length && words.length < max) {
    const c = text[i];
    if (/\s/.test(c) || c === '*' || c === '/') {
      if (text.startsWith('/*', i)) {
        const m = /^\/\*M?!\d*/.exec(text.slice(i, i + 12));
        if (m) {
          i += m[0].length; // executable: read on inside
          continue;
        }
        const e = text.indexOf('*/', i + 2);
        i = e < 0 ? text.length : e + 2;
        continue;
      }
      i++;
      continue;
    }
    if (c === '#' || text.startsWith('-- ', i) || text.startsWith('--\t', i) || text.startsWith('--\n', i)) {
      const e = text.indexOf('\n', i);
      i = e < 0 ? text.length : e + 1;
      continue;
    }
    if (c === '`') {
      let j = i + 1;
      while (j < text.length && !(text[j] === '`' && text[j + 1] !== '`')) j += text[j] === '`' ? 2 : 1;
      words.push(text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_$@.]+/.exec(text.slice(i, i + 256));
    if (!m) break;
    words.push(m[0]);
    i += m[0].length;
  }
  return words;
}
