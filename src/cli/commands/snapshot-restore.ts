/**
 * `envsnap snapshot:restore <id>`: an environment snapshot into its environment or another one
 * (--target ENV, --only, --include), or a file snapshot into a directory (--target DIR).
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { restoreSnapshot } from '../../app/restore-snapshot.ts';
import { RESTORE_PARTS, type RestorePart } from '../../app/restore-parts.ts';
import { confirmReplace } from '../confirm.ts';
import { formatBytes } from '../../core/bytes.ts';
import type { OverwriteMode } from '../../snapshot/restorer.ts';
import { remoteRestore } from '../remote-snapshots.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const collectPart = (v: string, prev: RestorePart[] = []): RestorePart[] => {
  if (!(RESTORE_PARTS as readonly string[]).includes(v)) throw new InvalidArgumentError(`choose one of ${RESTORE_PARTS.join(', ')}`);
  return [...prev, v as RestorePart];
};

export function register(program: Command): void {
  program
    .command('snapshot:restore')
    .argument('<id>', 'snapshot id, a unique prefix of it, or "latest"')
    .description('restore an environment snapshot into its environment or --target ENV; or a file snapshot under --target DIR (in place without it)')
    .option('--target <env-or-dir>', 'environment to restore into (environment snapshots; default: its own), or directory (file snapshots)')
    .option('--only <part>', `restore only this part of an environment snapshot: ${RESTORE_PARTS.join(', ')} (repeatable)`, collectPart)
    .option('--include <path>', 'restore only this path (of the mounts, relative to the root) and what is under it (repeatable)', collect, [])
    .option('-y, --yes', 'replace data at the target without asking')
    .option('--no-maintenance', 'restore an environment without switching its maintenance mode on')
    .option('--wait', 'with --server: queue behind an activity already running on the environment instead of being refused')
    .option('--no-wait', 'with --server: print the activity id and return at once')
    .addOption(new Option('--overwrite <mode>', 'what to do with files that exist at the target').choices(['always', 'if-changed', 'never']).default('always'))
    .addHelpText(
      'after',
      `
Environment snapshots: databases first (loaded into a new schema and swapped in only when complete, so
a failed restore leaves the old data), then Redis (loaded into an empty database and swapped in with
SWAPDB), then the mounts, with the target's maintenance mode on.
Restoring into another environment keeps that environment's own app/etc/env.php. Data at the target is
replaced only after a yes on the terminal, or with --yes.

Every chunk is verified against its hash; each file is written under a temporary name and renamed into place.
A snapshot whose paths would escape the target is refused.`,
    )
    .action(async (ref: string, opts: { target?: string; include: string[]; overwrite: OverwriteMode; only?: RestorePart[]; yes?: boolean; maintenance: boolean; wait?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const server = s.server();
      if (server) {
        // The server does not ask: confirm here, as a local restore would.
        if (!opts.yes && !(await confirmReplace(false)([`environment ${opts.target ?? s.globals.env ?? '?'} (database, Redis, mounts) on the server`]))) return;
        return remoteRestore(s, server, ref, { ...(opts.target ? { target: opts.target } : {}), ...(opts.only ? { only: opts.only } : {}), ...(opts.include.length ? { include: opts.include } : {}), ...(opts.maintenance ? {} : { noMaintenance: true }) }, { wait: opts.wait });
      }
      const project = await s.project();
      if (project) {
        const { restoreEnvironment } = await import('../../app/environment-snapshots.ts');
        const r = await s.withRepo((repo) =>
          restoreEnvironment(s.ctx, repo, { project, snapshot: ref, fromEnv: s.globals.env, target: opts.target, only: opts.only, include: opts.include, noMaintenance: !opts.maintenance }, confirmReplace(opts.yes === true)),
        );
        if (s.out.json) return printJson({ snapshotId: r.snapshot.id, target: r.target.name, steps: r.steps });
        if (!s.out.quiet) {
          for (const st of r.steps) printLine(`restored ${st.name} in ${(st.durationMs / 1000).toFixed(1)} s${st.files ? `: ${st.files.files} files (${formatBytes(st.files.bytes)})` : ''}`);
          printLine(`restored snapshot ${r.snapshot.id.slice(0, 8)} of ${r.snapshot.env} into ${r.target.name}`);
        }
        return;
      }
      const r = await s.withRepo((repo) => restoreSnapshot(s.ctx, repo, { snapshot: ref, target: opts.target, include: opts.include, overwrite: opts.overwrite }));
      if (s.out.json) return printJson({ snapshotId: r.snapshot.id, target: r.target, ...r.summary });
      if (!s.out.quiet) {
        printLine(`restored snapshot ${r.snapshot.id.slice(0, 8)} to ${r.target}: ${r.summary.files} files (${formatBytes(r.summary.bytes)}), ${r.summary.dirs} directories, ${r.summary.symlinks} symlinks${r.summary.skipped ? `, ${r.summary.skipped} skipped` : ''}`);
      }
    });
}
