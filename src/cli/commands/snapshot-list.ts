/**
 * `envsnap snapshot:list`: Created, Snapshot ID, Restorable, Type, Automated, Live, Size, Expires,
 * Environment. Expires comes from the environment's retention policy (envsnap.yaml) at this moment:
 * a date, "never" (pinned, tagged, newest, or kept by count), or "expired" — such a snapshot is still
 * in the repository until `envsnap expire` runs, but is shown as not restorable since it is about to go.
 */
import type { Command } from 'commander';
import { listSnapshotsWithRetention, type ListedSnapshot } from '../../app/manage-snapshots.ts';
import { formatBytes } from '../../core/bytes.ts';
import { backupTypeLabel } from '../../policy/backup-types.ts';
import type { Snapshot } from '../../snapshot/manifest.ts';
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
      const project = await s.project();
      const rows = await s.withRepo((repo) => listSnapshotsWithRetention(s.ctx, repo, project, { path: opts.path, env: s.globals.env }));
      if (s.out.json) {
        printJson(
          rows.map((r) => {
            const x = r.snapshot;
            return {
              id: x.id,
              shortId: x.id.slice(0, 8),
              created: x.time,
              restorable: r.retention?.keep !== false,
              expired: r.retention?.keep === false,
              type: typeOf(x),
              backupType: x.environment?.backupType ?? null,
              ...(x.environment?.excludeMedia ? { excludeMedia: true } : {}),
              automated: x.environment ? x.environment.trigger === 'automatic' : null,
              live: x.environment ? x.environment.mode === 'live' : null,
              pinned: r.pinned,
              expires: expires(r),
              partial: x.partial,
              size: x.summary.bytes,
              files: x.summary.files,
              paths: x.paths,
              root: x.root,
              hostname: x.hostname,
              tags: x.tags,
              parent: x.parent,
              environment: x.env,
              mode: x.environment?.mode,
              trigger: x.environment?.trigger,
              sources: x.environment?.sources.map((src) => ({ kind: src.kind, id: src.id, bytes: src.bytes })),
            };
          }),
        );
        return;
      }
      const yesNo = (b: boolean | undefined) => (b === undefined ? '-' : b ? 'yes' : 'no');
      printTable(
        ['Created', 'Snapshot ID', 'Restorable', 'Type', 'Automated', 'Live', 'Size', 'Expires', 'Environment'],
        rows.map((r) => {
          const x = r.snapshot;
          const exp = expires(r);
          return [
            x.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            x.id.slice(0, 8),
            exp === 'expired' ? 'no (expired)' : x.partial ? 'yes (partial)' : 'yes',
            typeOf(x),
            yesNo(x.environment && x.environment.trigger === 'automatic'),
            yesNo(x.environment && x.environment.mode === 'live'),
            formatBytes(x.summary.bytes),
            exp === null ? '-' : exp.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z'),
            x.env ?? '-',
          ];
        }),
      );
    });
}

/** An ISO time, "never", "expired", or null when no policy governs the snapshot. */
function expires(r: ListedSnapshot): string | null {
  if (r.pinned) return 'never';
  if (r.retention === undefined) return null;
  if (!r.retention.keep) return 'expired';
  return r.retention.expiresAt === undefined ? 'never' : new Date(r.retention.expiresAt).toISOString();
}

/**
 * The recorded backup type (system, "system (no media)", db-media, db); for snapshots of versions
 * that did not record it, derived: system = files and databases, db = databases only, otherwise
 * what it holds ("files", "redis, files"); "paths" for file snapshots.
 */
function typeOf(x: Snapshot): string {
  if (!x.environment) return 'paths';
  if (x.environment.backupType) return backupTypeLabel(x.environment.backupType, x.environment.excludeMedia);
  const parts = new Set(x.environment.sources.map((r) => (r.kind === 'mysql' || r.kind === 'sqlite' ? 'database' : r.kind)));
  if (parts.has('database') && parts.has('files')) return 'system';
  if (parts.has('database') && parts.size === 1) return 'db';
  return [...parts].join(', ');
}
