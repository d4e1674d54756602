/** Confirmation before a restore replaces data: --yes, a y/N question on a terminal, or a refusal. */
import { createInterface } from 'node:readline/promises';
import { EnvsnapError } from '../core/errors.ts';

export function confirmReplace(yes: boolean): (replaced: string[]) => Promise<boolean> {
  return async (replaced) => {
    if (yes) return true;
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new EnvsnapError('TARGET_NOT_EMPTY', `the restore would replace ${replaced.join('; ')}: pass --yes to replace it`);
    }
    process.stderr.write(`This restore replaces:\n${replaced.map((l) => `  - ${l}`).join('\n')}\n`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question('Continue? [y/N] ');
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}
