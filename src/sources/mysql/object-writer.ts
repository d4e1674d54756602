/**
 * Creating views, triggers, routines and events in a database from their SHOW CREATE statements,
 * under the session they were defined in (sql_mode, client character set, the event's time zone),
 * so SHOW CREATE on the target reads as on the source. A DEFINER the restoring user may not name
 * (no SUPER / SET USER privilege) is dropped with a warning naming the object. Views are created in
 * dependency order by retrying those whose underlying view does not exist yet.
 */
import { EnvsnapError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { ER, errorText, sqlErrno, type MysqlConnection, type MysqlConnectionSettings } from './connection.ts';
import { definerOf, rewriteSchema, usesAnsiQuotes, withoutDefiner } from './definitions.ts';
import { quoteIdent, quoteString } from './quote.ts';
import type { ObjectDefinition, ObjectKind } from './schema-reader.ts';

export interface NamedDefinition extends ObjectDefinition {
  kind: ObjectKind;
  name: string;
}

const UTF8 = /^utf8(mb3|mb4)?$/i;

/** Creates objects in `db` (the connection's default database afterwards). `fromDb`: the database the statements were read from. */
export async function createObjects(
  conn: MysqlConnection,
  db: string,
  defs: NamedDefinition[],
  opts: { fromDb: string; settings: MysqlConnectionSettings; logger: Logger },
): Promise<void> {
  await conn.query(`USE ${quoteIdent(db)}`);
  const pendingViews = defs.filter((d) => d.kind === 'view');
  const others = defs.filter((d) => d.kind !== 'view');
  // Routines first (views may call functions), then views, triggers, events.
  const rank: Record<ObjectKind, number> = { procedure: 0, function: 0, view: 1, trigger: 2, event: 3 };
  others.sort((a, b) => rank[a.kind] - rank[b.kind]);
  for (const d of others.filter((o) => rank[o.kind] === 0)) await createObject(conn, db, d, opts);
  let views = pendingViews;
  while (views.length > 0) {
    const failed: { def: NamedDefinition; err: unknown }[] = [];
    for (const def of views) {
      try {
        await createObject(conn, db, def, opts);
      } catch (err) {
        const errno = sqlErrno((err as { cause?: unknown }).cause);
        if (errno === ER.NO_SUCH_TABLE || errno === ER.VIEW_INVALID) failed.push({ def, err });
        else throw err;
      }
    }
    if (failed.length === views.length) throw failed[0].err;
    views = failed.map((f) => f.def);
  }
  for (const d of others.filter((o) => rank[o.kind] > 0)) await createObject(conn, db, d, opts);
}

async function createObject(conn: MysqlConnection, db: string, def: NamedDefinition, opts: { fromDb: string; settings: MysqlConnectionSettings; logger: Logger }): Promise<void> {
  const ansiQuotes = usesAnsiQuotes(def.sqlMode);
  const sql = rewriteSchema(def.sql, opts.fromDb, db, ansiQuotes);
  // mysql2 sends statements as UTF-8: another client character set is only safe for ASCII text.
  const charset = UTF8.test(def.characterSetClient) || /^[\x00-\x7f]*$/.test(sql) ? def.characterSetClient : 'utf8mb4';
  const collation = charset === def.characterSetClient ? def.collationConnection : 'utf8mb4_general_ci';
  await setSqlMode(conn, def.sqlMode ?? '');
  await conn.query(`SET SESSION character_set_client = ${quoteString(charset)}, collation_connection = ${quoteString(collation)}`);
  if (def.timeZone) await conn.query(`SET SESSION time_zone = ${quoteString(def.timeZone)}`);
  try {
    try {
      await conn.query(sql);
    } catch (err) {
      const definer = definerOf(sql);
      if (!definer || !isDefinerDenied(err)) throw err;
      opts.logger.warn(
        `${opts.settings.name}: ${def.kind} "${def.name}" was created with user "${opts.settings.user}" as its definer instead of ${definer} (the restoring user may not set another definer: grant it SET USER or SUPER to keep definers)`,
      );
      await conn.query(withoutDefiner(sql));
    }
  } catch (err) {
    throw new EnvsnapError('SOURCE_FAILED', `${opts.settings.name}: creating ${def.kind} "${def.name}" failed (${errorText(err)}): check the definition and the target server`, { cause: err });
  } finally {
    await conn.query("SET SESSION character_set_client = 'utf8mb4', collation_connection = 'utf8mb4_general_ci', time_zone = '+00:00'");
  }
}

function isDefinerDenied(err: unknown): boolean {
  const errno = sqlErrno(err);
  return errno === ER.SPECIFIC_ACCESS_DENIED || errno === ER.ACCESS_DENIED || errno === ER.DBACCESS_DENIED;
}

/** Sets sql_mode, dropping modes this server does not know (NO_AUTO_CREATE_USER on MySQL 8). */
async function setSqlMode(conn: MysqlConnection, mode: string): Promise<void> {
  try {
    await conn.query(`SET SESSION sql_mode = ${quoteString(mode)}`);
  } catch {
    const known = mode.split(',').filter((m) => m !== 'NO_AUTO_CREATE_USER');
    await conn.query(`SET SESSION sql_mode = ${quoteString(known.join(','))}`);
  }
}
