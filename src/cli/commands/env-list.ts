/** `envsnap env:list`: the environments of envsnap.yaml with their type, plan, root and sources. */
import type { Command } from 'commander';
import { loadProjectConfig, type EnvironmentConfig } from '../../config/project-config.ts';
import { Session } from '../session.ts';
import { printJson, printTable } from '../render.ts';

export function register(program: Command): void {
  program
    .command('env:list')
    .description('list the environments of the project configuration (./envsnap.yaml or --config FILE)')
    .action(async (_opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { config } = cmd.optsWithGlobals() as { config?: string };
      const cfg = await loadProjectConfig({ file: config, cwd: process.cwd() });
      const envs = [...cfg.environments.values()];
      if (s.out.json) {
        // Secrets serialise as their source ({env}, {file}, or a redacted inline marker), never a value.
        printJson(envs);
        return;
      }
      printTable(
        ['Name', 'Type', 'Plan', 'Root', 'Sources'],
        envs.map((e) => [e.name, e.type, e.plan, e.root, sources(e)]),
      );
    });
}

/** `mysql(default,checkout) redis(cache,sessions) files(var,pub/media)` */
function sources(e: EnvironmentConfig): string {
  const group = (kind: string, ids: string[]) => (ids.length ? [`${kind}(${ids.join(',')})`] : []);
  return [
    ...group('mysql', e.databases.filter((d) => d.kind === 'mysql').map((d) => d.id)),
    ...group('sqlite', e.databases.filter((d) => d.kind === 'sqlite').map((d) => d.id)),
    ...group('redis', e.redis.map((r) => r.id)),
    ...group('files', e.mounts),
  ].join(' ') || '-';
}
