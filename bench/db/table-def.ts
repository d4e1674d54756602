/** The shape of one generated table (see schema.ts) and the row counts it is generated for. */
import type { Value } from './values.ts';

export interface Counts {
  scale: number;
  products: number;
  categories: number;
  customers: number;
  orders: number;
  quotes: number;
  cmsPages: number;
  cmsBlocks: number;
  events: number;
  apiLogs: number;
  sessions: number;
  searchTerms: number;
}

export interface ForeignKey {
  column: string;
  table: string;
  refColumn: string;
  onDelete: 'CASCADE' | 'SET NULL' | 'NO ACTION';
}

export interface TableDef {
  name: string;
  /** Column definitions, each starting with the column's name: `entity_id int unsigned NOT NULL`. */
  columns: string[];
  /** Comma-separated primary key columns; undefined: a table without a primary key. */
  primaryKey?: string;
  /** Secondary indexes (`UNIQUE KEY name (a,b)`, `KEY …`, `FULLTEXT KEY …`), created after the load. */
  indexes?: string[];
  foreignKeys?: ForeignKey[];
  /** Expected row count (for ordering the loads; the generator decides). */
  count(c: Counts): number;
  rows(c: Counts): Iterable<Value[]>;
}

export function fk(column: string, table: string, refColumn: string, onDelete: ForeignKey['onDelete'] = 'CASCADE'): ForeignKey {
  return { column, table, refColumn, onDelete };
}

/** A table's fixed rows. */
export function fixedRows(rows: Value[][]): Pick<TableDef, 'count' | 'rows'> {
  return { count: () => rows.length, rows: () => rows };
}
