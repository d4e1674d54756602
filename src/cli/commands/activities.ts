/**
 * `envsnap activity:list|activity:log|activity:cancel`: the activities of a running server (--server
 * URL or $ENVSNAP_SERVER, token in $ENVSNAP_TOKEN).
 */
import type { Command } from 'commander';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import type { Activity, ActivityLogLine } from '../../server/api-types.ts';
import { printJson, printLine, printTable } from '../render.ts';
import type { ServerClient } from '../server-client.ts';
import { Session } from '../session.ts';

function client(s: Session): ServerClient {
  const c = s.server();
  if (!c) throw new EnvsnapError('INVALID_ARGUMENT', 'activities live on a server: pass --server URL (or set ENVSNAP_SERVER) with ENVSNAP_TOKEN');
  return c;
}

const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

export function register(program: Command): void {
  program
    .command('activity:list')
    .description('list the activities of the server (newest first); with -e ENV only that environment\'s')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (opts: { limit: string }, cmd: Command) => {
      const s = new Session(cmd);
      const q = new URLSearchParams({ limit: opts.limit, ...(s.globals.env ? { environment: s.globals.env } : {}) });
      const list = await client(s).request<Activity[]>('GET', `/activities?${q}`);
      if (s.out.json) return printJson(list);
      printTable(
        ['Activity ID', 'Environment', 'Kind', 'State', 'User', 'Created', 'Progress'],
        list.map((a) => [a.id, a.environment, a.kind, a.state, a.user ?? '(scheduler)', time(a.createdAt), a.progress ? `${a.progress.percent !== undefined ? `${a.progress.percent}% ` : ''}${formatBytes(a.progress.bytes)}, ${a.progress.files} files` : '-']),
      );
    });

  program
    .command('activity:log')
    .argument('<id>', 'activity id')
    .description('print the log of an activity')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const c = client(s);
      const a = await c.request<Activity>('GET', `/activities/${encodeURIComponent(id)}`);
      const lines = await c.request<ActivityLogLine[]>('GET', `/activities/${encodeURIComponent(id)}/log`);
      if (s.out.json) return printJson({ activity: a, log: lines });
      printLine(`Activity ${a.id}: ${a.kind} on ${a.environment} by ${a.user ?? '(scheduler)'}, ${a.state}`);
      for (const l of lines) printLine(`${time(l.at)} ${l.level === 'warn' ? 'warning: ' : ''}${l.message}`);
    });

  program
    .command('activity:cancel')
    .argument('<id>', 'activity id')
    .description('cancel a pending or running activity (a pending one ends at once; a running one stops at its next progress report, with its clean-up done)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const a = await client(s).request<Activity>('POST', `/activities/${encodeURIComponent(id)}/cancel`);
      if (s.out.json) return printJson(a);
      printLine(a.state === 'cancelled' ? `activity ${a.id} cancelled before it started` : `cancel requested for activity ${a.id} (${a.state}): it stops at its next progress report`);
    });
}
