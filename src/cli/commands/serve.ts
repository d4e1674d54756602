/**
 * `envsnap serve`: the HTTP API and the web console of the project, with its scheduler running inside.
 */
import type { Command } from 'commander';
import { EnvsnapError } from '../../core/errors.ts';
import { DEFAULT_LISTEN, startServer } from '../../server/server.ts';
import { stateFileFor } from '../../state/state-db.ts';
import { Session } from '../session.ts';
import { printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (/api/v1) and the web console, and run the automatic snapshots on their schedules')
    .option('--listen <host:port>', 'address to listen on', DEFAULT_LISTEN)
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (required to listen on a non-loopback address)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--no-scheduler', 'do not take automatic snapshots (run "envsnap scheduler" elsewhere)')
    .addHelpText(
      'after',
      `
Users, roles, API tokens, sessions and the activity history are kept in .envsnap/state/server.db
beside envsnap.yaml; snapshots stay in the repository, which remains the source of truth. Create the
first admin with "envsnap user:add NAME --role admin" before logging in. Scripts authenticate with
"Authorization: Bearer TOKEN" (envsnap token:create); the API is described in docs/openapi.yaml.

The server binds to loopback by default. To listen on another address, give --tls-cert and --tls-key
(or keep it on loopback behind a TLS-terminating proxy).`,
    )
    .action(async (opts: { listen: string; tlsCert?: string; tlsKey?: string; scheduler: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const project = await s.project();
      if (!project) throw new EnvsnapError('CONFIG', 'the server needs a project configuration: run it where envsnap.yaml is, or pass --config FILE');
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new EnvsnapError('INVALID_ARGUMENT', 'give both --tls-cert and --tls-key, or neither');
      const server = await startServer({
        project,
        repo: await s.repoRef(),
        clock: s.ctx.clock,
        logger: s.ctx.logger,
        listen: opts.listen,
        tls: opts.tlsCert && opts.tlsKey ? { certFile: opts.tlsCert, keyFile: opts.tlsKey } : undefined,
        scheduler: opts.scheduler,
      });
      printLine(`envsnap serving ${project.project} on ${server.url} (state: ${stateFileFor(project.file)})`);
      // Runs until SIGINT/SIGTERM: the CLI's handler ends maintenance mode and releases locks; activities
      // cut short are marked failed at the next start.
      await new Promise<never>(() => {});
    });
}
