/**
 * Schema reading: what a database holds (tables, views, triggers, routines, events), each table's
 * columns and keys as the row reader needs them, and the SHOW CREATE statement of every object.
 * Shared by the snapshot source and `db:dump`. All names come back exactly as the server has them.
 */
import { EnvsnapError } from '../../core/errors.ts';
import { MysqlConnection } from './connection.ts';
import { qualified, quoteIdent } from './quote.ts';

export interface TableInfo {
  name: string;
  engine: string;
  /** The server's size estimate (information_schema DATA_LENGTH), for splitting into parts. */
  dataLength: number;
  /** The next AUTO_INCREMENT value when the table has such a column. */
  autoIncrement?: string;
}

export interface TriggerInfo {
  name: string;
  table: string;
}

export interface DatabaseObjects {
  characterSet: string;
  collation: string;
  /** Base tables, sorted by name. */
  tables: TableInfo[];
  /** Objects of a kind the driver does not capture (sequences, system-versioned tables). */
  unsupported: { name: string; type: string }[];
  views: string[];
  /** In creation order: by table, then the server's action order. */
  triggers: TriggerInfo[];
  procedures: string[];
  functions: string[];
  events: string[];
}

/** Engines whose tables a consistent-snapshot transaction reads as of the snapshot. */
const TRANSACTIONAL_ENGINES = new Set(['innodb', 'xtradb', 'rocksdb', 'tokudb']);

export function isTransactional(engine: string): boolean {
  return TRANSACTIONAL_ENGINES.has(engine.toLowerCase());
}

const byName = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Everything in `db`; undefined when the database does not exist. */
export async function listObjects(conn: MysqlConnection, db: string): Promise<DatabaseObjects | undefined> {
  const [schema] = await conn.query<{ cs: string; co: string }>(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [db],
  );
  if (!schema) return undefined;
  // MySQL 8 caches these statistics for a day by default; the counters must be current.
  await conn.query('SET SESSION information_schema_stats_expiry = 0').catch(() => {});
  const tables = await conn.query<{ name: string; type: string; engine: string | null; len: string | number | null; ai: string | number | null }>(
    'SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, DATA_LENGTH AS len, AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [db],
  );
  const triggers = await conn.query<{ name: string; tbl: string; ord: string | number }>(
    'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl, ACTION_ORDER AS ord FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?',
    [db],
  );
  const routines = await conn.query<{ name: string; type: string }>('SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [db]);
  const events = await conn.query<{ name: string }>('SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [db]);
  const out: DatabaseObjects = {
    characterSet: schema.cs,
    collation: schema.co,
    tables: [],
    unsupported: [],
    views: [],
    triggers: [],
    procedures: [],
    functions: [],
    events: events.map((e) => e.name).sort(byName),
  };
  for (const t of tables) {
    if (t.type === 'BASE TABLE') out.tables.push({ name: t.name, engine: t.engine ?? '', dataLength: Number(t.len ?? 0), ...(t.ai !== null ? { autoIncrement: String(t.ai) } : {}) });
    else if (t.type === 'VIEW') out.views.push(t.name);
    else out.unsupported.push({ name: t.name, type: t.type });
  }
  for (const r of routines) {
    if (r.type === 'PROCEDURE') out.procedures.push(r.name);
    else if (r.type === 'FUNCTION') out.functions.push(r.name);
    else out.unsupported.push({ name: r.name, type: r.type });
  }
  out.tables.sort((a, b) => byName(a.name, b.name));
  out.views.sort(byName);
  out.procedures.sort(byName);
  out.functions.sort(byName);
  out.triggers = triggers
    .sort((a, b) => byName(a.tbl, b.tbl) || Number(a.ord) - Number(b.ord))
    .map((t) => ({ name: t.name, table: t.tbl }));
  return out;
}

export interface ColumnInfo {
  name: string;
  /** information_schema DATA_TYPE, lower case ('int', 'bit', 'varchar' …). */
  dataType: string;
  generated: boolean;
  nullable: boolean;
}

export interface TableColumns {
  /** Every column in table order (generated ones included, flagged). */
  columns: ColumnInfo[];
  primaryKey: string[];
  /** Unique keys whose columns are all NOT NULL, by name (InnoDB orders a table without primary key by the first). */
  uniqueNotNull: { name: string; columns: string[] }[];
}

/** Columns and keys of every table of `db` (two queries, not one per table). */
export async function readColumns(conn: MysqlConnection, db: string): Promise<Map<string, TableColumns>> {
  const cols = await conn.query<{ tbl: string; name: string; dt: string; extra: string | null; nullable: string; pos: string | number }>(
    'SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, DATA_TYPE AS dt, EXTRA AS extra, IS_NULLABLE AS nullable, ORDINAL_POSITION AS pos FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?',
    [db],
  );
  const keys = await conn.query<{ tbl: string; idx: string; col: string; seq: string | number; nonUnique: string | number }>(
    'SELECT TABLE_NAME AS tbl, INDEX_NAME AS idx, COLUMN_NAME AS col, SEQ_IN_INDEX AS seq, NON_UNIQUE AS nonUnique FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?',
    [db],
  );
  const out = new Map<string, TableColumns>();
  const table = (name: string) => {
    let t = out.get(name);
    if (!t) out.set(name, (t = { columns: [], primaryKey: [], uniqueNotNull: [] }));
    return t;
  };
  cols.sort((a, b) => Number(a.pos) - Number(b.pos));
  for (const c of cols) {
    table(c.tbl).columns.push({
      name: c.name,
      dataType: c.dt.toLowerCase(),
      // 'VIRTUAL GENERATED', 'STORED GENERATED', MariaDB's older 'PERSISTENT'; not MySQL's DEFAULT_GENERATED.
      generated: /(^|\s)(VIRTUAL|STORED|PERSISTENT)(\s+GENERATED)?(\s|$)/i.test(c.extra ?? ''),
      nullable: c.nullable === 'YES',
    });
  }
  const unique = new Map<string, Map<string, string[]>>();
  keys.sort((a, b) => Number(a.seq) - Number(b.seq));
  for (const k of keys) {
    if (Number(k.nonUnique) !== 0) continue;
    let m = unique.get(k.tbl);
    if (!m) unique.set(k.tbl, (m = new Map()));
    const list = m.get(k.idx) ?? [];
    list.push(k.col);
    m.set(k.idx, list);
  }
  for (const [tbl, m] of unique) {
    const t = table(tbl);
    for (const [idx, columns] of [...m].sort((a, b) => byName(a[0], b[0]))) {
      if (idx === 'PRIMARY') t.primaryKey = columns;
      else if (columns.every((c) => t.columns.find((x) => x.name === c)?.nullable === false)) t.uniqueNotNull.push({ name: idx, columns });
    }
  }
  return out;
}

export async function showCreateTable(conn: MysqlConnection, db: string, table: string): Promise<string> {
  const [row] = await conn.query<Record<string, string>>(`SHOW CREATE TABLE ${qualified(db, table)}`);
  const sql = row?.['Create Table'];
  if (typeof sql !== 'string') throw new Error(`SHOW CREATE TABLE returned no statement for ${table}`);
  return sql;
}

export type ObjectKind = 'view' | 'trigger' | 'procedure' | 'function' | 'event';

export interface ObjectDefinition {
  sql: string;
  sqlMode?: string;
  characterSetClient: string;
  collationConnection: string;
  timeZone?: string;
}

const CREATE_COLUMN: Record<ObjectKind, string> = {
  view: 'Create View',
  trigger: 'SQL Original Statement',
  procedure: 'Create Procedure',
  function: 'Create Function',
  event: 'Create Event',
};

/**
 * SHOW CREATE of a view, trigger, routine or event. Views are read with `db` as the default
 * database so their tables come back unqualified (the statement then fits a database of any name);
 * the connection is left with `db` as its default.
 */
export async function showCreateObject(conn: MysqlConnection, db: string, kind: ObjectKind, name: string): Promise<ObjectDefinition> {
  if (kind === 'view') await conn.query(`USE ${quoteIdent(db)}`);
  const [row] = await conn.query<Record<string, string | null>>(`SHOW CREATE ${kind.toUpperCase()} ${qualified(db, name)}`);
  const sql = row?.[CREATE_COLUMN[kind]];
  if (typeof sql !== 'string') {
    throw new EnvsnapError('SOURCE_FAILED', `${conn.settings.name}: the definition of ${kind} "${name}" cannot be read (SHOW CREATE ${kind.toUpperCase()} returned none): grant the user SHOW VIEW / SELECT on mysql.proc or make it the definer`);
  }
  return {
    sql,
    sqlMode: row.sql_mode ?? undefined,
    characterSetClient: row.character_set_client ?? 'utf8mb4',
    collationConnection: row.collation_connection ?? 'utf8mb4_general_ci',
    timeZone: row.time_zone ?? undefined,
  };
}
