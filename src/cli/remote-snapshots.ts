/**
 * snapshot:create / list / restore / delete through a server (--server URL): each mutating command
 * starts an activity, prints its id, and (unless --no-wait) follows it to "Activity ID succeeded" or
 * "failed"; --wait queues it behind an activity already running on the environment instead of being
 * refused.
 */
import { EnvsnapError } from '../core/errors.ts';
import type { SnapshotRow } from '../server/api-types.ts';
import { printJson, printLine } from './render.ts';
import type { ServerClient } from './server-client.ts';
import type { Session } from './session.ts';

export interface RemoteRunOptions {
  /** true: queue behind a running activity; false: return at once; undefined: refuse when busy, then wait. */
  wait?: boolean;
}

function envOf(s: Session): string {
  const env = s.globals.env;
  if (!env) throw new EnvsnapError('INVALID_ARGUMENT', 'with --server, name the environment with -e ENV');
  return encodeURIComponent(env);
}

async function follow(s: Session, c: ServerClient, started: { activityId: string }, o: RemoteRunOptions): Promise<void> {
  if (o.wait === false) {
    if (s.out.json) return printJson({ activityId: started.activityId });
    printLine(`Activity ${started.activityId} started: follow it with envsnap activity:log ${started.activityId}`);
    return;
  }
  if (!s.out.json && !s.out.quiet) printLine(`Activity ${started.activityId} started`);
  const a = await c.waitFor(s, started.activityId);
  if (s.out.json) printJson({ activityId: a.id, state: a.state, ...a.result });
}

export async function remoteCreate(s: Session, c: ServerClient, body: Record<string, unknown>, o: RemoteRunOptions): Promise<void> {
  const started = await c.request<{ activityId: string }>('POST', `/environments/${envOf(s)}/snapshots`, { ...body, ...(o.wait ? { wait: true } : {}) });
  await follow(s, c, started, o);
}

export async function remoteRestore(s: Session, c: ServerClient, id: string, body: Record<string, unknown>, o: RemoteRunOptions): Promise<void> {
  const started = await c.request<{ activityId: string }>('POST', `/environments/${envOf(s)}/snapshots/${encodeURIComponent(id)}/restore`, { ...body, ...(o.wait ? { wait: true } : {}) });
  await follow(s, c, started, o);
}

export async function remoteDelete(s: Session, c: ServerClient, ids: string[], o: RemoteRunOptions): Promise<void> {
  for (const id of ids) {
    const started = await c.request<{ activityId: string }>('DELETE', `/environments/${envOf(s)}/snapshots/${encodeURIComponent(id)}`, o.wait ? { wait: true } : undefined);
    await follow(s, c, started, o);
  }
}

export async function remoteList(s: Session, c: ServerClient): Promise<SnapshotRow[]> {
  return c.request<SnapshotRow[]>('GET', `/environments/${envOf(s)}/snapshots`);
}
