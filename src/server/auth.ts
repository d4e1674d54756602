/**
 * Who is calling: a bearer token (`Authorization: Bearer esn_…`, for scripts and the CLI) or a
 * console session cookie. Cookie-authenticated requests that change state must carry the session's
 * CSRF token in `X-CSRF-Token`; bearer requests need none (a browser never adds that header by
 * itself). `need()` is the one place routes check a permission; a refusal is audited.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { timingSafeEqual } from 'node:crypto';
import { EnvsnapError } from '../core/errors.ts';
import type { AuditLog } from './audit.ts';
import { can, type Permission, type Principal } from './rbac.ts';
import type { SessionStore, SessionView } from './sessions.ts';
import type { UserStore } from './users.ts';

export const SESSION_COOKIE = 'envsnap_session';

export type AuthEnv = {
  Variables: {
    principal: Principal;
    session?: SessionView;
    sessionId?: string;
  };
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function authenticate(users: UserStore, sessions: SessionStore): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const who = m ? users.checkToken(m[1]!) : undefined;
      if (!who) throw new EnvsnapError('UNAUTHENTICATED', 'the API token is not valid (revoked, mistyped or for another server): create one with envsnap token:create');
      c.set('principal', who);
      return next();
    }
    const sid = getCookie(c, SESSION_COOKIE);
    const session = sid ? sessions.get(sid) : undefined;
    const who = session ? users.get(session.user) : undefined;
    if (!session || !who || !sid) {
      throw new EnvsnapError('UNAUTHENTICATED', sid ? 'the session has expired: log in again' : 'authentication required: log in, or send Authorization: Bearer TOKEN');
    }
    if (!SAFE_METHODS.has(c.req.method) && !sameToken(c.req.header('x-csrf-token'), session.csrf)) {
      throw new EnvsnapError('FORBIDDEN', 'missing or wrong CSRF token: reload the console and try again');
    }
    c.set('principal', who);
    c.set('session', session);
    c.set('sessionId', sid);
    return next();
  };
}

function sameToken(given: string | undefined, want: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws FORBIDDEN (and audits the refusal) unless the caller may do `perm` on `env`. */
export function need(c: Context<AuthEnv>, audit: AuditLog, perm: Permission, env?: string, action: string = perm): Principal {
  const who = c.get('principal');
  if (can(who, perm, env)) return who;
  audit.record({ user: who.name, action, environment: env, outcome: 'denied', detail: `role ${who.role} lacks ${perm}` });
  // A user who may not even view an environment is told nothing more than that it is not theirs.
  const what = perm === 'rollback' ? 'restore (rollback)' : perm;
  throw new EnvsnapError('FORBIDDEN', `${who.name} (${who.role}) may not ${what}${env ? ` on ${env}` : ''}: ask an admin for a role that allows it`);
}
