/**
 * Measuring one command: `sync`, then the command under GNU time (`/usr/bin/time -f '%e %M %U %S'`) for
 * wall seconds, peak RSS and CPU time; its stdout and stderr go to log files kept in the work directory.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from './tools.ts';

export interface Measurement {
  wallS: number;
  peakRssKb: number;
  cpuS: number;
}

export class CommandFailed extends Error {}

function tail(path: string, chars: number): string {
  const text = readFileSync(path, 'utf8');
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

/** Runs `command` timed; `logBase` gets `.out`, `.err` and `.time` suffixes. Throws CommandFailed on failure. */
export function measure(command: Command, logBase: string): Measurement & { stdout: string } {
  spawnSync('sync');
  const out = openSync(`${logBase}.out`, 'w');
  const err = openSync(`${logBase}.err`, 'w');
  let status: number | null;
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', `${logBase}.time`, command.cmd, ...command.args], {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ['ignore', out, err],
    });
    if (r.error) throw new CommandFailed(`${command.cmd}: ${r.error.message}`);
    status = r.status;
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const stdout = readFileSync(`${logBase}.out`, 'utf8');
  if (status !== 0) {
    const shown = `${basename(command.cmd)} ${command.args.join(' ')}`;
    throw new CommandFailed(`"${shown}" exited with status ${status}: ${tail(`${logBase}.err`, 600).trim() || tail(`${logBase}.out`, 600).trim()}`);
  }
  // GNU time may put a "Command exited with…" line first; the format line is the last one.
  const fields = readFileSync(`${logBase}.time`, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  const [wallS, peakRssKb, userS, sysS] = fields;
  return { wallS, peakRssKb, cpuS: userS + sysS, stdout };
}
