/**
 * Splitting a SHOW CREATE TABLE statement for a fast load: the table is created with its primary
 * key only, rows are loaded, then secondary indexes are added in one ALTER (a sorted build, much
 * cheaper than maintaining them row by row) and foreign keys last. The statement is split at the
 * top-level commas of its column/key list by a small tokenizer that skips quoted names, strings
 * and parentheses, so names and comments with commas or brackets cannot confuse it.
 *
 * Secondary indexes stay in the CREATE when deferring them would change the table: no primary key
 * (InnoDB would cluster by another key), FULLTEXT/SPATIAL keys (built differently), or an
 * AUTO_INCREMENT column that is not the primary key's first column (it needs its key at once).
 *
 * InnoDB tables are also created with STATS_AUTO_RECALC=0: otherwise InnoDB recomputes a growing
 * table's statistics every time a tenth of it changed, which costs more CPU than the load itself.
 * The option is put back (`finish`) and the statistics computed once (ANALYZE) after the load.
 */

export interface SplitTable {
  /** CREATE TABLE without the deferred parts. */
  create: string;
  /** Key definitions for one `ALTER TABLE … ADD …, ADD …` after the load (empty: none deferred). */
  indexes: string[];
  /** FOREIGN KEY definitions (with their CONSTRAINT name) to add last. */
  foreignKeys: string[];
  /** Table options to set back after the load ('STATS_AUTO_RECALC=DEFAULT'), or none. */
  finish: string[];
}

/** Index just past the quoted token starting at i (backticks, single or double quotes). */
function skipQuoted(sql: string, i: number): number {
  const q = sql[i];
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (c === '\\' && q !== '`') {
      j += 2;
      continue;
    }
    if (c === q) {
      if (sql[j + 1] === q) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return j;
}

/** The column/key items of a CREATE TABLE, and the text before and after the list. */
export function createTableItems(sql: string): { head: string; items: string[]; tail: string } {
  let depth = 0;
  let open = -1;
  let itemStart = -1;
  const items: string[] = [];
  for (let i = 0; i < sql.length; ) {
    const c = sql[i];
    if (c === '`' || c === "'" || c === '"') {
      i = skipQuoted(sql, i);
      continue;
    }
    if (c === '(') {
      depth++;
      if (depth === 1 && open < 0) {
        open = i;
        itemStart = i + 1;
      }
    } else if (c === ')') {
      depth--;
      if (depth === 0 && open >= 0) {
        items.push(sql.slice(itemStart, i).trim());
        return { head: sql.slice(0, open), items, tail: sql.slice(i + 1) };
      }
    } else if (c === ',' && depth === 1) {
      items.push(sql.slice(itemStart, i).trim());
      itemStart = i + 1;
    }
    i++;
  }
  throw new Error('not a CREATE TABLE statement with a column list');
}

function firstColumn(item: string): string | undefined {
  const m = /\(\s*`((?:[^`]|``)*)`/.exec(item);
  return m ? m[1].replaceAll('``', '`') : undefined;
}

function withoutStrings(item: string): string {
  return item.replace(/'(?:[^'\\]|\\.|'')*'/g, "''");
}

export function splitCreateTable(sql: string): SplitTable {
  const { head, items, tail } = createTableItems(sql);
  const keep: string[] = [];
  const indexes: string[] = [];
  const foreignKeys: string[] = [];
  let primary: string | undefined;
  let special = false;
  let autoIncrement: string | undefined;
  for (const item of items) {
    if (item.startsWith('`')) {
      if (/\bAUTO_INCREMENT\b/i.test(withoutStrings(item))) autoIncrement = /^`((?:[^`]|``)*)`/.exec(item)?.[1].replaceAll('``', '`');
    } else if (/^PRIMARY\s+KEY\b/i.test(item)) primary = item;
    else if (/^(FULLTEXT|SPATIAL|VECTOR)\b/i.test(item)) special = true;
  }
  const deferKeys = primary !== undefined && !special && (autoIncrement === undefined || firstColumn(primary) === autoIncrement);
  for (const item of items) {
    if (/^(CONSTRAINT\s+(`(?:[^`]|``)*`|\S+)\s+)?FOREIGN\s+KEY\b/i.test(item)) foreignKeys.push(item);
    else if (deferKeys && /^(UNIQUE\s+)?(KEY|INDEX)\b/i.test(item)) indexes.push(item);
    else keep.push(item);
  }
  let options = tail;
  const finish: string[] = [];
  if (/^\s*ENGINE=InnoDB\b/i.test(tail)) {
    const recalc = /\sSTATS_AUTO_RECALC=(\w+)/i.exec(tail)?.[1];
    options = tail.replace(/\sSTATS_AUTO_RECALC=\w+/i, '').replace(/^(\s*ENGINE=InnoDB)/i, '$1 STATS_AUTO_RECALC=0');
    finish.push(`STATS_AUTO_RECALC=${recalc ?? 'DEFAULT'}`);
  }
  return { create: `${head}(\n  ${keep.join(',\n  ')}\n)${options}`, indexes, foreignKeys, finish };
}

/**
 * The statement with its AUTO_INCREMENT table option set to `next` (SHOW CREATE TABLE shows the
 * counter as it is now, but the snapshot wants it as of the pinned point). A counter of 1 or none
 * means an unused counter, which SHOW CREATE TABLE leaves out.
 */
export function withAutoIncrement(sql: string, next: string | undefined): string {
  const { tail } = createTableItems(sql);
  let options = tail.replace(/ AUTO_INCREMENT=\d+/, '');
  if (next !== undefined && BigInt(next) > 1n) options = options.replace(/^(\s*ENGINE=\w+)/, `$1 AUTO_INCREMENT=${next}`);
  return sql.slice(0, sql.length - tail.length) + options;
}

/** A column's type as a CREATE TABLE states it: DATA_TYPE in lower case and the character set (null for non-strings and binary strings). */
export interface DeclaredColumn {
  dataType: string;
  characterSet: string | null;
}

const CHARACTER_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'json']);

/**
 * The columns of a SHOW CREATE TABLE statement with their types and character sets: a column's
 * own CHARACTER SET (or the prefix of its COLLATE), else the table's DEFAULT CHARSET. For exports of
 * a snapshot's rows, where information_schema is not at hand (sql-encoder.ts's literalKind).
 */
export function declaredColumns(sql: string): Map<string, DeclaredColumn> {
  const { items, tail } = createTableItems(sql);
  const tableCharset = /\bCHARSET=(\w+)/i.exec(tail)?.[1] ?? /\bCOLLATE=([a-z0-9]+)_/i.exec(tail)?.[1] ?? null;
  const out = new Map<string, DeclaredColumn>();
  for (const item of items) {
    const m = /^`((?:[^`]|``)*)`\s+(\w+)/.exec(item);
    if (!m) continue;
    const name = m[1].replaceAll('``', '`');
    const dataType = m[2].toLowerCase();
    const rest = withoutStrings(item.slice(m[0].length));
    let characterSet: string | null = null;
    if (CHARACTER_TYPES.has(dataType)) {
      characterSet = /\bCHARACTER SET (\w+)/i.exec(rest)?.[1] ?? /\bCOLLATE (?:`|')?([a-z0-9]+)_/i.exec(rest)?.[1] ?? (dataType === 'json' ? 'utf8mb4' : tableCharset);
    }
    out.set(name, { dataType, characterSet });
  }
  return out;
}
