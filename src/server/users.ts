/**
 * Users of the server and their API tokens, in the state database. Passwords are scrypt hashes; an
 * API token (`esn_<id>_<secret>`) is shown once at creation and stored as the SHA-256 of its secret —
 * the secret has 256 random bits, so a fast hash is enough and lookups stay cheap on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../core/clock.ts';
import { EnvsnapError } from '../core/errors.ts';
import type { UserView } from './api-types.ts';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.ts';
import { isRole, ROLES, type Principal, type Role } from './rbac.ts';

interface UserRow {
  name: string;
  password_hash: string | null;
  role: string;
  environments: string;
  created_at: number;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class UserStore {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;

  constructor(db: DatabaseSync, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Adds a user; `password` undefined leaves it token-only. Rejects an existing name. */
  async add(input: { name: string; role: string; environments?: readonly string[]; password?: string }): Promise<Principal> {
    if (!USER_NAME.test(input.name)) throw new EnvsnapError('INVALID_ARGUMENT', `user name "${input.name}" is not valid: use letters, digits, ".", "_", "-" or "@" (at most 64)`);
    const role = checkRole(input.role);
    if (this.#row(input.name)) throw new EnvsnapError('INVALID_ARGUMENT', `user ${input.name} exists already: change it with user:passwd, or remove it first`);
    const hash = input.password === undefined ? null : await hashPassword(checkPassword(input.password));
    const environments = [...new Set(input.environments ?? [])];
    this.#db
      .prepare('INSERT INTO users (name, password_hash, role, environments, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(input.name, hash, role, JSON.stringify(environments), this.#clock.now());
    return { name: input.name, role, environments };
  }

  get(name: string): Principal | undefined {
    const row = this.#row(name);
    return row ? toPrincipal(row) : undefined;
  }

  list(): UserView[] {
    const rows = this.#db.prepare('SELECT u.*, (SELECT count(*) FROM tokens t WHERE t.user_name = u.name) AS tokens FROM users u ORDER BY name').all() as unknown as (UserRow & { tokens: number })[];
    return rows.map((r) => ({ ...toPrincipal(r), createdAt: r.created_at, hasPassword: r.password_hash !== null, tokens: r.tokens }));
  }

  countAdmins(): number {
    return Number((this.#db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin' AND environments = '[]'").get() as { n: number }).n);
  }

  /** Removes a user with its tokens and sessions. The last project-wide admin cannot be removed. */
  remove(name: string): void {
    const user = this.#require(name);
    if (user.role === 'admin' && user.environments.length === 0 && this.countAdmins() === 1) {
      throw new EnvsnapError('INVALID_ARGUMENT', `${name} is the last admin: add another admin before removing it`);
    }
    this.#db.prepare('DELETE FROM users WHERE name = ?').run(name);
  }

  async setPassword(name: string, password: string): Promise<void> {
    this.#require(name);
    const hash = await hashPassword(checkPassword(password));
    this.#db.prepare('UPDATE users SET password_hash = ? WHERE name = ?').run(hash, name);
    // A new password ends every session of the old one.
    this.#db.prepare('DELETE FROM sessions WHERE user_name = ?').run(name);
  }

  setRole(name: string, role: string, environments: readonly string[]): Principal {
    const before = this.#require(name);
    const r = checkRole(role);
    if (before.role === 'admin' && before.environments.length === 0 && (r !== 'admin' || environments.length > 0) && this.countAdmins() === 1) {
      throw new EnvsnapError('INVALID_ARGUMENT', `${name} is the last admin: add another admin before changing its role`);
    }
    this.#db.prepare('UPDATE users SET role = ?, environments = ? WHERE name = ?').run(r, JSON.stringify([...new Set(environments)]), name);
    return { name, role: r, environments };
  }

  /** The user when `password` is theirs; undefined otherwise (same cost whether or not the user exists). */
  async checkPassword(name: string, password: string): Promise<Principal | undefined> {
    const row = this.#row(name);
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    return ok && row ? toPrincipal(row) : undefined;
  }

  /** A new API token for `name`; the returned string is the only copy of the secret. */
  createToken(name: string, label?: string): { id: string; token: string } {
    this.#require(name);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    this.#db.prepare('INSERT INTO tokens (id, user_name, secret_hash, label, created_at) VALUES (?, ?, ?, ?, ?)').run(id, name, sha256(secret), label ?? null, this.#clock.now());
    return { id, token: `esn_${id}_${secret}` };
  }

  /** The user a bearer token belongs to, or undefined for an unknown, malformed or revoked token. */
  checkToken(token: string): Principal | undefined {
    const m = /^esn_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return undefined;
    const row = this.#db.prepare('SELECT user_name, secret_hash FROM tokens WHERE id = ?').get(m[1]!) as { user_name: string; secret_hash: string } | undefined;
    if (!row) return undefined;
    const a = Buffer.from(row.secret_hash, 'hex');
    const b = Buffer.from(sha256(m[2]!), 'hex');
    if (!timingSafeEqual(a, b)) return undefined;
    // Recorded at most once a minute per token: a busy script must not turn every read into a write.
    const now = this.#clock.now();
    this.#db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(now, m[1]!, now - 60_000);
    return this.get(row.user_name);
  }

  revokeTokens(name: string): number {
    return Number(this.#db.prepare('DELETE FROM tokens WHERE user_name = ?').run(name).changes);
  }

  #row(name: string): UserRow | undefined {
    return this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
  }

  #require(name: string): Principal {
    const u = this.get(name);
    if (!u) throw new EnvsnapError('NOT_FOUND', `no user named ${name}: see envsnap user:list`);
    return u;
  }
}

/** Refuses environment names a role would be limited to that the project does not have (the CLI's and the API's user:add). */
export function checkEnvironmentNames(given: readonly string[], all: readonly string[]): void {
  const unknown = given.filter((e) => !all.includes(e));
  if (unknown.length) throw new EnvsnapError('INVALID_ARGUMENT', `unknown environment(s) ${unknown.join(', ')}: the project has ${all.join(', ')}`);
}

function toPrincipal(row: UserRow): Principal {
  return { name: row.name, role: row.role as Role, environments: JSON.parse(row.environments) as string[] };
}

function checkRole(role: string): Role {
  if (!isRole(role)) throw new EnvsnapError('INVALID_ARGUMENT', `unknown role "${role}": choose one of ${ROLES.join(', ')}`);
  return role;
}

function checkPassword(password: string): string {
  if (password.length < 8) throw new EnvsnapError('INVALID_ARGUMENT', 'the password is too short: use at least 8 characters');
  return password;
}
