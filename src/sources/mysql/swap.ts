/**
 * The swap: puts the fully loaded staging schema's tables in place of the target's in one atomic
 * RENAME TABLE (old tables move to a holding schema, new ones into the target), so the target
 * holds either all old or all new tables, never a mix. RENAME cannot move a table with triggers or
 * a view to another schema, so the target's views and triggers are dropped just before (and
 * recreated if the rename fails). Also: the names of the staging and holding schemas.
 */
import { createHash } from 'node:crypto';
import { EnvsnapError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { errorText, type MysqlConnection, type MysqlConnectionSettings } from './connection.ts';
import { createObjects, type NamedDefinition } from './object-writer.ts';
import { qualified, quoteIdent } from './quote.ts';
import { listObjects, showCreateObject } from './schema-reader.ts';

/**
 * `<db>__envsnap_new` / `<db>__envsnap_old` (restores), `<db>__envsnap_import_<hex>` (imports; `which`
 * at most 20 characters), shortened with a hash of `db` when the name would pass 64 characters.
 */
export function stagingSchema(db: string, which: string): string {
  const name = `${db}__envsnap_${which}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(db).digest('hex').slice(0, 8);
  return `${db.slice(0, Math.min(40, 64 - 20 - which.length))}__envsnap_${which}_${hash}`;
}

export interface SwapPlan {
  db: string;
  staging: string;
  holding: string;
  /** The tables of the staging schema. */
  tables: string[];
  characterSet: string;
  collation: string;
}

/**
 * Swaps the staging tables in. Afterwards the target's old tables are in `holding` and the target
 * has no views or triggers (the caller creates the snapshot's). On failure the target is as before.
 */
export async function swapIn(conn: MysqlConnection, plan: SwapPlan, opts: { settings: MysqlConnectionSettings; logger: Logger }): Promise<void> {
  const { db, staging, holding } = plan;
  const name = opts.settings.name;
  const existing = await listObjects(conn, db);
  if (!existing) await conn.query(`CREATE DATABASE ${quoteIdent(db)} ${charsetClause(plan)}`);
  await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(holding)}`);
  await conn.query(`CREATE DATABASE ${quoteIdent(holding)}`);

  // Keep the definitions of what must go before the rename, to put it back if the rename fails.
  const saved: NamedDefinition[] = [];
  for (const v of existing?.views ?? []) saved.push({ kind: 'view', name: v, ...(await showCreateObject(conn, db, 'view', v)) });
  for (const t of existing?.triggers ?? []) saved.push({ kind: 'trigger', name: t.name, ...(await showCreateObject(conn, db, 'trigger', t.name)) });
  for (const d of saved) await conn.query(`DROP ${d.kind.toUpperCase()} IF EXISTS ${qualified(db, d.name)}`);

  const renames = [...(existing?.tables ?? []).map((t) => `${qualified(db, t.name)} TO ${qualified(holding, t.name)}`), ...plan.tables.map((t) => `${qualified(staging, t)} TO ${qualified(db, t)}`)];
  try {
    if (renames.length > 0) await conn.query(`RENAME TABLE ${renames.join(', ')}`);
  } catch (err) {
    try {
      await createObjects(conn, db, saved, { fromDb: db, settings: opts.settings, logger: opts.logger });
    } catch (again) {
      opts.logger.warn(`${name}: putting back the views and triggers of "${db}" failed (${errorText(again)})`);
    }
    await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(holding)}`).catch(() => {});
    if (!existing) await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)}`).catch(() => {});
    throw new EnvsnapError('SOURCE_FAILED', `${name}: swapping the restored tables into "${db}" failed (${errorText(err)}): the target was left as it was; fix the cause and restore again`, { cause: err });
  }
}

/** `CHARACTER SET x COLLATE y` (names checked: they come from a snapshot file). */
export function charsetClause(p: { characterSet: string; collation: string }): string {
  if (!/^\w+$/.test(p.characterSet) || !/^\w+$/.test(p.collation)) throw new EnvsnapError('CORRUPT', `the snapshot names an invalid character set "${p.characterSet}" / collation "${p.collation}"`);
  return `CHARACTER SET ${p.characterSet} COLLATE ${p.collation}`;
}
