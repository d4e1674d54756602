/**
 * Passwords come from a --password-file, ENVSNAP_PASSWORD, or a prompt on a terminal (in that order) — never from
 * a command-line value, which other users could read in the process list.
 */
import { readFileSync } from 'node:fs';
import { EnvsnapError } from '../core/errors.ts';

export async function readPassword(opts: { passwordFile?: string }, purpose = 'repository password', envName = 'ENVSNAP_PASSWORD', confirm = false): Promise<string> {
  const given = givenPassword(opts, envName);
  if (given !== undefined) return given;
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const pw = await prompt(`enter ${purpose}: `);
    if (confirm && (await prompt(`enter ${purpose} again: `)) !== pw) {
      throw new EnvsnapError('INVALID_ARGUMENT', 'the passwords do not match: run again');
    }
    return pw;
  }
  throw new EnvsnapError('INVALID_ARGUMENT', `no ${purpose}: set ${envName}, use --password-file FILE, or run on a terminal to be asked`);
}

/** The password from --password-file or the environment variable, if either gives one: no prompt. */
export function givenPassword(opts: { passwordFile?: string }, envName = 'ENVSNAP_PASSWORD'): string | undefined {
  // An explicit --password-file wins over the ambient environment variable.
  if (opts.passwordFile) {
    try {
      return readFileSync(opts.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new EnvsnapError('INVALID_ARGUMENT', `cannot read password file ${opts.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const fromEnv = process.env[envName];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          reject(new EnvsnapError('INTERRUPTED', 'interrupted'));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}
