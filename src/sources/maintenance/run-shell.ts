/**
 * runShell: runs one user-configured command line with `sh -c`, in a folder, with a time limit.
 *
 * The command gets its own process group, so the time limit kills everything it started (a plain
 * kill would hit only `sh` and leave its children holding the output pipes open), and so a Ctrl-C
 * meant for envsnap does not also cut off an off-command that envsnap's own handler is running.
 */
import { spawn } from 'node:child_process';

export interface ShellResult {
  /** Exit code, or null when the command was ended by a signal (or by the time limit). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last few KiB of stdout and stderr, interleaved; for debug logs only (it may hold secrets). */
  output: string;
  /** Set when the shell could not be started at all (missing folder, no `sh`). */
  spawnError?: Error;
}

const OUTPUT_TAIL = 4096;
/** How long to wait for the output pipes to close after killing a command that ran out of time. */
const KILL_GRACE_MS = 2000;

export function runShell(command: string, opts: { cwd: string; timeoutMs: number }): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const settle = (r: Omit<ShellResult, 'output' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ ...r, timedOut, output });
    };
    const collect = (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let grace: NodeJS.Timeout | undefined;
    let graceOver = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
      // The pipes close once every killed process has died; a process that left the group (setsid)
      // may hold them forever, so do not wait for that longer than a moment.
      grace = setTimeout(() => {
        graceOver = true;
        if (exit) settle(exit);
      }, KILL_GRACE_MS);
    }, opts.timeoutMs);
    child.on('error', (err) => settle({ code: null, signal: null, spawnError: err }));
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (graceOver) settle(exit);
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => settle({ code, signal }));
  });
}

/**
 * The program a command line runs ("bin/magento"), for messages: the command text itself may hold
 * a password, so only this is shown outside debug logs. Leading `NAME=value` assignments are skipped.
 */
export function commandName(command: string): string {
  // Shell words: runs of plain characters and quoted strings ('a b' or "a b" stays one word).
  const words = command.match(/(?:'[^']*'|"[^"]*"|[^\s'"])+/g) ?? [];
  const first = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) ?? 'sh';
  return first.replace(/'([^']*)'|"([^"]*)"/g, '$1$2');
}
