/**
 * A stand-in for the CLI in the signal tests: holds maintenance mode on around a long wait, with the
 * CLI's signal handling (SIGINT/SIGTERM → endAllMaintenance(), then exit 130). Prints "on" once the
 * work inside maintenance has started, and on a signal whether endAllMaintenance() left the flag or
 * marker in place ("ended: still on" / "ended: off"), so a test can tell its work from the exit
 * handlers' last resort.
 *
 *   node hold-maintenance.ts flag <flag path> [wait|exit]   exit: process.exit(3) inside the work
 *   node hold-maintenance.ts command <folder>               on: touch maint.on, off: rm maint.on
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../../core/clock.ts';
import { silentLogger } from '../../../core/logger.ts';
import { maintenanceMode, type MaintenanceSettings } from '../maintenance-mode.ts';
import { endAllMaintenance, withMaintenance } from '../with-maintenance.ts';

const [kind, where, then = 'wait'] = process.argv.slice(2);
const settings: MaintenanceSettings = kind === 'flag' ? { kind: 'flag', flag: where } : { kind: 'command', on: 'touch maint.on', off: 'rm maint.on', cwd: where };

const marker = kind === 'flag' ? where : join(where, 'maint.on');

const stop = (): void => {
  void endAllMaintenance().finally(() => {
    process.stdout.write(`ended: ${existsSync(marker) ? 'still on' : 'off'}\n`);
    process.exit(130);
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

await withMaintenance(
  maintenanceMode(settings, { logger: silentLogger }),
  async () => {
    process.stdout.write('on\n');
    if (then === 'exit') process.exit(3);
    await new Promise((resolve) => setTimeout(resolve, 600_000));
  },
  { logger: silentLogger, clock: systemClock },
);
