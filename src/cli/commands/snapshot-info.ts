/** `envsnap snapshot:info <id>`: everything the manifest records, and whether (since when) the snapshot is pinned. */
import type { Command } from 'commander';
import { snapshotInfo } from '../../app/manage-snapshots.ts';
import { formatBytes } from '../../core/bytes.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('snapshot:info')
    .argument('<id>', 'snapshot id, a unique prefix of it, or "latest"')
    .description('show a snapshot: time, paths, sizes, pin, warnings')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { snapshot: snap, pin } = await s.withRepo((repo) => snapshotInfo(repo, ref));
      if (s.out.json) return printJson({ ...snap, pinned: pin ? { time: pin.time } : false });
      const sm = snap.summary;
      printLine(`snapshot   ${snap.id}`);
      printLine(`created    ${snap.time} on ${snap.hostname} by ${snap.username}`);
      const env = snap.environment;
      if (env) {
        printLine(`env        ${env.project}/${snap.env} (${env.type}, plan ${env.plan})`);
        if (env.backupType) printLine(`type       ${env.backupType}${env.excludeMedia ? ' (without pub/media)' : ''}`);
        printLine(`mode       ${env.mode}, ${env.trigger}${env.maintenanceMs !== undefined ? `; maintenance mode on for ${(env.maintenanceMs / 1000).toFixed(1)} s` : ''}; skew between sources ${(env.skewMs / 1000).toFixed(1)} s`);
        if (env.imported) printLine(`imported   from ${env.imported.files.join(', ')} at ${env.imported.at}`);
      }
      printLine(`root       ${snap.root}`);
      printLine(`${env ? 'mounts    ' : 'paths     '} ${snap.paths.join(' ')}`);
      for (const r of env?.sources ?? []) {
        const point = r.point && Object.keys(r.point).length ? ` at ${Object.entries(r.point).filter(([, v]) => v !== undefined && v !== null && v !== '' && typeof v !== 'object').map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : '';
        printLine(`source     ${r.name}: ${formatBytes(r.bytes)}${r.consistent ? ', consistent' : ', live'}${point} (${(r.durationMs / 1000).toFixed(1)} s)`);
      }
      for (const k of env?.skipped ?? []) printLine(`skipped    ${k}`);
      if (snap.parent) printLine(`parent     ${snap.parent.slice(0, 8)}`);
      if (snap.tags.length) printLine(`tags       ${snap.tags.join(', ')}`);
      printLine(`pinned     ${pin ? `yes (since ${pin.time})` : 'no'}`);
      if (snap.excludes.length) printLine(`excludes   ${snap.excludes.join(' ')}`);
      printLine(`restorable yes${snap.partial ? ` (partial: ${snap.warningCount} path(s) could not be read)` : ''}`);
      printLine(`files      ${sm.files} (${sm.newFiles} new, ${sm.changedFiles} changed, ${sm.unchangedFiles} unchanged), ${sm.dirs} directories`);
      printLine(`size       ${formatBytes(sm.bytes)}; added ${formatBytes(sm.addedBytes)} (${formatBytes(sm.storedBytes)} stored) in ${(sm.durationMs / 1000).toFixed(1)} s`);
      for (const w of snap.warnings) printLine(`warning    ${w}`);
    });
}
