/**
 * Run history: what the scheduler did for each environment + schedule id, kept in a small JSON file
 * beside envsnap.yaml (`.envsnap/state/schedules.json`), so a restarted scheduler knows which run it
 * missed and `schedule:list` can show the last result. Every write replaces the whole file (temp
 * file + rename), so a crash leaves the old or the new history, never half of one. One scheduler
 * process per configuration writes it; readers (schedule:list) only read.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EnvsnapError, errnoCode } from '../core/errors.ts';

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

export const HISTORY_VERSION = 1;

/** `.envsnap/state/schedules.json` in the directory of the configuration file. */
export function historyFileFor(configFile: string): string {
  return join(dirname(configFile), '.envsnap', 'state', 'schedules.json');
}

export class RunHistory {
  readonly file: string | undefined;
  #runs = new Map<string, RunRecord>();
  /** Writes in order, one at a time. */
  #writing: Promise<void> = Promise.resolve();

  /** `file` undefined: in memory only (tests). */
  private constructor(file: string | undefined) {
    this.file = file;
  }

  static memory(): RunHistory {
    return new RunHistory(undefined);
  }

  /** The history in `file`; empty when the file does not exist yet. */
  static async load(file: string): Promise<RunHistory> {
    const h = new RunHistory(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return h;
      throw new EnvsnapError('IO', `cannot read the schedule history ${file} (${errnoCode(err) ?? (err as Error).message}): fix its permissions`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new EnvsnapError('CONFIG', `the schedule history ${file} is not valid JSON: delete it (the scheduler starts a fresh one; missed runs before now are not made up)`);
    }
    const runs = (data as { runs?: unknown })?.runs;
    if (runs && typeof runs === 'object') for (const [k, v] of Object.entries(runs)) if (v && typeof v === 'object') h.#runs.set(k, { ...(v as RunRecord) });
    return h;
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

  /** Merges `patch` into the record (a key set to undefined is removed) and writes the file. */
  update(env: string, id: string, patch: Partial<Record<keyof RunRecord, unknown>>): Promise<void> {
    const next: Record<string, unknown> = { ...this.#runs.get(key(env, id)) };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    this.#runs.set(key(env, id), next as RunRecord);
    const write = this.#writing.then(() => this.#write());
    this.#writing = write.catch(() => {});
    return write;
  }

  async #write(): Promise<void> {
    if (this.file === undefined) return;
    const text = `${JSON.stringify({ version: HISTORY_VERSION, runs: Object.fromEntries(this.#runs) }, null, 2)}\n`;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(tmp, text);
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new EnvsnapError('IO', `cannot write the schedule history ${this.file} (${errnoCode(err) ?? (err as Error).message}): check the directory is writable`);
    }
  }
}

const key = (env: string, id: string) => `${env}/${id}`;
