/**
 * Quoting for SQL text the driver builds: identifiers in backticks (a backtick doubled), string
 * literals in single quotes with backslash escapes. Every name the driver puts into a statement goes
 * through these, so table names with spaces, dots, quotes or unicode are safe.
 */

export function quoteIdent(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

/** `db`.`table` */
export function qualified(db: string, name: string): string {
  return `${quoteIdent(db)}.${quoteIdent(name)}`;
}

const STRING_ESCAPES: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '\\': '\\\\' };

/** A string literal valid whatever the sql_mode (NO_BACKSLASH_ESCAPES aside, which the driver never sets). */
export function quoteString(value: string): string {
  return "'" + value.replace(/[\0\n\r\x1a'\\]/g, (c) => STRING_ESCAPES[c]) + "'";
}
