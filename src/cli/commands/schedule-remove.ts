/** `envsnap -e ENV schedule:remove ID`: removes a schedule from the environment's `schedules:` list in envsnap.yaml (comments kept). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CONFIG_FILE_NAME } from '../../config/file-name.ts';
import { removeSchedule } from '../../scheduler/edit-schedules.ts';
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
      const r = await removeSchedule(file, globals.env, id);
      if (s.out.json) return printJson({ file, environment: r.environment, id, removed: true, remaining: r.remaining });
      if (s.out.quiet) return;
      printLine(`removed schedule ${id} of ${r.environment} from ${file}${r.remaining === 0 ? ` (${r.environment} has no scheduled snapshots now)` : ''}`);
    });
}
