/**
 * The files a MySQL/MariaDB source writes under its directory of a snapshot (version 1):
 *
 *   meta.json                    what the sink needs besides the files: the database's default
 *                                charset/collation, every table (columns as dumped, primary key,
 *                                parts with row counts), views, triggers, routines and events with
 *                                the session settings they were created under. Only data-derived
 *                                content — no time, binlog position or server id — so an unchanged
 *                                database gives the identical file (the point goes into the manifest
 *                                through PinResult/CaptureResult details).
 *   schema/tables/<t>.sql        SHOW CREATE TABLE (AUTO_INCREMENT counter included)
 *   schema/views/<v>.sql         SHOW CREATE VIEW, read with the database as default (unqualified)
 *   schema/triggers/<tr>.sql     SHOW CREATE TRIGGER
 *   schema/procedures/<p>.sql    SHOW CREATE PROCEDURE
 *   schema/functions/<f>.sql     SHOW CREATE FUNCTION
 *   schema/events/<e>.sql        SHOW CREATE EVENT
 *   data/<t>/<part>.tsv          rows of one primary-key range, in primary-key order
 *
 * Names: <t> is the object name with every byte outside [A-Za-z0-9_-] written as %XX (UTF-8), so
 * any MySQL name (spaces, dots, slashes, backticks, unicode) maps to one safe, unique, deterministic
 * path part. <part> is the range's index as 6+ decimal digits (a '-' first for negative keys).
 *
 * Rows (.tsv): LOAD DATA's default text format read with CHARACTER SET binary — fields separated
 * by a tab, rows ended by a newline, NULL as \N, and inside a field backslash, tab, newline and NUL
 * escaped as \\, \t, \n and \0. Field bytes are exactly as stored (read with
 * character_set_results=binary and time_zone '+00:00'), with three exceptions named per column in
 * meta.json `columns[].dump`: 'bit' columns are written as their unsigned integer (col+0) and
 * 'float' columns as the exact double (col+0e0) — their text forms do not load back exactly;
 * generated columns are not written at all (the server recomputes them).
 *
 * Parts: a table whose primary key starts with an integer column is split into ranges
 * [k·W, (k+1)·W) of that column, W a power of two chosen from the table's size so a part holds about
 * `partBytes` (64 MiB). Aligning ranges to multiples of W keeps the parts of unchanged rows identical
 * when rows are added or removed elsewhere (good for dedup). Empty ranges write no file. Other
 * tables are one part (part 0); without a primary key rows follow a NOT NULL unique key or, lacking
 * one, the storage order (noted as `order: "none"`).
 */
import { EnvsnapError } from '../../core/errors.ts';

export const FORMAT_VERSION = 1;
export const META_PATH = 'meta.json';

/** How a column's value is written to the .tsv file and loaded back. */
export type ColumnDump = 'raw' | 'bit' | 'float';

export interface ColumnMeta {
  name: string;
  dump: ColumnDump;
}

export interface PartMeta {
  /** The range's index, a decimal integer: it covers keys [index·width, (index+1)·width). */
  index: string;
  file: string;
  rows: number;
  bytes: number;
}

export interface TableMeta {
  name: string;
  engine: string;
  /** The file of SHOW CREATE TABLE. */
  schema: string;
  /** The dumped columns in file order (generated columns left out). */
  columns: ColumnMeta[];
  primaryKey: string[];
  /** What orders the rows: the primary key, a unique key's name, or 'none'. */
  order: string;
  /** The range width of the split column (a decimal string; '0' when the table is one part). */
  width: string;
  rows: number;
  parts: PartMeta[];
}

/** A view, trigger, routine or event: its SHOW CREATE statement and the session it needs. */
export interface ObjectMeta {
  name: string;
  file: string;
  /** sql_mode it was created under (views have none of their own). */
  sqlMode?: string;
  characterSetClient: string;
  collationConnection: string;
  /** Events only: the time zone of their schedule. */
  timeZone?: string;
  /** Triggers only: the table they belong to. */
  table?: string;
}

export interface MysqlMeta {
  format: number;
  /** The source database's name: definitions naming it are rewritten for a target of another name. */
  database: string;
  characterSet: string;
  collation: string;
  server: { flavor: string; version: string };
  tables: TableMeta[];
  views: ObjectMeta[];
  triggers: ObjectMeta[];
  procedures: ObjectMeta[];
  functions: ObjectMeta[];
  events: ObjectMeta[];
}

/** One path part for any object name: bytes outside [A-Za-z0-9_-] as %XX. */
export function encodeName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function decodeName(part: string): string {
  return Buffer.from(part.replace(/%([0-9A-F]{2})|([^%])/g, (_m, hex: string | undefined, ch: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ch!)), 'latin1').toString('utf8');
}

export type SchemaKind = 'tables' | 'views' | 'triggers' | 'procedures' | 'functions' | 'events';

export function schemaPath(kind: SchemaKind, name: string): string {
  return `schema/${kind}/${encodeName(name)}.sql`;
}

export function partPath(table: string, index: bigint): string {
  const digits = (index < 0n ? -index : index).toString().padStart(6, '0');
  return `data/${encodeName(table)}/${index < 0n ? '-' : ''}${digits}.tsv`;
}

/** Parses meta.json, refusing a format this envsnap does not know. */
export function parseMeta(text: string, sourceName: string): MysqlMeta {
  let meta: MysqlMeta;
  try {
    meta = JSON.parse(text) as MysqlMeta;
  } catch {
    throw new EnvsnapError('CORRUPT', `${sourceName}: the snapshot's ${META_PATH} is not valid JSON: run envsnap check on the repository`);
  }
  if (meta.format !== FORMAT_VERSION) {
    throw new EnvsnapError('FORMAT_TOO_NEW', `${sourceName}: the snapshot's database format ${String(meta.format)} is not known to this envsnap (it reads format ${FORMAT_VERSION}): upgrade envsnap`);
  }
  return meta;
}
