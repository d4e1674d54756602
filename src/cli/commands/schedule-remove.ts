/** `envsnap -e ENV schedule:remove ID`: removes a schedule from the environment's `schedules:` list in envsnap.yaml (comments kept). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ConfigDocument } from '../../config/config-document.ts';
import { CONFIG_FILE_NAME, getEnvironment, loadProjectConfig } from '../../config/project-config.ts';
import type { ScheduleEntryInput } from '../../config/schema.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

export function register(program: Command): void {
  program
    .command('schedule:remove')
    .description(`remove an automatic snapshot schedule of an environment from ${CONFIG_FILE_NAME}`)
    .argument('<id>', 'the schedule id (see schedule:list)')
    .addHelpText(
      'after',
      `
Use the global -e ENV to choose the environment (default: the only one). Removing the last schedule
leaves an empty schedules: list, so the environment takes no scheduled snapshots; delete the
schedules: key to fall back to policy.automatic.schedule.`,
    )
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const globals = cmd.optsWithGlobals() as { config?: string; env?: string };
      const file = resolve(globals.config ?? CONFIG_FILE_NAME);
      const cfg = await loadProjectConfig({ file: globals.config, cwd: process.cwd() });
      const env = getEnvironment(cfg, globals.env);
      const ids = (env.schedules ?? []).map((x) => x.id);
      if (!ids.includes(id)) {
        throw new EnvsnapError('NOT_FOUND', `no schedule ${id} in environment ${env.name}${ids.length ? ` (it has ${ids.join(', ')})` : ' (it has no schedules: list)'}: see envsnap schedule:list -e ${env.name}`);
      }
      const doc = await ConfigDocument.read(file);
      if (!doc) throw new EnvsnapError('CONFIG', `configuration file ${file} does not exist: check --config`);
      const written = doc.environment(env.name)?.schedules as Record<string, unknown>[];
      const list = written.filter((e) => ((e?.id as string | undefined) ?? 'default') !== id);
      doc.setEnvironment(env.name, { schedules: list as ScheduleEntryInput[] });
      await doc.save();
      if (s.out.json) return printJson({ file, environment: env.name, id, removed: true, remaining: list.length });
      if (s.out.quiet) return;
      printLine(`removed schedule ${id} of ${env.name} from ${file}${list.length === 0 ? ` (${env.name} has no scheduled snapshots now)` : ''}`);
    });
}
