/** `envsnap check [--read-data | --read-data-subset N%]`: verify the repository. */
import type { Command } from 'commander';
import { check } from '../../app/maintain.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

function parseSubset(v: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(v.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n > 0 && n <= 100)) throw new EnvsnapError('INVALID_ARGUMENT', `--read-data-subset ${v}: give a percentage between 0 and 100, e.g. 10%`);
  return n;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('verify the repository structure: index, packs, snapshots and every tree they reference')
    .option('--read-data', 'also read every pack, decrypt every blob and re-check its hash')
    .option('--read-data-subset <percent>', 'like --read-data for a random N% of the packs', parseSubset)
    .addHelpText('after', '\nPacks left by an interrupted run are reported as warnings (the next snapshot reuses them, prune removes them once older than prune.unreferenced-min-age).\nExit code 1 when any error is found.')
    .action(async (opts: { readData?: boolean; readDataSubset?: number }, cmd: Command) => {
      const s = new Session(cmd);
      const readData = opts.readData ? { subsetPercent: 100 } : opts.readDataSubset ? { subsetPercent: opts.readDataSubset } : false;
      const r = await s.withRepo((repo) => check(s.ctx, repo, { readData }));
      if (s.out.json) printJson(r);
      else {
        const st = r.stats;
        for (const e of r.errors) printLine(`error: ${e}`);
        for (const w of r.warnings) printLine(`warning: ${w}`);
        if (!s.out.quiet) {
          printLine(`checked ${st.snapshots} snapshots, ${st.trees} trees, ${st.blobs} blobs in ${st.packs} packs (${st.indexFiles} index files)${readData ? `; read ${st.readPacks} packs` : ''}`);
          printLine(r.errors.length === 0 ? 'no errors found' : `${r.errors.length} error(s) found`);
        }
      }
      if (r.errors.length > 0) {
        throw new EnvsnapError('CORRUPT', `check found ${r.errors.length} error(s): snapshots using the damaged objects may not restore; delete them and run "envsnap prune"`);
      }
    });
}
