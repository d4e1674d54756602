/**
 * The backup tools under test as adapters (init / snapshot / restore commands, version, settings) and the
 * installation of restic, borg and GNU time from Debian's packages when they are missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type ToolName = 'envsnap' | 'restic' | 'borg';
export const TOOL_NAMES: readonly ToolName[] = ['envsnap', 'restic', 'borg'];

export interface Command {
  cmd: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface Adapter {
  name: ToolName;
  /** Why the tool cannot run here, or undefined when it can. */
  unavailable(): string | undefined;
  version(): string;
  /** The options the tool runs with, for the report. */
  settings(): string;
  init(): Command;
  /** Backs up the current directory `dataDir` as snapshot number `n`. */
  snapshot(n: number, dataDir: string): Command;
  /** Restores the latest snapshot into the empty directory `target`. */
  restore(target: string): Command;
  /** Throws when a successful command's output does not match the tool's contract. */
  checkOutput(phase: 'init' | 'snapshot' | 'restore', stdout: string): void;
}

/** Where a tool keeps its repository and its local cache/config (both recreated each run). */
export interface ToolDirs {
  repo: string;
  cache: string;
}

const PASSWORD = 'bench-password-not-secret';
const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules/.bin/node');
/** The envsnap CLI entry point; BENCH_ENVSNAP_MAIN points the benchmark at another checkout's (or a stand-in). */
const ENVSNAP_MAIN = process.env.BENCH_ENVSNAP_MAIN ?? join(ROOT, 'bin/envsnap.js');

function output(cmd: string, args: string[]): { ok: boolean; text: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, text: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || String(r.error ?? '') };
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

function restic(dirs: ToolDirs): Adapter {
  const env = { RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: dirs.cache };
  const command = (cwd: string, ...args: string[]): Command => ({ cmd: 'restic', args: ['-r', dirs.repo, ...args], cwd, env });
  // Repository format v2 (compression) arrived in restic 0.14; its default compression mode is "auto".
  const compression = () => output('restic', ['init', '--help']).text.includes('--repository-version');
  return {
    name: 'restic',
    unavailable: () => (onPath('restic') ? undefined : 'restic is not installed'),
    version: () => firstLine(output('restic', ['version']).text),
    settings: () => (compression() ? 'repository v2, compression auto (default), AES-256 + Poly1305' : 'repository v1 (no compression), AES-256 + Poly1305'),
    init: () => (compression() ? command(ROOT, 'init', '--repository-version', '2') : command(ROOT, 'init')),
    snapshot: (_n, dataDir) => command(dataDir, 'backup', '.'),
    restore: (target) => command(target, 'restore', 'latest', '--target', target),
    checkOutput: () => {},
  };
}

function borg(dirs: ToolDirs): Adapter {
  const env = { BORG_PASSPHRASE: PASSWORD, BORG_BASE_DIR: dirs.cache, BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
  let last = '';
  let archives = 0;
  return {
    name: 'borg',
    unavailable: () => (onPath('borg') ? undefined : 'borg is not installed'),
    version: () => firstLine(output('borg', ['--version']).text),
    settings: () => 'encryption repokey-blake2, compression zstd,3',
    init: () => ({ cmd: 'borg', args: ['init', '--encryption=repokey-blake2', dirs.repo], cwd: ROOT, env }),
    snapshot: (n, dataDir) => {
      // Archive names are unique: a snapshot phase may run more than once.
      last = `snap${n}-${++archives}`;
      return { cmd: 'borg', args: ['create', '--compression', 'zstd,3', `${dirs.repo}::${last}`, '.'], cwd: dataDir, env };
    },
    restore: (target) => ({ cmd: 'borg', args: ['extract', `${dirs.repo}::${last}`], cwd: target, env }),
    checkOutput: () => {},
  };
}

function envsnap(dirs: ToolDirs): Adapter {
  const env = { ENVSNAP_REPO: dirs.repo, ENVSNAP_PASSWORD: PASSWORD, XDG_CACHE_HOME: dirs.cache };
  const command = (cwd: string, ...args: string[]): Command => ({ cmd: NODE, args: [ENVSNAP_MAIN, ...args], cwd, env });
  return {
    name: 'envsnap',
    unavailable: () => {
      if (!existsSync(ENVSNAP_MAIN)) return `envsnap CLI not available yet (${ENVSNAP_MAIN} does not exist)`;
      const help = output(NODE, [ENVSNAP_MAIN, '--help']);
      return help.ok ? undefined : `envsnap CLI not available yet ("envsnap --help" failed: ${firstLine(help.text)})`;
    },
    version: () => {
      const v = output(NODE, [ENVSNAP_MAIN, '--version']);
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      return v.ok && v.text !== '' ? `envsnap ${firstLine(v.text).replace(/^envsnap\s*/, '')}` : `envsnap ${pkg.version} (package.json)`;
    },
    settings: () => `defaults (node ${relative(ROOT, ENVSNAP_MAIN)} on Node ${firstLine(output(NODE, ['--version']).text)})`,
    init: () => command(ROOT, 'init'),
    snapshot: (_n, dataDir) => command(dataDir, 'snapshot:create', '.', '--json'),
    restore: (target) => command(target, 'snapshot:restore', 'latest', '--target', target, '--json'),
    checkOutput: (phase, stdout) => {
      if (phase !== 'snapshot') return;
      const trimmed = stdout.trim();
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch {
        parsed = JSON.parse(trimmed.split('\n').at(-1) ?? '');
      }
      if (typeof (parsed as { snapshotId?: unknown }).snapshotId !== 'string') {
        throw new Error(`snapshot:create --json printed no snapshotId: ${trimmed.slice(0, 200)}`);
      }
    },
  };
}

export function makeAdapter(name: ToolName, dirs: ToolDirs): Adapter {
  return name === 'restic' ? restic(dirs) : name === 'borg' ? borg(dirs) : envsnap(dirs);
}

/** Installs the Debian packages the chosen tools (and the measurement) need, when missing. */
export function ensureInstalled(tools: readonly ToolName[], progress: (message: string) => void): void {
  const packages: string[] = [];
  if (!existsSync('/usr/bin/time')) packages.push('time');
  if (!onPath('vmtouch')) packages.push('vmtouch');
  if (tools.includes('restic') && !onPath('restic')) packages.push('restic');
  if (tools.includes('borg') && !onPath('borg')) packages.push('borgbackup');
  if (packages.length === 0) return;
  progress(`installing ${packages.join(', ')} (apt-get update && apt-get install -y ${packages.join(' ')})`);
  const r = spawnSync('sh', ['-c', `apt-get update && apt-get install -y ${packages.join(' ')}`], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) progress(`installation failed (the affected tools will be reported as failed):\n${(r.stdout + r.stderr).slice(-2000)}`);
}
