/**
 * `envsnap snapshot:export <id> --format tar|magento`: a snapshot as ordinary archives —
 * a tar stream (stdout or a file) of the snapshot or a path of it, or Magento's backup archives
 * (<time>_db.sql.gz, <time>_snapshot.tgz, _media.tgz, _nomedia.tgz) in a folder.
 */
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { writeAtomically } from '../../app/atomic-file.ts';
import { exportMagento, exportTar } from '../../app/export-snapshot.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

interface ExportOptions {
  format: string;
  output?: string;
  path?: string;
  gzip?: boolean;
}

export function register(program: Command): void {
  program
    .command('snapshot:export')
    .argument('<id>', 'snapshot id, a unique prefix of it, or "latest"')
    .description("write a snapshot out as ordinary archives: a tar stream, or Magento's backup archives")
    .requiredOption('--format <format>', 'tar: the snapshot (or --path of it) as a tar stream; magento: the archive Magento\'s own backup of this type would be')
    .option('-o, --output <path>', 'tar: file to write (default: stdout); magento: the folder to write the archive into (required)')
    .option('--path <path>', 'tar only: a path inside the snapshot (e.g. files/pub/media) to export instead of all of it')
    .option('-z, --gzip', 'tar only: compress the stream with gzip (.tgz)')
    .addHelpText(
      'after',
      `
Magento archives, named after the snapshot's time (Unix seconds) and backup type:
  db          <time>_db.sql.gz       the database as an SQL script (zcat FILE | mariadb DATABASE)
  system      <time>_snapshot.tgz    the mounts at their paths under the Magento root, plus the
  system without media <time>_nomedia.tgz   database script as var/<time>_db.sql
  db-media    <time>_media.tgz
They hold the environment's first MySQL/MariaDB database and its mounts, not the code: Magento's
setup:rollback deletes files missing from the archive, so restore envsnap snapshots with
snapshot:restore, and unpack these archives with tar where only their contents are wanted.

Examples:
  envsnap snapshot:export latest --format magento -o var/backups
  envsnap snapshot:export 1a2b3c4d --format tar --path files/pub/media -z > media.tgz`,
    )
    .action(async (ref: string, opts: ExportOptions, cmd: Command) => {
      const s = new Session(cmd);
      if (opts.format === 'magento') {
        if (opts.output === undefined) throw new EnvsnapError('INVALID_ARGUMENT', '--format magento writes a file into a folder: pass the folder with --output DIR');
        if (opts.path !== undefined || opts.gzip) throw new EnvsnapError('INVALID_ARGUMENT', '--path and --gzip apply to --format tar only: leave them out for --format magento');
        const r = await s.withRepo((repo) => exportMagento(s.ctx, repo, { ref, outputDir: opts.output!, cwd: process.cwd() }));
        if (s.out.json) return printJson({ snapshot: r.snapshot.id, path: r.path, type: r.type, bytes: r.bytes });
        if (!s.out.quiet) printLine(`wrote ${r.path} (Magento ${r.type} backup of snapshot ${r.snapshot.id.slice(0, 8)}, ${formatBytes(r.bytes)})`);
        return;
      }
      if (opts.format !== 'tar') throw new EnvsnapError('INVALID_ARGUMENT', `--format ${opts.format} is not known: pass --format tar or --format magento`);
      const toStdout = opts.output === undefined || opts.output === '-';
      if (toStdout && process.stdout.isTTY) throw new EnvsnapError('INVALID_ARGUMENT', 'the tar stream would go to the terminal: redirect stdout to a file or a pipe, or pass --output FILE');
      if (toStdout && s.out.json) throw new EnvsnapError('INVALID_ARGUMENT', '--json and the tar stream both write to stdout: pass --output FILE, or leave --json out');
      const run = (out: NodeJS.WritableStream) => s.withRepo((repo) => exportTar(s.ctx, repo, { ref, path: opts.path, gzip: opts.gzip, out: out as never }));
      let summary;
      if (toStdout) summary = await run(process.stdout);
      else {
        let result: Awaited<ReturnType<typeof run>> | undefined;
        await writeAtomically(opts.output!, async (file) => {
          result = await run(file);
          await new Promise<void>((ok, fail) => file.end((err?: Error | null) => (err ? fail(err) : ok())));
        });
        summary = result!;
      }
      const line = `exported snapshot ${summary.snapshot.id.slice(0, 8)}${opts.path ? ` (${opts.path})` : ''}: ${summary.files} files, ${summary.dirs} directories, ${formatBytes(summary.bytes)}${toStdout ? '' : ` to ${opts.output}`}`;
      if (s.out.json) printJson({ snapshot: summary.snapshot.id, files: summary.files, dirs: summary.dirs, bytes: summary.bytes, path: opts.output });
      else if (!s.out.quiet) {
        if (toStdout) s.ctx.logger.info(line);
        else printLine(line);
      }
    });
}
