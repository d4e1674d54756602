/**
 * `envsnap snapshot:list`: Created, Snapshot ID, Restorable, Type, Automated, Live, Size, Expires,
 * Environment. Expires comes from the environment's retention policy (envsnap.yaml) at this moment:
 * a date, "never" (pinned, tagged, newest, or kept by count), or "expired" — such a snapshot is still
 * in the repository until `envsnap expire` runs, but is shown as not restorable since it is about to go.
 * A snapshot is also not restorable when some of its data is missing or a check found it damaged
 * (app/restorability.ts); --json gives the cause and what is missing or damaged.
 */
import type { Command } from 'commander';
import { listSnapshotsWithRetention } from '../../app/manage-snapshots.ts';
import { snapshotRow, type SnapshotRow } from '../../app/snapshot-row.ts';
import { formatBytes } from '../../core/bytes.ts';
import { remoteList } from '../remote-snapshots.ts';
import { Session } from '../session.ts';
import { printJson, printTable } from '../render.ts';

export function register(program: Command): void {
  program
    .command('snapshot:list')
    .description('list the snapshots, oldest first')
    .option('--path <path>', 'only snapshots that include this path')
    .addHelpText('after', '\nWith the global --env NAME, only the snapshots of that environment.')
    .action(async (opts: { path?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const server = s.server();
      if (server) return printRows(s, await remoteList(s, server));
      const project = await s.project();
      const rows = await s.withRepo((repo) => listSnapshotsWithRetention(s.ctx, repo, project, { path: opts.path, env: s.globals.env }));
      printRows(s, rows.map(snapshotRow));
    });
}

/** "yes", "yes (partial)", "no (expired)", or "no (data missing: run check)" / "no (damaged: run check)": check names what. */
function restorableText(r: SnapshotRow): string {
  if (r.restorable) return r.partial ? 'yes (partial)' : 'yes';
  const cause = r.notRestorable?.cause ?? 'expired';
  return cause === 'expired' ? 'no (expired)' : `no (${cause}: run check)`;
}

function printRows(s: Session, rows: SnapshotRow[]): void {
  if (s.out.json) return printJson(rows);
  const yesNo = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'no');
  printTable(
    ['Created', 'Snapshot ID', 'Restorable', 'Type', 'Automated', 'Live', 'Size', 'Expires', 'Environment'],
    rows.map((r) => [
      r.created.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      r.shortId,
      restorableText(r),
      r.type,
      yesNo(r.automated),
      yesNo(r.live),
      formatBytes(r.size),
      r.expires === null ? '-' : r.expires.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z'),
      r.environment ?? '-',
    ]),
  );
}
