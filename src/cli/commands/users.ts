/**
 * `envsnap user:add|user:list|user:remove|user:passwd` and `token:create`: the server's users, kept in
 * the project's state database (.envsnap/state/server.db). Work with or without a running server.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EnvsnapError } from '../../core/errors.ts';
import { ROLES } from '../../server/rbac.ts';
import { openState } from '../../server/server.ts';
import { checkEnvironmentNames } from '../../server/users.ts';
import { stateFileFor } from '../../state/state-db.ts';
import { allEnvArgs } from '../env-args.ts';
import { readPassword } from '../password.ts';
import { printJson, printLine, printTable } from '../render.ts';
import { Session } from '../session.ts';


async function withState<T>(s: Session, fn: (st: ReturnType<typeof openState>, envs: string[]) => Promise<T>): Promise<T> {
  const project = await s.project();
  if (!project) throw new EnvsnapError('CONFIG', 'users belong to a project: run this where envsnap.yaml is, or pass --config FILE');
  const st = openState(stateFileFor(project.file), s.ctx.clock);
  try {
    return await fn(st, [...project.environments.keys()]);
  } finally {
    st.db.close();
  }
}

/** The new password: one line of stdin with --password-stdin, else a prompt (asked twice) on a terminal. */
async function newPassword(opts: { passwordStdin?: boolean }, who: string): Promise<string> {
  if (opts.passwordStdin) {
    const text = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    if (!text) throw new EnvsnapError('INVALID_ARGUMENT', '--password-stdin: nothing was read from stdin');
    return text;
  }
  return readPassword({}, `password for ${who}`, 'ENVSNAP_USER_PASSWORD', true);
}

export function register(program: Command): void {
  program
    .command('user:add')
    .argument('<name>', 'user name (letters, digits, . _ - @)')
    .description('add a user of the server and the console')
    .requiredOption('--role <role>', `${ROLES.join(', ')}`)
    .option('--password-stdin', 'read the password from stdin (else asked on the terminal, or $ENVSNAP_USER_PASSWORD)')
    .option('--no-password', 'a user without a password, for API tokens only')
    .addHelpText(
      'after',
      `
-e/--env ENV (repeatable) limits the role to those environments; without it the role applies to
every environment of the project.

Roles, per environment: viewer lists snapshots and activities; contributor may also take snapshots;
admin may also restore, delete, pin, export, expire and manage users (admins of every environment).
There is no default user or password: create the first admin here.`,
    )
    .action(async (name: string, opts: { role: string; passwordStdin?: boolean; password: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const environments = allEnvArgs();
      await withState(s, async (st, envs) => {
        checkEnvironmentNames(environments, envs);
        const password = opts.password ? await newPassword(opts, name) : undefined;
        const u = await st.users.add({ name, role: opts.role, environments, password });
        st.audit.record({ action: 'user.add', target: name, outcome: 'ok', detail: `cli: role ${u.role}` });
        if (s.out.json) return printJson(u);
        printLine(`added ${u.role} ${name}${u.environments.length ? ` on ${u.environments.join(', ')}` : ' on every environment'}`);
      });
    });

  program
    .command('user:list')
    .description('list the users of the server with their roles')
    .action(async (_o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      await withState(s, async (st) => {
        const users = st.users.list();
        if (s.out.json) return printJson(users);
        printTable(
          ['Name', 'Role', 'Environments', 'Password', 'Tokens', 'Created'],
          users.map((u) => [u.name, u.role, u.environments.length ? u.environments.join(', ') : 'all', u.hasPassword ? 'yes' : 'no', String(u.tokens), new Date(u.createdAt).toISOString().slice(0, 16).replace('T', ' ')]),
        );
      });
    });

  program
    .command('user:remove')
    .argument('<name>')
    .description('remove a user with their tokens and sessions')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      await withState(s, async (st) => {
        st.users.remove(name);
        st.audit.record({ action: 'user.remove', target: name, outcome: 'ok', detail: 'cli' });
        if (!s.out.quiet) printLine(`removed ${name}`);
      });
    });

  program
    .command('user:passwd')
    .argument('<name>')
    .description("change a user's password (ends their console sessions)")
    .option('--password-stdin', 'read the new password from stdin (else asked on the terminal, or $ENVSNAP_USER_PASSWORD)')
    .action(async (name: string, opts: { passwordStdin?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      await withState(s, async (st) => {
        if (!st.users.get(name)) throw new EnvsnapError('NOT_FOUND', `no user named ${name}: see envsnap user:list`);
        await st.users.setPassword(name, await newPassword(opts, name));
        st.audit.record({ action: 'user.passwd', target: name, outcome: 'ok', detail: 'cli' });
        if (!s.out.quiet) printLine(`changed the password of ${name}`);
      });
    });

  program
    .command('token:create')
    .description('create an API token for scripts (Authorization: Bearer TOKEN); it is printed once and stored hashed')
    .requiredOption('--user <name>', 'the user the token acts as (with that user\'s role)')
    .option('--label <text>', 'what the token is for')
    .action(async (opts: { user: string; label?: string }, cmd: Command) => {
      const s = new Session(cmd);
      await withState(s, async (st) => {
        const t = st.users.createToken(opts.user, opts.label);
        st.audit.record({ user: opts.user, action: 'token.create', target: t.id, outcome: 'ok', detail: 'cli' });
        if (s.out.json) return printJson({ id: t.id, user: opts.user, token: t.token });
        printLine(t.token);
        process.stderr.write('this token is shown once: keep it in a secret store (e.g. ENVSNAP_TOKEN for "envsnap --server URL ...")\n');
      });
    });
}
