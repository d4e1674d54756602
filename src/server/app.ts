/**
 * The HTTP application: the JSON API under /api/v1 (documented in docs/openapi.yaml) and the console
 * on the same origin. Built on Hono so it can be tested without sockets (`app.request()`), and
 * served by serve.ts. Every route authenticates (auth.ts), checks its permission with `need()` on
 * the server, validates its body with zod, and audits what it changed.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, setCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import { PassThrough } from 'node:stream';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { EnvsnapError, isEnvsnapError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { RESTORE_PARTS } from '../app/restore-parts.ts';
import { ENVIRONMENT_BACKUP_TYPES } from '../policy/backup-types.ts';
import type { Activities } from './activities.ts';
import type { Activity, ActivityRecord, EnvironmentView, Me, Permission as WirePermission, Principal as WirePrincipal, Role as WireRole } from './api-types.ts';
import type { AuditLog } from './audit.ts';
import { authenticate, need, SESSION_COOKIE, type AuthEnv } from './auth.ts';
import { serveConsole } from './console-assets.ts';
import { httpStatusFor } from './errors.ts';
import type { Operations } from './operations.ts';
import { can, PERMISSIONS, ROLES, visibleEnvironments, type Permission, type Principal, type Role } from './rbac.ts';
import { SESSION_TTL_MS, type SessionStore } from './sessions.ts';
import { checkEnvironmentNames, type UserStore } from './users.ts';

export interface ServerDeps {
  users: UserStore;
  sessions: SessionStore;
  audit: AuditLog;
  activities: Activities;
  ops: Operations;
  logger: Logger;
  /** Cookies get the Secure flag (served over TLS). */
  secureCookies?: boolean;
}

// The API sends these server types as they are; the console's copies in api-types.ts (which must
// stand alone) may not drift from them: a difference is a compile error here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
type WireTypesMatch = [Check<Same<Role, WireRole>>, Check<Same<Permission, WirePermission>>, Check<Same<Principal, WirePrincipal>>];

/** Request bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;

const CreateBody = z.strictObject({
  live: z.boolean().optional(),
  type: z.enum(ENVIRONMENT_BACKUP_TYPES).optional(),
  excludeMedia: z.boolean().optional(),
  skipCache: z.boolean().optional(),
  wait: z.boolean().optional(),
});
const RestoreBody = z.strictObject({
  target: z.string().min(1).optional(),
  only: z.array(z.enum(RESTORE_PARTS as unknown as [string, ...string[]])).optional(),
  include: z.array(z.string().min(1)).optional(),
  noMaintenance: z.boolean().optional(),
  wait: z.boolean().optional(),
});
const LoginBody = z.strictObject({ user: z.string().min(1).max(64), password: z.string().min(1).max(1024) });
const UserBody = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  environments: z.array(z.string().min(1)).optional(),
  password: z.string().min(8).max(1024).optional(),
});
const UserPatch = z.strictObject({ role: z.enum(ROLES), environments: z.array(z.string().min(1)).optional() });
const ExpireBody = z.strictObject({ dryRun: z.boolean().optional() });
/** A change of the environment's policy: envsnap.yaml's keys, null to remove one; the whole file is validated before it is written. */
const PolicyBody = z.strictObject({
  manual: z.record(z.string(), z.unknown()).nullable().optional(),
  automatic: z.record(z.string(), z.unknown()).nullable().optional(),
  keep_tags: z.array(z.string()).nullable().optional(),
});
const ScheduleBody = z.strictObject({
  schedule: z.record(z.string(), z.unknown()),
  live: z.boolean().optional(),
  type: z.enum(ENVIRONMENT_BACKUP_TYPES).optional(),
  excludeMedia: z.boolean().optional(),
});
const WaitBody = z.strictObject({ wait: z.boolean().optional() });

export function createApp(d: ServerDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const envNames = () => [...d.ops.project.environments.keys()];

  app.onError((err, c) => {
    if (isEnvsnapError(err)) return c.json({ error: { code: err.code, message: err.message.split('\n')[0] } }, httpStatusFor(err.code));
    d.logger.warn(`internal error on ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return c.json({ error: { code: 'INTERNAL', message: 'internal server error: see the server log' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no such endpoint: ${c.req.method} ${c.req.path}` } }, 404));

  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    if (c.req.path.startsWith('/api/')) c.header('Cache-Control', 'no-store');
  });
  app.use(
    '/api/*',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: { code: 'TOO_LARGE', message: `request body over ${MAX_BODY_BYTES} bytes` } }, 413) }),
  );

  // --- sessions (no authentication before login) ---
  app.post('/api/v1/login', async (c) => {
    const body = await readBody(c, LoginBody);
    const keys = [`user:${body.user}`, `addr:${clientAddress(c)}`];
    if (d.sessions.throttled(keys)) {
      d.audit.record({ user: body.user, action: 'login', outcome: 'denied', detail: 'rate limited' });
      throw new EnvsnapError('RATE_LIMITED', 'too many failed logins: wait 15 minutes and try again');
    }
    const who = await d.users.checkPassword(body.user, body.password);
    if (!who) {
      d.sessions.recordFailure(keys);
      d.audit.record({ user: body.user, action: 'login', outcome: 'denied', detail: 'wrong user name or password' });
      throw new EnvsnapError('UNAUTHENTICATED', 'wrong user name or password');
    }
    d.sessions.clearFailures(keys);
    const s = d.sessions.create(who.name);
    setCookie(c, SESSION_COOKIE, s.id, { httpOnly: true, sameSite: 'Strict', path: '/', secure: d.secureCookies === true, maxAge: SESSION_TTL_MS / 1000 });
    d.audit.record({ user: who.name, action: 'login', outcome: 'ok' });
    return c.json(me(who, envNames(), s.csrf));
  });

  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(d.users, d.sessions));

  api.post('/logout', (c) => {
    const sid = c.get('sessionId');
    if (sid) d.sessions.delete(sid);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    d.audit.record({ user: c.get('principal').name, action: 'logout', outcome: 'ok' });
    return c.body(null, 204);
  });

  api.get('/me', (c) => c.json(me(c.get('principal'), envNames(), c.get('session')?.csrf)));

  // --- environments and snapshots ---
  api.get('/environments', async (c) => {
    const who = c.get('principal');
    return c.json((await d.ops.environments(visibleEnvironments(who, envNames()))).map((v) => environmentFor(who, v)));
  });

  api.get('/environments/:env', async (c) => {
    const env = envParam(c, d);
    const who = need(c, d.audit, 'view', env);
    return c.json(environmentFor(who, (await d.ops.environments([env]))[0]!));
  });

  api.get('/environments/:env/snapshots', async (c) => {
    const env = envParam(c, d);
    need(c, d.audit, 'view', env);
    return c.json(await d.ops.snapshots(env));
  });

  api.post('/environments/:env/snapshots', async (c) => {
    const env = envParam(c, d);
    const who = need(c, d.audit, 'backup', env, 'snapshot.create');
    const body = await readBody(c, CreateBody, true);
    return accepted(c, d, who, 'snapshot.create', env, undefined, () => d.ops.startCreate(env, who.name, body));
  });

  api.get('/environments/:env/snapshots/:id', async (c) => {
    const env = envParam(c, d);
    need(c, d.audit, 'view', env);
    return c.json(await d.ops.snapshot(env, c.req.param('id')));
  });

  api.post('/environments/:env/snapshots/:id/restore', async (c) => {
    const env = envParam(c, d);
    const body = await readBody(c, RestoreBody, true);
    const target = body.target ?? env;
    need(c, d.audit, 'view', env, 'snapshot.restore');
    const who = need(c, d.audit, 'rollback', target, 'snapshot.restore');
    const id = c.req.param('id');
    return accepted(c, d, who, 'snapshot.restore', target, id, () => d.ops.startRestore(env, who.name, id, { ...body, only: body.only as never }));
  });

  api.delete('/environments/:env/snapshots/:id', async (c) => {
    const env = envParam(c, d);
    const who = need(c, d.audit, 'delete', env, 'snapshot.delete');
    const body = await readBody(c, WaitBody, true);
    const id = c.req.param('id');
    return accepted(c, d, who, 'snapshot.delete', env, id, () => d.ops.startDelete(env, who.name, id, body.wait));
  });

  for (const [method, pinned] of [['put', true], ['delete', false]] as const) {
    api[method]('/environments/:env/snapshots/:id/pin', async (c) => {
      const env = envParam(c, d);
      const who = need(c, d.audit, 'pin', env, pinned ? 'snapshot.pin' : 'snapshot.unpin');
      const id = c.req.param('id');
      const row = await audited(d, who, pinned ? 'snapshot.pin' : 'snapshot.unpin', env, id, () => d.ops.pin(env, id, pinned));
      return c.json(row);
    });
  }

  api.get('/environments/:env/snapshots/:id/export', async (c) => {
    const env = envParam(c, d);
    const who = need(c, d.audit, 'export', env, 'snapshot.export');
    const row = await d.ops.snapshot(env, c.req.param('id'));
    const out = new PassThrough();
    d.ops.exportTar(env, row.id, out).then(
      () => {
        out.end();
        d.audit.record({ user: who.name, action: 'snapshot.export', environment: env, target: row.id, outcome: 'ok' });
      },
      (err: unknown) => {
        d.audit.record({ user: who.name, action: 'snapshot.export', environment: env, target: row.id, outcome: 'failed', detail: errorLine(err) });
        out.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
    // The file name is built from checked values only (environment name, hex id): nothing from the request path.
    return new Response(Readable.toWeb(out) as ReadableStream, {
      headers: { 'content-type': 'application/gzip', 'content-disposition': `attachment; filename="${safeName(env)}-${row.shortId}.tar.gz"` },
    });
  });

  api.post('/environments/:env/expire', async (c) => {
    const env = envParam(c, d);
    const body = await readBody(c, ExpireBody, true);
    const who = need(c, d.audit, body.dryRun ? 'view' : 'policy', env, 'expire');
    return accepted(c, d, who, 'expire', env, undefined, () => d.ops.startExpire(env, who.name, body.dryRun === true));
  });

  // --- schedules and retention ---
  api.get('/environments/:env/schedules', (c) => {
    const env = envParam(c, d);
    need(c, d.audit, 'view', env);
    return c.json(d.ops.schedules(env));
  });

  api.put('/environments/:env/schedules/:id', async (c) => {
    const env = envParam(c, d);
    const who = need(c, d.audit, 'schedule', env, 'schedule.set');
    const body = await readBody(c, ScheduleBody);
    const id = c.req.param('id');
    return c.json(await audited(d, who, 'schedule.set', env, id, () => d.ops.setSchedule(env, { id, ...body })));
  });

  api.put('/environments/:env/policy', async (c) => {
    const env = envParam(c, d);
    const who = need(c, d.audit, 'policy', env, 'policy.set');
    const body = await readBody(c, PolicyBody);
    return c.json(await audited(d, who, 'policy.set', env, Object.keys(body).join(','), () => d.ops.setPolicy(env, body)));
  });

  api.delete('/environments/:env/schedules/:id', async (c) => {
    const env = envParam(c, d);
    const who = need(c, d.audit, 'schedule', env, 'schedule.remove');
    const id = c.req.param('id');
    return c.json(await audited(d, who, 'schedule.remove', env, id, () => d.ops.removeSchedule(env, id)));
  });

  // --- activities ---
  api.get('/activities', (c) => {
    const who = c.get('principal');
    const env = c.req.query('environment');
    if (env !== undefined) need(c, d.audit, 'view', env);
    const limit = Math.min(200, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
    return c.json(d.activities.list({ environments: env !== undefined ? [env] : visibleEnvironments(who, envNames()), limit }).map((a) => activityFor(who, a)));
  });

  api.get('/activities/:id', (c) => c.json(activityFor(c.get('principal'), visibleActivity(c, d))));

  api.get('/activities/:id/log', (c) => {
    const a = visibleActivity(c, d);
    const after = Math.max(0, Number(c.req.query('after') ?? 0) || 0);
    return c.json(d.activities.log(a.id, after));
  });

  api.post('/activities/:id/cancel', async (c) => {
    const a = visibleActivity(c, d);
    const who = need(c, d.audit, cancelPermission(a), a.environment, 'activity.cancel');
    const cancelled = d.activities.cancel(a.id, who.name);
    d.audit.record({ user: who.name, action: 'activity.cancel', environment: a.environment, target: a.id, outcome: cancelled ? 'ok' : 'failed', detail: cancelled ? undefined : `already ${a.state}` });
    if (!cancelled) throw new EnvsnapError('BUSY', `activity ${a.id} has already ${a.state === 'succeeded' ? 'succeeded' : a.state}: nothing to cancel`);
    return c.json(activityFor(who, d.activities.get(a.id)!), 202);
  });

  // --- users (admins of every environment) ---
  api.get('/users', (c) => {
    need(c, d.audit, 'users', undefined, 'user.list');
    return c.json(d.users.list());
  });
  api.post('/users', async (c) => {
    const who = need(c, d.audit, 'users', undefined, 'user.add');
    const body = await readBody(c, UserBody);
    checkEnvironmentNames(body.environments ?? [], envNames());
    const user = await audited(d, who, 'user.add', undefined, body.name, () => d.users.add(body));
    return c.json(user, 201);
  });
  api.patch('/users/:name', async (c) => {
    const who = need(c, d.audit, 'users', undefined, 'user.role');
    const body = await readBody(c, UserPatch);
    checkEnvironmentNames(body.environments ?? [], envNames());
    const name = c.req.param('name');
    return c.json(await audited(d, who, 'user.role', undefined, name, async () => d.users.setRole(name, body.role, body.environments ?? [])));
  });
  api.delete('/users/:name', async (c) => {
    const who = need(c, d.audit, 'users', undefined, 'user.remove');
    const name = c.req.param('name');
    await audited(d, who, 'user.remove', undefined, name, async () => d.users.remove(name));
    return c.body(null, 204);
  });
  api.get('/audit', (c) => {
    need(c, d.audit, 'users', undefined, 'audit.list');
    return c.json(d.audit.list({ limit: Math.min(500, Number(c.req.query('limit') ?? 100) || 100) }));
  });

  app.route('/api/v1', api);
  app.all('/api/*', (c) => c.json({ error: { code: 'NOT_FOUND', message: `no such endpoint: ${c.req.method} ${c.req.path}` } }, 404));
  serveConsole(app);
  return app;
}

function me(who: Principal, all: readonly string[], csrfToken?: string): Me {
  const permissions: Me['permissions'] = {};
  for (const env of visibleEnvironments(who, all)) permissions[env] = PERMISSIONS.filter((p) => can(who, p, env));
  return { name: who.name, role: who.role, environments: [...who.environments], permissions, canManageUsers: can(who, 'users'), ...(csrfToken ? { csrfToken } : {}) };
}

/** The :env parameter, which must name an environment of the project (404 otherwise, after authentication). */
function envParam(c: Context<AuthEnv>, d: ServerDeps): string {
  const env = c.req.param('env') ?? '';
  d.ops.environment(env);
  return env;
}

function visibleActivity(c: Context<AuthEnv>, d: ServerDeps): ActivityRecord {
  const id = c.req.param('id') ?? '';
  const a = /^[0-9a-f]{16}$/.test(id) ? d.activities.get(id) : undefined;
  // Another environment's activity is "not found" for a user who may not see it.
  if (!a || !can(c.get('principal'), 'view', a.environment)) throw new EnvsnapError('NOT_FOUND', `no activity ${id}: see GET /api/v1/activities`);
  return a;
}

/** `a` as the API answers it to `who`: with whether they may cancel it, as the cancel route decides. */
function activityFor(who: Principal, a: ActivityRecord): Activity {
  return { ...a, canCancel: (a.state === 'pending' || a.state === 'in_progress') && can(who, cancelPermission(a), a.environment) };
}

function environmentFor(who: Principal, v: EnvironmentView): EnvironmentView<Activity> {
  return { ...v, activity: v.activity && activityFor(who, v.activity) };
}

/** The permission a cancel of `a` needs: the one its kind is started with. */
function cancelPermission(a: ActivityRecord): Permission {
  switch (a.kind) {
    case 'restore':
      return 'rollback';
    case 'delete':
      return 'delete';
    case 'expire':
      return 'policy';
    default:
      return 'backup';
  }
}

async function readBody<T extends z.ZodType>(c: Context<AuthEnv>, schema: T, optional = false): Promise<z.infer<T>> {
  const text = await c.req.text();
  if (text.trim() === '' && optional) return schema.parse({});
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnvsnapError('INVALID_ARGUMENT', 'the request body is not valid JSON');
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'body';
    throw new EnvsnapError('INVALID_ARGUMENT', `invalid request: ${where}: ${issue.message}`);
  }
  return r.data;
}

/** Starts an activity and answers 202 {activityId}; refusals and failures to start are audited too. */
async function accepted(c: Context<AuthEnv>, d: ServerDeps, who: Principal, action: string, env: string, target: string | undefined, start: () => ActivityRecord | Promise<ActivityRecord>): Promise<Response> {
  const a = await audited(d, who, action, env, target, start, 'accepted');
  c.header('Location', `/api/v1/activities/${a.id}`);
  return c.json({ activityId: a.id, state: a.state }, 202);
}

async function audited<T>(d: ServerDeps, who: Principal, action: string, env: string | undefined, target: string | undefined, fn: () => T | Promise<T>, outcome: 'ok' | 'accepted' = 'ok'): Promise<T> {
  try {
    const r = await fn();
    const activity = (r as { id?: unknown; kind?: unknown } | undefined)?.kind !== undefined ? String((r as { id: unknown }).id) : undefined;
    d.audit.record({ user: who.name, action, environment: env, target, outcome, detail: activity ? `activity ${activity}` : undefined });
    return r;
  } catch (err) {
    d.audit.record({ user: who.name, action, environment: env, target, outcome: isEnvsnapError(err, 'FORBIDDEN') ? 'denied' : 'failed', detail: errorLine(err) });
    throw err;
  }
}

function clientAddress(c: Context<AuthEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local';
  }
}

const errorLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];
const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
