/**
 * A server for API tests without sockets: a temporary project (two file-only environments, each
 * with a mount holding a few files), a new repository, the state database, users of every role with
 * API tokens, and the Hono app itself, called with `app.request()`. Every response is checked
 * against docs/openapi.yaml. Test-only.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProjectConfig, type ProjectConfig } from '../config/project-config.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { MemoryLogger } from '../core/logger.ts';
import { initRepository } from '../app/open-repository.ts';
import type { RepoRef } from '../app/context.ts';
import { createApp } from '../server/app.ts';
import { Operations } from '../server/operations.ts';
import { openState } from '../server/server.ts';
import { openRunHistory } from '../state/run-history-store.ts';
import { ActivityHold } from './activity-hold.ts';
import { OpenApiValidator } from './openapi.ts';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  /** The body's bytes when it is not JSON (an export download). */
  bytes?: Buffer;
}

export interface RequestOptions {
  token?: string;
  cookie?: string;
  csrf?: string;
  body?: unknown;
  /** A raw body (sent as is, with a JSON content type). */
  raw?: string;
}

export interface ServerFixture {
  dir: string;
  project: ProjectConfig;
  repo: RepoRef;
  state: ReturnType<typeof openState>;
  ops: Operations;
  logger: MemoryLogger;
  /** Tokens by user name. */
  tokens: Record<string, string>;
  /** Holds the snapshots of the environment named by the `hold` option taken in maintenance mode (not live); released by dispose(). */
  hold?: ActivityHold;
  request<T = any>(method: string, path: string, o?: RequestOptions): Promise<ApiResponse<T>>;
  /** Waits until the activity has finished; returns it. */
  settle(activityId: string): Promise<any>;
  dispose(): Promise<void>;
}

export const FIXTURE_ENVS = ['production', 'staging'] as const;
export type FixtureEnv = (typeof FIXTURE_ENVS)[number];

/** Users: admin (all), one contributor and one viewer per environment, an admin limited to staging. */
export const FIXTURE_USERS = [
  { name: 'admin', role: 'admin', environments: [] },
  { name: 'contrib-prod', role: 'contributor', environments: ['production'] },
  { name: 'viewer-prod', role: 'viewer', environments: ['production'] },
  { name: 'admin-staging', role: 'admin', environments: ['staging'] },
] as const;

/**
 * `automatic`: both environments take automatic snapshots (their starter plan does not), so
 * schedules can be set on them. `hold`: that environment's maintenance on-command holds each
 * snapshot taken in maintenance mode until `hold.release()` (see activity-hold.ts).
 */
export async function serverFixture(opts: { clock?: Clock; passwords?: boolean; automatic?: boolean; hold?: FixtureEnv } = {}): Promise<ServerFixture> {
  const clock = opts.clock ?? systemClock;
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-server-'));
  const hold = opts.hold ? new ActivityHold(join(dir, opts.hold)) : undefined;
  for (const env of FIXTURE_ENVS) {
    await mkdir(join(dir, env, 'var'), { recursive: true });
    await writeFile(join(dir, env, 'var', 'data.txt'), `${env} data\n`);
  }
  await writeFile(
    join(dir, 'envsnap.yaml'),
    [
      'project: shop',
      'repository: repo',
      'environments:',
      ...FIXTURE_ENVS.flatMap((env) => [`  ${env}:`, `    type: ${env === 'production' ? 'integration' : 'staging'}`, '    plan: starter', ...(opts.automatic ? ['    policy: { automatic: { enabled: true } }'] : []), `    root: ${env}`, '    mounts: [var]', ...(hold && env === opts.hold ? [`    ${hold.yaml}`] : [])]),
      '',
    ].join('\n'),
  );
  const project = await loadProjectConfig({ file: join(dir, 'envsnap.yaml'), cwd: dir });
  const repo: RepoRef = { location: join(dir, 'repo'), password: 'fixture password' };
  const logger = new MemoryLogger();
  await (await initRepository({ clock, logger, progress: { update() {}, done() {} } }, repo)).close();
  const state = openState(join(dir, 'state.db'), clock);
  const tokens: Record<string, string> = {};
  for (const u of FIXTURE_USERS) {
    await state.users.add({ name: u.name, role: u.role, environments: u.environments, password: opts.passwords ? `${u.name}-password` : undefined });
    tokens[u.name] = state.users.createToken(u.name).token;
  }
  const ops = new Operations({ project, history: await openRunHistory(state.db), repo, clock, activities: state.activities, logger });
  const app = createApp({ ...state, ops, logger });
  const api = new OpenApiValidator();

  return {
    dir,
    project,
    repo,
    state,
    ops,
    logger,
    tokens,
    ...(hold ? { hold } : {}),
    async request(method, path, o = {}) {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.cookie) headers.cookie = o.cookie;
      if (o.csrf) headers['x-csrf-token'] = o.csrf;
      const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await app.request(`/api/v1${path}`, { method, headers, body });
      const type = res.headers.get('content-type');
      const isJson = type?.startsWith('application/json') === true;
      const text = isJson ? await res.text() : undefined;
      const bytes = isJson ? undefined : Buffer.from(await res.arrayBuffer());
      const json = text ? JSON.parse(text) : undefined;
      const problems = api.check(method, path.split('?')[0]!, res.status, res.status === 204 ? null : type, json);
      if (problems.length) throw new Error(`response does not match docs/openapi.yaml:\n${problems.join('\n')}\n${text ?? ''}`);
      return { status: res.status, body: json, headers: res.headers, bytes };
    },
    async settle(id) {
      return state.activities.settled(id);
    },
    async dispose() {
      await hold?.release();
      await ops.close();
      state.db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
