/**
 * `envsnap db:dump -e ENV`: a plain SQL dump (.sql.gz) of the environment's MySQL/MariaDB database,
 * taken at one consistent point while the shop keeps serving, for `zcat FILE | mariadb DATABASE`.
 * `--output -` writes the compressed dump to stdout (the summary then goes to stderr).
 */
import type { Command } from 'commander';
import { dumpDatabase, type DumpDatabaseResult } from '../../app/dump-database.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('db:dump')
    .description("write a plain SQL dump (.sql.gz) of an environment's MySQL/MariaDB database, taken at one consistent point without downtime")
    .option('--exclude-table <table>', 'dump this table without rows (it is still created); * matches any characters; repeatable', collect, [])
    .option('-o, --output <file>', 'file to write (an existing folder gets the default name in it); - writes to stdout (default: <project>-<env>-<UTC time>.sql.gz in the working directory)')
    .option('--database <id>', "the environment's database to dump (default: its first MySQL/MariaDB database)")
    .option('--parallel <n>', 'connections reading tables at once', (v: string) => parsePositive(v, '--parallel'), 2)
    .addHelpText(
      'after',
      `
The dump never names the database, so it loads into any one:
  zcat shop-production-20240301-101500.sql.gz | mariadb shop_copy

It is written to a temporary file and renamed when complete: a dump file that exists is whole.
Tables excluded with --exclude-table keep their CREATE TABLE (code expects them), without rows.`,
    )
    .action(async (opts: { excludeTable: string[]; output?: string; database?: string; parallel: number }, cmd: Command) => {
      const s = new Session(cmd);
      const toStdout = opts.output === '-';
      if (toStdout && s.out.json) throw new EnvsnapError('INVALID_ARGUMENT', '--json and --output - both write to stdout: write the dump to a file with --output FILE, or leave --json out');
      if (toStdout && process.stdout.isTTY) throw new EnvsnapError('INVALID_ARGUMENT', '--output - would write compressed data to the terminal: redirect stdout to a file or a pipe, or pass --output FILE');
      const { project, env } = await s.environment();
      const r = await dumpDatabase(s.ctx, {
        project,
        env,
        databaseId: opts.database,
        excludeTables: opts.excludeTable,
        output: toStdout ? process.stdout : opts.output,
        cwd: process.cwd(),
        parallel: opts.parallel,
      });
      if (s.out.json) printJson(r);
      else if (!s.out.quiet) {
        for (const line of summary(r)) {
          if (toStdout) s.ctx.logger.info(line);
          else printLine(line);
        }
      }
    });
}

function summary(r: DumpDatabaseResult): string[] {
  const p = r.point;
  const where = p.binlogFile !== undefined ? `binlog ${p.binlogFile}:${p.binlogPosition}${p.gtid ? `, GTID ${p.gtid}` : ''}` : p.gtid ? `GTID ${p.gtid}` : 'no binlog position (binary logging off or not readable)';
  const excluded = r.excludedTables.length > 0 ? ` (${r.excludedTables.length} without rows: ${r.excludedTables.join(', ')})` : '';
  return [
    `database ${r.database.id} (${r.database.name}): ${plural(r.tables, 'table')}${excluded}, ${plural(r.rows, 'row')}, ${formatBytes(r.sqlBytes)} of SQL in ${(r.durationMs / 1000).toFixed(1)} s`,
    `consistent point: ${where}`,
    `wrote ${r.path ?? 'stdout'}: ${formatBytes(r.bytes)}`,
  ];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function parsePositive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new EnvsnapError('INVALID_ARGUMENT', `${flag} ${v} is not a whole number from 1 to 64: pass e.g. ${flag} 4`);
  return n;
}
