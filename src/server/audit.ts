/**
 * The audit log: every action taken through the server (and user management from the CLI), with
 * who, when, on what, and whether it was allowed and succeeded. Append-only; never holds secrets.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../core/clock.ts';

export type AuditOutcome = 'ok' | 'denied' | 'failed' | 'accepted';

export interface AuditEntry {
  seq: number;
  at: number;
  user: string | null;
  action: string;
  environment: string | null;
  target: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

export class AuditLog {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;

  constructor(db: DatabaseSync, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  record(e: { user?: string; action: string; environment?: string; target?: string; outcome: AuditOutcome; detail?: string }): void {
    this.#db
      .prepare('INSERT INTO audit (at, user_name, action, environment, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.#clock.now(), e.user ?? null, e.action, e.environment ?? null, e.target ?? null, e.outcome, e.detail ?? null);
  }

  /** The newest entries first. */
  list(opts: { limit?: number; environment?: string } = {}): AuditEntry[] {
    const rows = (
      opts.environment === undefined
        ? this.#db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT ?').all(opts.limit ?? 100)
        : this.#db.prepare('SELECT * FROM audit WHERE environment = ? ORDER BY seq DESC LIMIT ?').all(opts.environment, opts.limit ?? 100)
    ) as unknown as { seq: number; at: number; user_name: string | null; action: string; environment: string | null; target: string | null; outcome: AuditOutcome; detail: string | null }[];
    return rows.map((r) => ({ seq: r.seq, at: r.at, user: r.user_name, action: r.action, environment: r.environment, target: r.target, outcome: r.outcome, detail: r.detail }));
  }
}
