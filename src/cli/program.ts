/**
 * envsnap command line (loaded by main.ts): parses arguments, runs one command, maps errors to exit codes once.
 * Commands live in commands/<noun>-<verb>.ts and only parse and render; the work is in app/.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isEnvsnapError } from '../core/errors.ts';
import { PROGRAM_VERSION } from '../app/version.ts';
import { releaseHeldLocks, setLockRetry } from '../repo/lock.ts';
import { closeAllWorkerPools } from '../repo/worker-pool.ts';
import { removeRestoreTemps } from '../snapshot/restore-temps.ts';
import { endAllMaintenance } from '../sources/maintenance/with-maintenance.ts';
import { dropAllScratchDatabases } from '../sources/mysql/scratch-registry.ts';
import { ExitCode, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.ts';
import { recordEnvArg } from './env-args.ts';
import { registerCommands } from './command-table.ts';

const program = new Command('envsnap')
  .description('environment snapshots of web shops: database, Redis and files, deduplicated, compressed and encrypted')
  .version(PROGRAM_VERSION)
  .option('-r, --repo <path>', 'repository location: a directory or s3://BUCKET/PREFIX (default: $ENVSNAP_REPO)')
  .option('--password-file <file>', 'read the repository password from a file (else $ENVSNAP_PASSWORD, else a prompt on a terminal)')
  .option('-c, --config <file>', 'project configuration file (default: ./envsnap.yaml)')
  .option('-e, --env <name>', 'environment of the project configuration to work on (default: the only one); user:add takes it repeatedly', recordEnvArg)
  .option('--server <url>', 'work through a running "envsnap serve" (default: $ENVSNAP_SERVER) with the token in $ENVSNAP_TOKEN: snapshot:create, snapshot:list, snapshot:restore, snapshot:delete, activity:*')
  .option('--token-file <file>', 'read the API token for --server from a file (else $ENVSNAP_TOKEN)')
  .option('--retry-lock <duration>', 'wait this long (e.g. 30s, 10m, 1h) for a conflicting repository lock to go away instead of failing with exit code 11', parseRetryLock)
  .option('--json', 'print machine-readable JSON on stdout')
  .option('-q, --quiet', 'print only errors and warnings')
  .option('-v, --verbose', 'print debug details')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nEnvironment: ENVSNAP_REPO, ENVSNAP_PASSWORD, ENVSNAP_NEW_PASSWORD (key:add, key:passwd), ENVSNAP_TO_PASSWORD (copy), ENVSNAP_SERVER, ENVSNAP_TOKEN;\nfor s3:// repositories AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3, ENVSNAP_S3_PATH_STYLE (see README).`)
  .exitOverride()
  .hook('preAction', (cmd) => {
    const ms = (cmd.opts() as { retryLock?: number }).retryLock;
    if (ms !== undefined) setLockRetry(ms);
  });

function parseRetryLock(v: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(v);
  if (!m) throw new InvalidArgumentError('give a number with s, m or h, e.g. 30s, 10m, 1h');
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

await registerCommands(program, process.argv.slice(2));

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(ExitCode.interrupted);
    interrupted = true;
    process.stderr.write(`\ninterrupted: ending maintenance mode, releasing locks; data written so far is reused by the next run\n`);
    // Locks first (what other processes wait on), then the workers: exiting while a worker is inside
    // a native call (zstd) can abort the process instead of exiting with 130.
    // Keep the event loop alive until the exit below (idle workers being terminated do not), and
    // exit anyway if the clean-up hangs.
    const keepAlive = setInterval(() => {}, 1000);
    setTimeout(() => process.exit(ExitCode.interrupted), 10_000).unref();
    // Maintenance mode first: the shop must not stay offline because of a Ctrl-C.
    endAllMaintenance()
      .catch(() => {})
      .then(() => dropAllScratchDatabases())
      .then(releaseHeldLocks)
      .then(closeAllWorkerPools)
      // After the workers: they write into these files until they stop.
      .then(removeRestoreTemps)
      .finally(() => {
        clearInterval(keepAlive);
        process.exit(ExitCode.interrupted);
      });
  });
}

// A command has finished once its promise settles; a driver connection left open by a failure must
// not keep the process alive after the result is printed.
const exitSoon = () => setTimeout(() => process.exit(), 5_000).unref();

try {
  await program.parseAsync(process.argv);
  process.exitCode = ExitCode.ok;
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : ExitCode.error;
  } else if (isEnvsnapError(err)) {
    process.stderr.write(`${err.code === 'PARTIAL' ? 'warning' : 'error'}: ${err.message}\n`);
    process.exitCode = exitCodeFor(err.code);
  } else {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'ENOSPC') {
      process.stderr.write(`error: no space left on device${e.path ? ` (${e.path})` : ''}: free some space and run again; the repository is unchanged\n`);
    } else {
      process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
      if (process.env.ENVSNAP_DEBUG) process.stderr.write(`${e?.stack}\n`);
    }
    process.exitCode = ExitCode.error;
  }
}
exitSoon();
