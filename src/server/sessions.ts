/**
 * Console sessions and login throttling. A session id is 256 random bits sent as an HttpOnly,
 * SameSite=Strict cookie and stored only as its SHA-256; each session has its own CSRF token that the
 * console echoes in the X-CSRF-Token header of every state-changing request. Failed logins are
 * counted per user name and per client address: past the limit within the window, logins are refused
 * (429) until old failures age out, whether or not the password is right.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../core/clock.ts';

export const SESSION_TTL_MS = 12 * 3600_000;
export const LOGIN_WINDOW_MS = 15 * 60_000;
export const LOGIN_MAX_FAILURES = 5;

export interface SessionView {
  user: string;
  csrf: string;
  expiresAt: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class SessionStore {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;

  constructor(db: DatabaseSync, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  create(user: string): { id: string } & SessionView {
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = this.#clock.now();
    this.#db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
    this.#db.prepare('INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(sha256(id), user, csrf, now, now + SESSION_TTL_MS);
    return { id, user, csrf, expiresAt: now + SESSION_TTL_MS };
  }

  /** The live session with this id, or undefined (unknown or expired). */
  get(id: string): SessionView | undefined {
    const row = this.#db.prepare('SELECT user_name, csrf, expires_at FROM sessions WHERE id_hash = ?').get(sha256(id)) as { user_name: string; csrf: string; expires_at: number } | undefined;
    if (!row || row.expires_at <= this.#clock.now()) return undefined;
    return { user: row.user_name, csrf: row.csrf, expiresAt: row.expires_at };
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256(id));
  }

  /** Whether logins for `keys` (user name, client address) are refused now. */
  throttled(keys: readonly string[]): boolean {
    const since = this.#clock.now() - LOGIN_WINDOW_MS;
    const q = this.#db.prepare('SELECT count(*) AS n FROM login_failures WHERE key = ? AND at > ?');
    return keys.some((k) => Number((q.get(k, since) as { n: number }).n) >= LOGIN_MAX_FAILURES);
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.#clock.now();
    this.#db.prepare('DELETE FROM login_failures WHERE at <= ?').run(now - LOGIN_WINDOW_MS);
    const ins = this.#db.prepare('INSERT INTO login_failures (key, at) VALUES (?, ?)');
    for (const k of keys) ins.run(k, now);
  }

  clearFailures(keys: readonly string[]): void {
    const del = this.#db.prepare('DELETE FROM login_failures WHERE key = ?');
    for (const k of keys) del.run(k);
  }
}
