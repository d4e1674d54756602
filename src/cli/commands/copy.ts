/**
 * `envsnap copy --to REPO [--from REPO] [-e ENV] [--snapshot ID…]`: copy snapshots to another
 * repository, sending only the data it lacks (app/copy-snapshots.ts). The source is --from or the
 * usual repository (--repo, $ENVSNAP_REPO, envsnap.yaml) with the usual password; the destination's
 * password comes from --to-password-file or $ENVSNAP_TO_PASSWORD, else it is the source's.
 */
import type { Command } from 'commander';
import { copySnapshots, openDestination, type CopiedSnapshot } from '../../app/copy-snapshots.ts';
import { withRepository } from '../../app/open-repository.ts';
import type { RepoRef } from '../../app/context.ts';
import { getEnvironment } from '../../config/project-config.ts';
import { resolveSecret } from '../../config/secrets.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { shortId } from '../../core/ids.ts';
import { readPassword } from '../password.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

interface CopyOptions {
  from?: string;
  to?: string;
  toPasswordFile?: string;
  snapshot?: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('copy')
    .description('copy snapshots to another repository (a directory or s3://BUCKET/PREFIX), sending only the data it lacks')
    .option('--from <location>', 'the repository to copy from (default: --repo, $ENVSNAP_REPO, or envsnap.yaml)')
    .option('--to <location>', "the repository to copy to (default: the environment's copy_to in envsnap.yaml)")
    .option('--to-password-file <file>', "read the destination's password from a file (else $ENVSNAP_TO_PASSWORD, else the source's password)")
    .option('--snapshot <id>', 'copy this snapshot: an id, a unique prefix or "latest"; may be repeated (default: every snapshot)', collect)
    .addHelpText(
      'after',
      `
With the global -e ENV, only the snapshots of that environment ("latest" is then its latest).

Passwords: the source's comes from --password-file, $ENVSNAP_PASSWORD or envsnap.yaml as for every
command; the destination's from --to-password-file or $ENVSNAP_TO_PASSWORD — and when neither is
given, the source's password is used for the destination too (or, without --to, copy_to's
password_env / password_file). Passwords are never taken from the command line.

The destination must exist: create it with "envsnap init --repo LOCATION". Its own keys encrypt
what is copied. Snapshots keep their ids; one the destination already has is skipped, so running copy
again copies only what is new. An interrupted copy leaves no snapshot behind, and the next run
reuses the data it had uploaded.`,
    )
    .action(async (opts: CopyOptions, cmd: Command) => {
      const s = new Session(cmd);
      const srcRef = await s.refFor(opts.from ?? (await s.repoLocation()), await s.repoPassword());
      const { dstRef, hint, env } = await destination(s, opts, srcRef.password);
      const result = await withRepository(s.ctx, srcRef, async (src) => {
        const dst = await openDestination(s.ctx, dstRef, hint);
        try {
          return await copySnapshots(s.ctx, src, dst, { env, snapshots: opts.snapshot });
        } finally {
          await dst.close();
        }
      });
      const copied = result.snapshots.filter((x) => x.status === 'copied');
      if (s.out.json) {
        return printJson({ source: srcRef.location, destination: dstRef.location, adoptedPacks: result.adoptedPacks, copied: copied.length, skipped: result.snapshots.length - copied.length, snapshots: result.snapshots });
      }
      if (result.snapshots.length === 0) return printLine(`no snapshots${env ? ` of environment ${env}` : ''} to copy`);
      for (const x of result.snapshots) printLine(describe(x, dstRef.location));
      printLine(`${copied.length} copied, ${result.snapshots.length - copied.length} already in ${dstRef.location}`);
    });
}

function describe(x: CopiedSnapshot, to: string): string {
  if (x.status === 'skipped') return `skipped ${shortId(x.id)}: already in the destination`;
  return `copied ${shortId(x.id)} → ${to} (${x.newBlobs} new blobs, ${formatBytes(x.uploadedBytes)} uploaded)`;
}

/** Where to copy to and with which password — --to, else the environment's copy_to — and which environment's snapshots. */
async function destination(s: Session, opts: CopyOptions, sourcePassword: string): Promise<{ dstRef: RepoRef; hint: string; env?: string }> {
  const given = opts.toPasswordFile !== undefined || (process.env.ENVSNAP_TO_PASSWORD ?? '') !== '';
  const password = async (fallback: () => string) => (given ? readPassword({ passwordFile: opts.toPasswordFile }, 'destination repository password', 'ENVSNAP_TO_PASSWORD') : fallback());
  const hint = 'set ENVSNAP_TO_PASSWORD or use --to-password-file FILE (without either, the source password is used)';
  if (opts.to !== undefined) return { dstRef: await s.refFor(opts.to, await password(() => sourcePassword)), hint, env: s.globals.env };
  const project = await s.project();
  const env = project ? getEnvironment(project, s.globals.env) : undefined;
  const copyTo = env?.copyTo;
  if (!env || !copyTo) {
    throw new EnvsnapError('INVALID_ARGUMENT', `no destination: give --to LOCATION (a directory or s3://BUCKET/PREFIX)${env ? `, or set copy_to for environment ${env.name} in envsnap.yaml` : ''}`);
  }
  return {
    dstRef: await s.refFor(copyTo.repository, await password(() => resolveSecret(copyTo.password, `the password of copy_to of environment ${env.name}`))),
    hint: given ? hint : `check password_env / password_file under copy_to of environment ${env.name} in envsnap.yaml`,
    env: env.name,
  };
}
