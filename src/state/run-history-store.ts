/**
 * The scheduler's run history in the project's state database (table schedule_runs, one JSON record
 * per environment + schedule id). On first use, a schedules.json left by an older version is imported.
 */
import type { DatabaseSync } from 'node:sqlite';
import { legacyHistoryFileFor, readLegacyHistory, RunHistory, type RunRecord } from '../scheduler/run-history.ts';
import { openStateDb, stateFileFor, transaction } from './state-db.ts';

export async function openRunHistory(db: DatabaseSync, configFile?: string): Promise<RunHistory> {
  const save = (env: string, id: string, record: RunRecord) => {
    db.prepare('INSERT INTO schedule_runs (environment, schedule, record) VALUES (?, ?, ?) ON CONFLICT (environment, schedule) DO UPDATE SET record = excluded.record').run(env, id, JSON.stringify(record));
  };
  let rows = db.prepare('SELECT environment, schedule, record FROM schedule_runs').all() as { environment: string; schedule: string; record: string }[];
  if (rows.length === 0 && configFile !== undefined) {
    const legacy = await readLegacyHistory(legacyHistoryFileFor(configFile));
    if (legacy.length) transaction(db, () => legacy.forEach((r) => save(r.env, r.id, r.record)));
    rows = legacy.map((r) => ({ environment: r.env, schedule: r.id, record: JSON.stringify(r.record) }));
  }
  return new RunHistory({ save }, rows.map((r) => ({ env: r.environment, id: r.schedule, record: JSON.parse(r.record) as RunRecord })));
}

/** The run history of the project whose configuration is `configFile`, with the database to close when done. */
export async function projectRunHistory(configFile: string): Promise<{ history: RunHistory; close(): void }> {
  const db = openStateDb(stateFileFor(configFile));
  try {
    return { history: await openRunHistory(db, configFile), close: () => db.close() };
  } catch (err) {
    db.close();
    throw err;
  }
}
