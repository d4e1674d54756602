/**
 * `envsnap serve`: the state database, the HTTP application, the listening socket (plain HTTP on
 * loopback by default, TLS when given a certificate) and the scheduler loop of the project's
 * automatic snapshots, each scheduled run an activity. `stop()` stops taking requests, lets the
 * scheduler and running activities finish their clean-up, and closes the state.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { DatabaseSync } from 'node:sqlite';
import type { ServerType } from '@hono/node-server';
import type { ProjectConfig } from '../config/project-config.ts';
import type { Clock } from '../core/clock.ts';
import { EnvsnapError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { RepoRef } from '../app/context.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { projectRuns } from '../scheduler/schedules.ts';
import { Activities } from './activities.ts';
import { AuditLog } from './audit.ts';
import { Operations } from './operations.ts';
import { SessionStore } from './sessions.ts';
import { openRunHistory } from '../state/run-history-store.ts';
import { openStateDb, stateFileFor } from '../state/state-db.ts';
import { UserStore } from './users.ts';

export interface ServerOptions {
  project: ProjectConfig;
  repo: RepoRef;
  clock: Clock;
  logger: Logger;
  /** host:port; default 127.0.0.1:7420. Port 0 picks a free one. */
  listen?: string;
  tls?: { certFile: string; keyFile: string };
  /** The state database file; default .envsnap/state/server.db beside envsnap.yaml. */
  stateFile?: string;
  /** Run the project's schedules (default true). */
  scheduler?: boolean;
}

export interface RunningServer {
  url: string;
  activities: Activities;
  users: UserStore;
  stop(): Promise<void>;
}

export const DEFAULT_LISTEN = '127.0.0.1:7420';

/** The stores of a state database, for the server and the CLI's user commands. */
export function openState(file: string, clock: Clock): { db: DatabaseSync; users: UserStore; sessions: SessionStore; audit: AuditLog; activities: Activities } {
  const db = openStateDb(file);
  return { db, users: new UserStore(db, clock), sessions: new SessionStore(db, clock), audit: new AuditLog(db, clock), activities: new Activities(db, clock) };
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new EnvsnapError('INVALID_ARGUMENT', `--listen ${listen} is not HOST:PORT: use e.g. 127.0.0.1:7420`);
  return { host: (m[1] ?? m[2])!, port };
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const { host, port } = parseListen(o.listen ?? DEFAULT_LISTEN);
  if (!isLoopback(host) && !o.tls) {
    throw new EnvsnapError('INVALID_ARGUMENT', `refusing to serve on ${host} without TLS: give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy`);
  }
  const state = openState(o.stateFile ?? stateFileFor(o.project.file), o.clock);
  const recovered = state.activities.recoverInterrupted();
  if (recovered) o.logger.warn(`${recovered} activit${recovered === 1 ? 'y was' : 'ies were'} interrupted by the last shutdown: marked failed`);
  if (state.users.countAdmins() === 0) o.logger.warn('no admin user yet: create one with "envsnap user:add NAME --role admin"');
  const history = await openRunHistory(state.db, o.project.file);
  const ops = new Operations({ project: o.project, history, repo: o.repo, clock: o.clock, activities: state.activities, logger: o.logger });
  // The HTTP stack is loaded only to serve: the CLI's user commands share this module (openState).
  const [{ serve }, { createApp }] = await Promise.all([import('@hono/node-server'), import('./app.ts')]);
  const app = createApp({ ...state, ops, logger: o.logger, secureCookies: o.tls !== undefined });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        ...(o.tls ? { createServer: createHttpsServer, serverOptions: { cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) } } : {}),
      },
      () => resolve(s),
    );
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(new EnvsnapError('IO', err.code === 'EADDRINUSE' ? `${host}:${port} is in use: stop the other server or pick another --listen` : `cannot listen on ${host}:${port}: ${err.message}`)),
    );
  });
  const addr = server.address() as AddressInfo;
  const url = `${o.tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;

  // The scheduler of the project's automatic snapshots; started again with the new runs when a
  // schedule is changed through the API (a run in progress finishes first).
  let scheduler: Scheduler | undefined;
  let schedulerDone: Promise<void> | undefined;
  let stopping = false;
  const startScheduler = (project: ProjectConfig) => {
    const runs = projectRuns(project);
    if (o.scheduler === false || runs.length === 0 || stopping) return;
    const s = new Scheduler({
      clock: o.clock,
      logger: o.logger,
      history,
      runs,
      runSnapshot: (run) => ops.runScheduled(run),
      expire: (env) => ops.runScheduledExpire(env),
    });
    scheduler = s;
    schedulerDone = s.run().catch((err: unknown) => o.logger.warn(`the scheduler stopped: ${(err as Error).message}`));
  };
  let restarting: Promise<void> = Promise.resolve();
  ops.onProjectChanged((project) => {
    restarting = restarting.then(async () => {
      const old = scheduler;
      scheduler = undefined;
      await old?.stop();
      await schedulerDone;
      startScheduler(project);
    });
  });
  startScheduler(o.project);

  return {
    url,
    activities: state.activities,
    users: state.users,
    async stop() {
      stopping = true;
      await restarting;
      const schedulerStopped = scheduler?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      // Running activities are cancelled: their own clean-up (maintenance mode off, locks) runs before we return.
      const open = state.activities.list({ states: ['pending', 'in_progress'], limit: 1000 });
      for (const a of open) state.activities.cancel(a.id, 'server shutdown');
      await Promise.all(open.map((a) => state.activities.settled(a.id)));
      await schedulerStopped;
      await schedulerDone;
      await ops.close();
      state.db.close();
    },
  };
}
