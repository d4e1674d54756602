/**
 * A head start on opening the repository. Deriving the key that unwraps the master key (scrypt, about
 * 100 ms) runs on a thread of its own; started before the CLI loads the command's code, it is done
 * when the command asks for it, instead of the command waiting for it afterwards.
 *
 * Only for a command that opens a repository given without a question: the location from --repo or
 * ENVSNAP_REPO (a directory), the password from --password-file or ENVSNAP_PASSWORD. The options are
 * read here before commander parses them; a misreading costs only the head start, never a wrong
 * result: the command derives its keys as always and takes a prefetched one only when the password
 * and the key file's parameters are the same.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseKeyFile } from '../crypto/keys.ts';
import { prefetchKey } from '../crypto/kdf.ts';
import { isDirectoryLocation, TEMP_PREFIX } from '../storage/local/local-store.ts';
import { givenPassword } from './password.ts';

export function prefetchRepositoryKey(args: readonly string[]): void {
  if (args.includes('--help') || args.includes('-h') || optionValue(args, '--server') || process.env.ENVSNAP_SERVER) return;
  const location = optionValue(args, '--repo', '-r') ?? process.env.ENVSNAP_REPO;
  if (!location || !isDirectoryLocation(location)) return;
  try {
    // Only a regular file is read twice (here and by the command): a pipe such as /dev/stdin would
    // hand its contents to this read alone.
    const passwordFile = optionValue(args, '--password-file');
    if (passwordFile !== undefined && !statSync(passwordFile).isFile()) return;
    const password = givenPassword({ passwordFile });
    if (password === undefined) return;
    // The key Repository.open tries first: the first in the folder's listing order.
    const dir = join(resolve(location), 'keys');
    const name = readdirSync(dir).find((n) => !n.startsWith(TEMP_PREFIX));
    if (name === undefined) return;
    prefetchKey(password, parseKeyFile(readFileSync(join(dir, name)), name).kdf);
  } catch {
    // No repository there, an unreadable key or password file: the command reports it.
  }
}

/** The value of `--long VALUE`, `--long=VALUE` or `-s VALUE` before any `--`. */
function optionValue(args: readonly string[], long: string, short?: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (a === long || (short !== undefined && a === short)) return args[i + 1];
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
  }
  return undefined;
}
