/** `envsnap init`: create a repository. */
import type { Command } from 'commander';
import { initRepository } from '../../app/open-repository.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('init')
    .description('create a new, empty repository at --repo / ENVSNAP_REPO, encrypted with the password')
    .addHelpText('after', '\nThe password comes from ENVSNAP_PASSWORD, --password-file, or a prompt. Keep it safe: without it the data cannot be read.')
    .action(async (_opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const repo = await initRepository(s.ctx, await s.repoRef(true));
      try {
        if (s.out.json) printJson({ repository: repo.store.location, id: repo.config.id, keyId: repo.keyId });
        else printLine(`created repository ${repo.config.id.slice(0, 10)} at ${repo.store.location}`);
      } finally {
        await repo.close();
      }
    });
}
