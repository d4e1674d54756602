/** `envsnap policy:show`: every effective policy value of an environment and where it was set. */
import type { Command } from 'commander';
import { describePolicy } from '../../policy/describe.ts';
import { Session } from '../session.ts';
import { printJson, printLine, printTable } from '../render.ts';

export function register(program: Command): void {
  program
    .command('policy:show')
    .description('show the snapshot policy of an environment: each value and where it comes from (plan preset or envsnap.yaml)')
    .addHelpText('after', '\nUse the global --env NAME to choose the environment (default: the only one).')
    .action(async (_opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { env } = await s.environment();
      const lines = describePolicy(env.policy);
      if (s.out.json) return printJson({ environment: env.name, plan: env.plan, type: env.type, values: lines });
      printLine(`policy of ${env.name} (${env.plan} plan, ${env.type})`);
      printTable(['Setting', 'Value', 'Origin'], lines.map((l) => [l.key, l.value, l.origin]));
    });
}
