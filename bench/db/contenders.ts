/**
 * The database snapshot tools under test as adapters: how each one takes a snapshot of the source database
 * (for the cold run and again under the live workload, into its own output), how it restores the cold
 * snapshot into an empty database, its version, and its output's size on disk.
 *
 * Every command runs under `timeout --foreground` (each process of a pipeline under its own), so that a
 * hung tool ends and Ctrl-C still reaches it; pipelines run in bash with pipefail.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MariaDbInfo } from '../../src/testing/servers.ts';
import { onPath } from '../../src/testing/servers.ts';
import type { Command } from '../tools.ts';
import { treeStats } from '../tree.ts';

export type ContenderName = 'mariadb-dump' | 'mydumper' | 'envsnap';
export const CONTENDER_NAMES: readonly ContenderName[] = ['mariadb-dump', 'mydumper', 'envsnap'];

/** `cold`: the snapshot that is restored; `live`: the one taken during the workload (own output). */
export type Slot = 'cold' | 'live';

export interface Contender {
  name: ContenderName;
  /** Why the tool cannot run here, or undefined. */
  unavailable(): string | undefined;
  version(): string;
  /** The commands as a user would type them, for the report. */
  describe(): { snapshot: string; restore: string };
  /** Untimed set-up before a snapshot into `slot` (e.g. creating a repository). */
  prepare(slot: Slot): Command[];
  snapshot(slot: Slot): Command;
  /** Bytes of the snapshot's output on disk. */
  outputBytes(slot: Slot): number;
  /** Deletes the snapshot's output. */
  discard(slot: Slot): void;
  restore(targetDb: string): Command;
  /** Throws when a successful command's output does not match the tool's contract. */
  checkOutput(phase: 'snapshot' | 'restore', stdout: string): void;
}

export interface ContenderContext {
  server: MariaDbInfo;
  sourceDb: string;
  /** Work directory of this run (recreated by the caller). */
  dir: string;
  snapshotTimeoutS: number;
  restoreTimeoutS: number;
  /** Absolute path of envsnap's CLI entry point and the Node binary to run it with. */
  envsnapMain: string;
  node: string;
}

const ROOT = join(import.meta.dirname, '..', '..');
const PASSWORD = 'bench-password-not-secret';

const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const timed = (seconds: number, argv: string[]) => ['timeout', '--foreground', '-k', '30', String(Math.round(seconds)), ...argv].map(sh).join(' ');
const bash = (script: string, cwd: string, env: Record<string, string> = {}): Command => ({ cmd: 'bash', args: ['-c', `set -o pipefail; ${script}`], cwd, env });
const direct = (seconds: number, argv: string[], cwd: string, env: Record<string, string> = {}): Command => ({ cmd: 'timeout', args: ['--foreground', '-k', '30', String(Math.round(seconds)), ...argv], cwd, env });

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0]?.trim() || `unknown (${cmd} ${args.join(' ')} failed)`;
}

function sizeOf(path: string): number {
  if (!existsSync(path)) return 0;
  return statSync(path).isDirectory() ? treeStats(path).bytes : statSync(path).size;
}

function missing(...binaries: string[]): string | undefined {
  const absent = binaries.filter((b) => !onPath(b));
  return absent.length === 0 ? undefined : `${absent.join(', ')} not installed`;
}

function mariadbDump(ctx: ContenderContext): Contender {
  const cnf = join(ctx.dir, 'client.cnf');
  const s = ctx.server;
  writeFileSync(cnf, `[client]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\npassword=${s.password}\n`, { mode: 0o600 });
  const file = (slot: Slot) => join(ctx.dir, `dump-${slot}.sql.zst`);
  const dumpArgs = ['--single-transaction', '--quick', '--routines', '--triggers', '--events'];
  return {
    name: 'mariadb-dump',
    unavailable: () => missing('mariadb-dump', 'mariadb', 'zstd'),
    version: () => `${firstLine('mariadb-dump', ['--version'])}; ${firstLine('zstd', ['--version']).replace(/^\*+\s*|\s*\*+$/g, '')}; ${firstLine('mariadb', ['--version'])}`,
    describe: () => ({ snapshot: `mariadb-dump ${dumpArgs.join(' ')} ${ctx.sourceDb} | zstd -T2 -3 > dump.sql.zst`, restore: 'zstd -dc dump.sql.zst | mariadb <new database>' }),
    prepare: (slot) => {
      rmSync(file(slot), { force: true });
      return [];
    },
    discard: (slot) => rmSync(file(slot), { force: true }),
    snapshot: (slot) =>
      bash(`${timed(ctx.snapshotTimeoutS, ['mariadb-dump', `--defaults-file=${cnf}`, ...dumpArgs, ctx.sourceDb])} | ${timed(ctx.snapshotTimeoutS, ['zstd', '-q', '-T2', '-3', '-f', '-o', file(slot)])}`, ctx.dir),
    outputBytes: (slot) => sizeOf(file(slot)),
    restore: (target) => bash(`${timed(ctx.restoreTimeoutS, ['zstd', '-q', '-dc', file('cold')])} | ${timed(ctx.restoreTimeoutS, ['mariadb', `--defaults-file=${cnf}`, target])}`, ctx.dir),
    checkOutput: () => {},
  };
}

function mydumper(ctx: ContenderContext): Contender {
  const s = ctx.server;
  const conn = ['-h', s.host, '-P', String(s.port), '-u', s.user, '-p', s.password];
  const dir = (slot: Slot) => join(ctx.dir, `mydumper-${slot}`);
  // mydumper 0.10 (Debian 12) compresses with gzip; -G/-E/-R add triggers, events and routines as mariadb-dump does.
  const dumpArgs = ['-t', '2', '--compress', '--triggers', '--events', '--routines'];
  return {
    name: 'mydumper',
    unavailable: () => missing('mydumper', 'myloader'),
    version: () => `${firstLine('mydumper', ['--version'])}; ${firstLine('myloader', ['--version'])}`,
    describe: () => ({ snapshot: `mydumper -B ${ctx.sourceDb} -o <dir> ${dumpArgs.join(' ')}`, restore: 'myloader -d <dir> -B <new database> -t 2' }),
    prepare: (slot) => {
      rmSync(dir(slot), { recursive: true, force: true });
      return [];
    },
    discard: (slot) => rmSync(dir(slot), { recursive: true, force: true }),
    snapshot: (slot) => direct(ctx.snapshotTimeoutS, ['mydumper', ...conn, '-B', ctx.sourceDb, '-o', dir(slot), ...dumpArgs, '-v', '2'], ctx.dir),
    outputBytes: (slot) => sizeOf(dir(slot)),
    restore: (target) => direct(ctx.restoreTimeoutS, ['myloader', ...conn, '-d', dir('cold'), '-B', target, '-t', '2', '-v', '2'], ctx.dir),
    checkOutput: () => {},
  };
}

/** envsnap.yaml for one slot: the source environment `bench` and the restore target `restore` on the same server. */
function envsnapConfig(ctx: ContenderContext, slot: Slot, repo: string, targetDb: string): string {
  const s = ctx.server;
  const root = join(ctx.dir, `envsnap-root-${slot}`);
  mkdirSync(root, { recursive: true });
  const db = (name: string) => `{ type: mysql, host: ${s.host}, port: ${s.port}, user: ${s.user}, password_env: BENCH_DB_PASSWORD, name: ${name} }`;
  return [
    'project: bench',
    `repository: ${JSON.stringify(repo)}`,
    'environments:',
    '  bench:',
    '    type: production',
    '    plan: starter',
    `    root: ${JSON.stringify(root)}`,
    '    mounts: []',
    `    database: ${db(ctx.sourceDb)}`,
    '  restore:',
    '    type: staging',
    '    plan: starter',
    `    root: ${JSON.stringify(root)}`,
    '    mounts: []',
    `    database: ${db(targetDb)}`,
    '',
  ].join('\n');
}

export const ENVSNAP_RESTORE_DB = 'bench_restore_envsnap';

function envsnap(ctx: ContenderContext): Contender {
  const repo = (slot: Slot) => join(ctx.dir, `envsnap-repo-${slot}`);
  const config = (slot: Slot) => join(ctx.dir, slot === 'cold' ? 'envsnap.yaml' : 'envsnap-live.yaml');
  const env = { ENVSNAP_PASSWORD: PASSWORD, BENCH_DB_PASSWORD: ctx.server.password, XDG_CACHE_HOME: join(ctx.dir, 'envsnap-cache') };
  const cli = (seconds: number, slot: Slot, ...args: string[]) => direct(seconds, [ctx.node, ctx.envsnapMain, '-c', config(slot), ...args], ctx.dir, env);
  return {
    name: 'envsnap',
    unavailable: () => {
      if (!existsSync(ctx.envsnapMain)) return `envsnap CLI not available (${ctx.envsnapMain} does not exist)`;
      const r = spawnSync(ctx.node, [ctx.envsnapMain, '--help'], { encoding: 'utf8', timeout: 60_000 });
      return r.status === 0 ? undefined : `envsnap CLI not available ("envsnap --help" failed: ${`${r.stderr}`.trim().split('\n')[0]})`;
    },
    version: () => `envsnap ${firstLine(ctx.node, [ctx.envsnapMain, '--version']).replace(/^envsnap\s*/, '')} (node ${ctx.envsnapMain.replace(`${ROOT}/`, '')} on Node ${firstLine(ctx.node, ['--version'])})`,
    describe: () => ({ snapshot: 'envsnap -c envsnap.yaml -e bench snapshot:create --live', restore: 'envsnap -c envsnap.yaml -e bench snapshot:restore latest --target restore --only database --yes' }),
    prepare: (slot) => {
      rmSync(repo(slot), { recursive: true, force: true });
      writeFileSync(config(slot), envsnapConfig(ctx, slot, repo(slot), ENVSNAP_RESTORE_DB));
      return [cli(300, slot, 'init')];
    },
    snapshot: (slot) => cli(ctx.snapshotTimeoutS, slot, '-e', 'bench', '--json', 'snapshot:create', '--live'),
    outputBytes: (slot) => sizeOf(repo(slot)),
    discard: (slot) => rmSync(repo(slot), { recursive: true, force: true }),
    restore: () => cli(ctx.restoreTimeoutS, 'cold', '-e', 'bench', 'snapshot:restore', 'latest', '--target', 'restore', '--only', 'database', '--yes'),
    checkOutput: (phase, stdout) => {
      if (phase !== 'snapshot') return;
      const trimmed = stdout.trim();
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch {
        try {
          parsed = JSON.parse(trimmed.split('\n').at(-1) ?? '');
        } catch {
          parsed = undefined;
        }
      }
      if (typeof (parsed as { snapshotId?: unknown } | undefined)?.snapshotId !== 'string') throw new Error(`snapshot:create --json printed no snapshotId: ${trimmed.slice(0, 200)}`);
    },
  };
}

export function makeContender(name: ContenderName, ctx: ContenderContext): Contender {
  return name === 'mariadb-dump' ? mariadbDump(ctx) : name === 'mydumper' ? mydumper(ctx) : envsnap(ctx);
}

/** The database a contender restores into. */
export function restoreDbFor(name: ContenderName): string {
  return name === 'envsnap' ? ENVSNAP_RESTORE_DB : `bench_restore_${name.replace(/-/g, '_')}`;
}

export { ROOT };
