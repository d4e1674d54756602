/**
 * Rewriting the SHOW CREATE statements of views, triggers, routines and events for the target:
 * a database name written into a body (`shop`.`orders`, shop.orders) is replaced by the target's
 * when restoring under another name, and the DEFINER clause can be dropped when the restoring user
 * may not name another definer. A small tokenizer skips strings and comments, so only real
 * schema qualifiers are touched.
 */
import { quoteIdent } from './quote.ts';

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Whether an object created under this sql_mode reads "…" as a quoted name (ANSI_QUOTES, or ANSI which implies it). */
export function usesAnsiQuotes(sqlMode: string | undefined): boolean {
  return /\bANSI_QUOTES\b|\bANSI\b/i.test(sqlMode ?? '');
}

/**
 * Replaces every schema qualifier `from` (an identifier directly followed by a dot) with `to`.
 * `ansiQuotes`: the object was created with ANSI_QUOTES, so "…" quotes identifiers, not strings.
 */
export function rewriteSchema(sql: string, from: string, to: string, ansiQuotes = false): string {
  if (from === to) return sql;
  let out = '';
  let i = 0;
  let prevNonSpace = '';
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    // Comments (an executable /*! … */ comment holds SQL, so it is scanned like code).
    if ((c === '-' && sql[i + 1] === '-' && /\s/.test(sql[i + 2] ?? ' ')) || c === '#') {
      const e = sql.indexOf('\n', i);
      const stop = e < 0 ? n : e;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*' && sql[i + 2] !== '!') {
      const e = sql.indexOf('*/', i + 2);
      const stop = e < 0 ? n : e + 2;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === "'" || (c === '"' && !ansiQuotes)) {
      const stop = skipString(sql, i);
      out += sql.slice(i, stop);
      i = stop;
      prevNonSpace = c;
      continue;
    }
    let name: string | undefined;
    let stop = i;
    if (c === '`' || (c === '"' && ansiQuotes)) {
      stop = skipString(sql, i);
      name = sql.slice(i + 1, stop - 1).replaceAll(c + c, c);
    } else if (IDENT_CHAR.test(c)) {
      while (stop < n && IDENT_CHAR.test(sql[stop])) stop++;
      name = sql.slice(i, stop);
    }
    if (name === undefined) {
      out += c;
      if (!/\s/.test(c)) prevNonSpace = c;
      i++;
      continue;
    }
    let j = stop;
    while (j < n && /\s/.test(sql[j])) j++;
    const qualifier = sql[j] === '.' && prevNonSpace !== '.' && name === from;
    // Keep the quoting as written where the new name allows it, so the definition reads as before.
    const bare = c !== '`' && c !== '"' && /^[A-Za-z0-9_$]*[A-Za-z_$][A-Za-z0-9_$]*$/.test(to);
    out += !qualifier ? sql.slice(i, stop) : bare ? to : quoteIdent(to);
    prevNonSpace = sql[stop - 1];
    i = stop;
  }
  return out;
}

function skipString(sql: string, i: number): number {
  const q = sql[i];
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (c === '\\' && q !== '`') j += 2;
    else if (c === q && sql[j + 1] === q) j += 2;
    else if (c === q) return j + 1;
    else j++;
  }
  return j;
}

const NAME = "(?:`(?:[^`]|``)*`|'(?:[^'\\\\]|\\\\.)*'|[^\\s@`']+)";
const DEFINER = new RegExp(`^(\\s*CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:ALGORITHM\\s*=\\s*\\w+\\s+)?)DEFINER\\s*=\\s*(${NAME}(?:\\s*@\\s*${NAME})?)\\s+`, 'i');

/** The DEFINER of a CREATE statement as written (`user`@`host`), or undefined. */
export function definerOf(sql: string): string | undefined {
  return DEFINER.exec(sql)?.[2];
}

/** The statement without its DEFINER clause (the object then belongs to the user creating it). */
export function withoutDefiner(sql: string): string {
  return sql.replace(DEFINER, '$1');
}
