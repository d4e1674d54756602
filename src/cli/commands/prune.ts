/** `envsnap prune`: reclaim the space of deleted snapshots. */
import type { Command } from 'commander';
import { prune } from '../../app/maintain.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('prune')
    .description('delete data no snapshot uses; repack packs that are partly used')
    .option('--dry-run', 'only report what would be deleted and repacked')
    .option('--max-unused <percent>', 'repack a partly used pack when more than this share of it is unused', '5')
    .addHelpText('after', '\nTakes the exclusive lock: no snapshot, restore or check can run meanwhile.\nSafe to interrupt: new packs and index are written before anything is deleted.\nPacks no index lists are deleted only once older than prune.unreferenced-min-age (see repo:settings).')
    .action(async (opts: { dryRun?: boolean; maxUnused: string }, cmd: Command) => {
      const s = new Session(cmd);
      const maxUnusedPercent = Number(opts.maxUnused.replace(/%$/, ''));
      if (!(maxUnusedPercent >= 0 && maxUnusedPercent <= 100)) throw new EnvsnapError('INVALID_ARGUMENT', `--max-unused ${opts.maxUnused}: give a percentage between 0 and 100`);
      const st = await s.withRepo((repo) => prune(s.ctx, repo, { dryRun: opts.dryRun === true, maxUnusedPercent }));
      if (s.out.json) return printJson(st);
      const verb = st.dryRun ? 'would ' : '';
      printLine(`${verb}delete ${st.packsDeleted} packs, ${verb}repack ${st.packsRepacked} into ${st.packsWritten}, keep ${st.packsKept}`);
      printLine(`${verb}free ${formatBytes(Math.max(0, st.bytesFreed))} (${st.blobsRemoved} blobs removed)`);
      if (st.youngPacksKept > 0) printLine(`kept ${st.youngPacksKept} packs no index lists: younger than prune.unreferenced-min-age (see repo:settings), they may be uploads of a snapshot still running`);
    });
}
