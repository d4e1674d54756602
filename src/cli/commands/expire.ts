/**
 * `envsnap expire`: apply each environment's retention policy (policy:show) now — delete the
 * environment snapshots no rule keeps, then prune. File snapshots are never touched.
 */
import type { Command } from 'commander';
import { expire } from '../../app/expire.ts';
import type { RetentionRow } from '../../app/retention-view.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('expire')
    .description('delete the environment snapshots the retention policy no longer keeps, then prune')
    .option('--dry-run', 'only report what would be kept and deleted')
    .option('--no-prune', 'delete the snapshots but leave their data for a later "envsnap prune"')
    .addHelpText('after', '\nWith the global --env NAME, only that environment; default every environment of envsnap.yaml.\nPinned snapshots (snapshot:pin) are always kept.')
    .action(async (opts: { dryRun?: boolean; prune: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const project = await s.project();
      if (!project) throw new EnvsnapError('CONFIG', 'expire applies the policies of envsnap.yaml: run it where envsnap.yaml is, or pass --config FILE');
      const r = await s.withRepo((repo) => expire(s.ctx, repo, { project, env: s.globals.env, dryRun: opts.dryRun === true, noPrune: !opts.prune }));
      const row = (x: RetentionRow) => ({
        id: x.snapshot.id,
        shortId: x.snapshot.id.slice(0, 8),
        created: x.snapshot.time,
        environment: x.snapshot.env,
        trigger: x.snapshot.environment!.trigger,
        pinned: x.pinned,
        reasons: x.decision.reasons,
        expiresAt: x.decision.expiresAt === undefined ? null : new Date(x.decision.expiresAt).toISOString(),
      });
      if (s.out.json) return printJson({ dryRun: r.dryRun, now: new Date(r.now).toISOString(), kept: r.kept.map(row), removed: r.removed.map(row), prune: r.prune ?? null });
      const line = (x: RetentionRow) => `${x.snapshot.id.slice(0, 8)}  ${x.snapshot.time}  ${x.snapshot.env} (${x.snapshot.environment!.trigger})  ${x.decision.reasons.join('; ')}`;
      for (const x of r.kept) printLine(`keep    ${line(x)}`);
      for (const x of r.removed) printLine(`${r.dryRun ? 'would delete' : 'delete'}  ${line(x)}`);
      printLine(`${r.kept.length} kept, ${r.removed.length} ${r.dryRun ? 'to delete (dry run: nothing changed)' : 'deleted'}`);
      if (r.prune) printLine(`prune: ${r.prune.packsDeleted} pack(s) deleted, ${r.prune.packsRepacked} repacked, ${formatBytes(Math.max(0, r.prune.bytesFreed))} freed`);
      else if (!r.dryRun) printLine('run "envsnap prune" to reclaim the space');
    });
}
