/** `envsnap key:list|key:add|key:remove|key:passwd`: the passwords that open a repository. */
import type { Command } from 'commander';
import { resolveIdPrefix } from '../../core/ids.ts';
import { readPassword } from '../password.ts';
import { Session } from '../session.ts';
import { printJson, printLine, printTable } from '../render.ts';

function newPassword(s: Session, opts: { newPasswordFile?: string }): Promise<string> {
  return readPassword({ passwordFile: opts.newPasswordFile }, 'new password', 'ENVSNAP_NEW_PASSWORD', true);
}

const NEW_PW_HELP = '\nThe new password comes from ENVSNAP_NEW_PASSWORD, --new-password-file, or a prompt.';

export function register(program: Command): void {
  program
    .command('key:list')
    .description('list the keys (passwords) that open the repository')
    .action(async (_opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const keys = await s.withRepo((repo) => repo.listKeys());
      if (s.out.json) return printJson(keys);
      printTable(['', 'Key ID', 'Created', 'Host', 'User'], keys.map((k) => [k.current ? '*' : '', k.id.slice(0, 8), k.created, k.hostname, k.username]));
    });

  program
    .command('key:add')
    .description('add a key: another password that opens the repository')
    .option('--new-password-file <file>', 'read the new password from a file')
    .addHelpText('after', NEW_PW_HELP)
    .action(async (opts: { newPasswordFile?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const id = await s.withRepo(async (repo) => repo.addKey(await newPassword(s, opts)));
      if (s.out.json) return printJson({ keyId: id });
      printLine(`added key ${id.slice(0, 8)}`);
    });

  program
    .command('key:remove')
    .argument('<id>', 'key id or unique prefix (see key:list)')
    .description('remove a key; the key in use (the password given) cannot remove itself')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const id = await s.withRepo(async (repo) => {
        const keyId = resolveIdPrefix(ref, (await repo.listKeys()).map((k) => k.id), 'key');
        await repo.removeKey(keyId);
        return keyId;
      });
      if (s.out.json) return printJson({ removed: id });
      printLine(`removed key ${id.slice(0, 8)}`);
    });

  program
    .command('key:passwd')
    .description('change the password of the key in use (a new key replaces it)')
    .option('--new-password-file <file>', 'read the new password from a file')
    .addHelpText('after', NEW_PW_HELP)
    .action(async (opts: { newPasswordFile?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const id = await s.withRepo(async (repo) => repo.changePassword(await newPassword(s, opts)));
      if (s.out.json) return printJson({ keyId: id });
      printLine(`password changed (new key ${id.slice(0, 8)})`);
    });
}
