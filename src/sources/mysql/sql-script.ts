/**
 * The body of an SQL dump script, shared by `db:dump` (rows read live from the server, sql-dump.ts)
 * and the export of a snapshot's database (rows from the snapshot's .tsv files, snapshot-sql.ts):
 * the saved and set session, the database's default character set, every table (DROP, CREATE,
 * rows), the views, routines, triggers and events, the session put back, and the completion line.
 * The layout is described in sql-dump.ts.
 */
import type { ServerFlavor } from './consistent-snapshot.ts';
import { rewriteSchema, usesAnsiQuotes } from './definitions.ts';
import { quoteIdent, quoteString } from './quote.ts';
import type { ObjectDefinition, ObjectKind } from './schema-reader.ts';

export interface ScriptTable {
  name: string;
  /** CREATE TABLE, with the AUTO_INCREMENT counter. */
  create: string;
  /** The table's INSERT statements in chunks; undefined for a table created without rows (excluded). */
  rows?: () => AsyncIterable<Buffer>;
}

export interface ScriptObject {
  kind: ObjectKind;
  name: string;
  def: ObjectDefinition;
}

export interface ScriptInput {
  /** Comment lines (without `-- `) at the top. */
  header: string[];
  /** The source database's name: qualifiers naming it are removed from definitions. */
  database: string;
  flavor: ServerFlavor;
  charset: { characterSet: string; collation: string };
  tables: readonly ScriptTable[];
  /** Routines, views, triggers and events, in the order they are created. */
  objects: readonly ScriptObject[];
  /**
   * The columns of each view, for placeholder views created before the real ones (so views on
   * views load in any order). Without it the views are ordered so that a view comes after the views
   * its definition names.
   */
  viewColumns?: ReadonlyMap<string, readonly string[]>;
}

/** The mode the rows and tables load under (and every definition returns to). */
export const DUMP_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO';

/** The script as text pieces; `tableDone(i)` is called after the rows of table i are out. */
export async function* sqlScript(input: ScriptInput, hooks: { tableDone?: (i: number) => void } = {}): AsyncGenerator<Buffer> {
  const text = (s: string) => Buffer.from(s, 'utf8');
  yield text(input.header.map((l) => `-- ${comment(l)}`.trimEnd()).join('\n') + '\n' + SETTINGS_SAVE);
  const { characterSet, collation } = input.charset;
  if (!/^\w+$/.test(characterSet) || !/^\w+$/.test(collation)) throw new Error(`invalid character set "${characterSet}" / collation "${collation}"`);
  // Names no database: applies to the one the dump is loaded into (and fails early when none is chosen).
  yield text(`\nALTER DATABASE CHARACTER SET ${characterSet} COLLATE ${collation};\n`);
  for (let i = 0; i < input.tables.length; i++) {
    const t = input.tables[i];
    const name = quoteIdent(t.name);
    yield text(`\n--\n-- Table ${comment(name)}\n--\n\nDROP TABLE IF EXISTS ${name};\n${t.create};\n`);
    if (!t.rows) yield text(`-- The rows of ${comment(name)} are left out (excluded).\n`);
    else {
      let first = true;
      for await (const chunk of t.rows()) {
        if (first) yield text('\n');
        first = false;
        yield chunk;
      }
    }
    hooks.tableDone?.(i);
  }
  let objects = input.objects;
  const views = objects.filter((o) => o.kind === 'view');
  if (views.length > 0 && input.viewColumns) {
    let s = '\n--\n-- Placeholders for the views (replaced below), so views on views load in any order\n--\n\n';
    for (const v of views) {
      const cols = input.viewColumns.get(v.name) ?? [];
      const name = quoteIdent(v.name);
      s += `DROP TABLE IF EXISTS ${name};\nDROP VIEW IF EXISTS ${name};\n`;
      if (cols.length > 0) s += `CREATE VIEW ${name} AS SELECT ${cols.map((c) => `1 AS ${quoteIdent(c)}`).join(', ')};\n`;
    }
    yield text(s);
  } else if (views.length > 1) {
    const ordered = viewsInDependencyOrder(views);
    let v = 0;
    objects = objects.map((o) => (o.kind === 'view' ? ordered[v++] : o));
  }
  for (const o of objects) yield text(`\n-- ${KIND_TITLE[o.kind]} ${comment(quoteIdent(o.name))}\n${objectStatements(o.kind, o.name, o.def, input.database, input.flavor)}`);
  yield text(SETTINGS_RESTORE + '\n-- envsnap: dump complete\n');
}

/** Views sorted so that each comes after the views its definition names (a cycle keeps the given order). */
export function viewsInDependencyOrder(views: readonly ScriptObject[]): ScriptObject[] {
  const names = new Map(views.map((v) => [v.name, v]));
  const out: ScriptObject[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (v: ScriptObject) => {
    if (state.has(v.name)) return;
    state.set(v.name, 'visiting');
    for (const [other, o] of names) {
      if (other !== v.name && v.def.sql.includes(quoteIdent(other))) visit(o);
    }
    state.set(v.name, 'done');
    out.push(v);
  };
  for (const v of views) visit(v);
  return out;
}

const KIND_TITLE: Record<ObjectKind, string> = { view: 'View', trigger: 'Trigger', procedure: 'Procedure', function: 'Function', event: 'Event' };

const SETTINGS_SAVE = `
SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT, @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS, @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION;
SET NAMES utf8mb4;
SET @OLD_TIME_ZONE=@@TIME_ZONE, TIME_ZONE='+00:00';
SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0;
SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0;
SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='${DUMP_SQL_MODE}';
SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0;
`;

const SETTINGS_RESTORE = `
SET SQL_MODE=@OLD_SQL_MODE;
SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS;
SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS;
SET TIME_ZONE=@OLD_TIME_ZONE;
SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT, CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS, COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION;
SET SQL_NOTES=@OLD_SQL_NOTES;
`;

/** Text safe inside a `--` comment line: a control character (a newline in a name) would end the comment. */
export function comment(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, '?');
}

const UTF8 = /^utf8(mb3|mb4)?$/i;
const DROP_KIND: Record<ObjectKind, string> = { view: 'VIEW', trigger: 'TRIGGER', procedure: 'PROCEDURE', function: 'FUNCTION', event: 'EVENT' };

/**
 * The statements creating one view, trigger, routine or event in the importing session's database:
 * DROP … IF EXISTS, the definition under its own session settings, and the dump's settings back.
 */
export function objectStatements(kind: ObjectKind, name: string, def: ObjectDefinition, db: string, flavor: ServerFlavor): string {
  const ansiQuotes = usesAnsiQuotes(def.sqlMode);
  const sql = withoutOwnSchema(def.sql, db, ansiQuotes);
  const prepared = flavor === 'mariadb' || kind === 'view';
  // Without PREPARE the file's UTF-8 is read in the client character set: only safe for ASCII text.
  const keepCharset = prepared || UTF8.test(def.characterSetClient) || /^[\x00-\x7f]*$/.test(sql);
  const session = [
    `character_set_client = ${quoteString(keepCharset ? def.characterSetClient : 'utf8mb4')}`,
    `collation_connection = ${quoteString(keepCharset ? def.collationConnection : 'utf8mb4_general_ci')}`,
    ...(def.sqlMode !== undefined ? [`sql_mode = ${quoteString(def.sqlMode)}`] : []),
    ...(def.timeZone !== undefined ? [`time_zone = ${quoteString(def.timeZone)}`] : []),
  ];
  let out = `DROP ${DROP_KIND[kind]} IF EXISTS ${quoteIdent(name)};\n`;
  if (prepared) {
    out += `SET @envsnap_definition = ${quoteString(sql)};\n`;
    out += `SET ${session.join(', ')};\n`;
    out += 'PREPARE envsnap_statement FROM @envsnap_definition;\nEXECUTE envsnap_statement;\nDEALLOCATE PREPARE envsnap_statement;\n';
  } else {
    const delimiter = [';;', '$$', '//', ';;;;', '$$$$'].find((d) => !sql.includes(d)) ?? '\u00a7\u00a7';
    out += `SET ${session.join(', ')};\nDELIMITER ${delimiter}\n${sql}\n${delimiter}\nDELIMITER ;\n`;
  }
  out += `SET NAMES utf8mb4;\nSET sql_mode = '${DUMP_SQL_MODE}', time_zone = '+00:00';\n`;
  return out;
}

/**
 * The statement with every qualifier naming its own database removed (`db`.`t` → `t`), by
 * rewriting the qualifier to a marker no statement contains and deleting the marked qualifiers.
 */
export function withoutOwnSchema(sql: string, db: string, ansiQuotes = false): string {
  let marker = 'envsnap_own_database';
  while (sql.includes(marker)) marker += '_';
  const marked = rewriteSchema(sql, db, marker, ansiQuotes);
  if (marked === sql) return sql;
  return marked.replace(new RegExp(`(\`${marker}\`|${marker})\\s*\\.`, 'g'), '');
}
