/**
 * Verifying a restore: the restored database must have the source's tables with equal `CHECKSUM TABLE`
 * results and equal definitions (SHOW CREATE TABLE without the AUTO_INCREMENT counter, so that indexes,
 * foreign keys and column types count too), the same triggers and the same views.
 */
import type { MariaDbInfo } from '../../src/testing/servers.ts';
import { listObjects, parallelOnConnections, quoteName, rows, withConnection, type Connection } from './sql.ts';

/** Table name → CHECKSUM TABLE … EXTENDED result. */
export type Checksums = Record<string, string>;

export async function tableChecksums(server: MariaDbInfo, db: string): Promise<Checksums> {
  const objects = await withConnection(server, db, (conn) => listObjects(conn, db));
  const result: Checksums = {};
  await parallelOnConnections(server, db, objects.tables, 2, async (conn, t) => {
    const [row] = await rows<{ Checksum: string | number | null }>(conn, `CHECKSUM TABLE ${quoteName(t.name)} EXTENDED`);
    result[t.name] = String(row.Checksum);
  });
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => a.localeCompare(b)));
}

async function tableDefinition(conn: Connection, db: string, table: string): Promise<string> {
  const [row] = await rows<Record<string, string>>(conn, `SHOW CREATE TABLE ${quoteName(db)}.${quoteName(table)}`);
  return row['Create Table'].replace(/ AUTO_INCREMENT=\d+/, '');
}

async function triggerDefinitions(conn: Connection, db: string): Promise<Map<string, string>> {
  const list = await rows<{ name: string; def: string }>(
    conn,
    "SELECT TRIGGER_NAME AS name, CONCAT_WS(' ', ACTION_TIMING, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_STATEMENT) AS def FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
    [db],
  );
  // Whitespace is not significant (mydumper 0.10 re-spaces trigger bodies).
  return new Map(list.map((t) => [t.name, t.def.replace(/\s+/g, ' ').trim()]));
}

/** The differences between the restored `target` and `source` (empty: verified). At most `limit` are listed. */
export async function compareDatabases(server: MariaDbInfo, source: string, sourceChecksums: Checksums, target: string, limit = 20): Promise<string[]> {
  const problems: string[] = [];
  const [src, dst] = await withConnection(server, undefined, (conn) => Promise.all([listObjects(conn, source), listObjects(conn, target)]));
  const dstTables = new Set(dst.tables.map((t) => t.name));
  for (const t of src.tables) if (!dstTables.has(t.name)) problems.push(`table ${t.name} is missing`);
  for (const t of dst.tables) if (!src.tables.some((s) => s.name === t.name)) problems.push(`unexpected table ${t.name}`);
  for (const v of src.views) if (!dst.views.includes(v)) problems.push(`view ${v} is missing`);

  const common = src.tables.filter((t) => dstTables.has(t.name));
  const checksums = await tableChecksums(server, target);
  for (const t of common) if (checksums[t.name] !== sourceChecksums[t.name]) problems.push(`table ${t.name}: checksum ${checksums[t.name]} ≠ source ${sourceChecksums[t.name]}`);

  await withConnection(server, undefined, async (conn) => {
    for (const t of common) {
      const [a, b] = [await tableDefinition(conn, source, t.name), await tableDefinition(conn, target, t.name)];
      if (a !== b) problems.push(`table ${t.name}: definition differs from the source's`);
    }
    const [a, b] = [await triggerDefinitions(conn, source), await triggerDefinitions(conn, target)];
    for (const [name, def] of a) {
      if (!b.has(name)) problems.push(`trigger ${name} is missing`);
      else if (b.get(name) !== def) problems.push(`trigger ${name} differs from the source's`);
    }
    for (const v of src.views.filter((v) => dst.views.includes(v))) {
      const [row] = await rows<{ def: string }>(conn, 'SELECT VIEW_DEFINITION AS def FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [target, v]);
      if (row.def.includes(`\`${source}\`.`)) problems.push(`view ${v} reads from the source database ${source}, not from ${target}`);
    }
  });
  return problems.length > limit ? [...problems.slice(0, limit), `… ${problems.length - limit} more`] : problems;
}
