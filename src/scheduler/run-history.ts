/**
 * Run history: what the scheduler did for each environment + schedule id, so a restarted scheduler
 * knows which run it missed and `schedule:list` (and the console) can show the last result. Kept in
 * memory and written through a RunHistoryStore one record at a time, in order: the project's state
 * database (state/run-history-store.ts) for the scheduler and the server, nothing for tests.
 */
import { EnvsnapError, errnoCode } from '../core/errors.ts';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type RunResult = 'running' | 'ok' | 'failed' | 'skipped';

export interface RunRecord {
  /** When the scheduler first saw this schedule (ms since the epoch): the base for missed runs before any run. */
  seenAt?: number;
  /** The scheduled time of the last run started or skipped (ms). */
  lastScheduled?: number;
  lastStart?: number;
  lastEnd?: number;
  result?: RunResult;
  /** One line, when result is failed or skipped. */
  error?: string;
  snapshotId?: string;
  /** Attempts made for lastScheduled (1 = no retry). */
  attempts?: number;
  /** The scheduled time of the last run skipped because another run of the environment was going, and why. */
  skippedAt?: number;
  skipReason?: string;
}

/** Where records are persisted. `save` replaces the record of one run; calls come one at a time. */
export interface RunHistoryStore {
  save(env: string, id: string, record: RunRecord): void | Promise<void>;
}

/** `.envsnap/state/schedules.json` beside the configuration: where versions before the state database kept the history (read once, to import it). */
export function legacyHistoryFileFor(configFile: string): string {
  return join(dirname(configFile), '.envsnap', 'state', 'schedules.json');
}

/** The records of a legacy schedules.json, or none when there is no such file. */
export async function readLegacyHistory(file: string): Promise<{ env: string; id: string; record: RunRecord }[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw new EnvsnapError('IO', `cannot read the schedule history ${file} (${errnoCode(err) ?? (err as Error).message}): fix its permissions`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new EnvsnapError('CONFIG', `the schedule history ${file} is not valid JSON: delete it (missed runs before now are then not made up)`);
  }
  const runs = (data as { runs?: unknown })?.runs;
  if (!runs || typeof runs !== 'object') return [];
  return Object.entries(runs)
    .filter(([k, v]) => k.includes('/') && v && typeof v === 'object')
    .map(([k, v]) => ({ env: k.slice(0, k.indexOf('/')), id: k.slice(k.indexOf('/') + 1), record: { ...(v as RunRecord) } }));
}

export class RunHistory {
  readonly #store: RunHistoryStore | undefined;
  #runs = new Map<string, RunRecord>();
  /** Writes in order, one at a time. */
  #writing: Promise<void> = Promise.resolve();

  constructor(store?: RunHistoryStore, records: readonly { env: string; id: string; record: RunRecord }[] = []) {
    this.#store = store;
    for (const r of records) this.#runs.set(key(r.env, r.id), { ...r.record });
  }

  /** A history kept in memory only (tests). */
  static memory(): RunHistory {
    return new RunHistory();
  }

  get(env: string, id: string): RunRecord | undefined {
    const r = this.#runs.get(key(env, id));
    return r && { ...r };
  }

  entries(): { env: string; id: string; record: RunRecord }[] {
    return [...this.#runs].map(([k, record]) => {
      const cut = k.indexOf('/');
      return { env: k.slice(0, cut), id: k.slice(cut + 1), record: { ...record } };
    });
  }

  /** Merges `patch` into the record (a key set to undefined is removed) and saves it. */
  update(env: string, id: string, patch: Partial<Record<keyof RunRecord, unknown>>): Promise<void> {
    const next: Record<string, unknown> = { ...this.#runs.get(key(env, id)) };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    const record = next as RunRecord;
    this.#runs.set(key(env, id), record);
    const store = this.#store;
    const write = this.#writing.then(() => store?.save(env, id, { ...record }));
    this.#writing = write.catch(() => {});
    return write;
  }
}

const key = (env: string, id: string) => `${env}/${id}`;
