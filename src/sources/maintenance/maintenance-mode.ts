/**
 * Maintenance mode: what switches a shop into maintenance (visitors get a "back soon" page, cron and
 * queue consumers stop writing) for the short moment its sources are pinned, and back out again.
 *
 * Three kinds: a flag file the shop checks on every request (Magento's `var/.maintenance.flag`), a
 * pair of shell commands (`bin/magento maintenance:enable`/`:disable`, a load balancer's API), or none.
 * Use them through withMaintenance(), which guarantees the mode goes off again.
 */
import { EnvsnapError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { CommandMaintenance } from './command-maintenance.ts';
import { FlagMaintenance } from './flag-maintenance.ts';

export type MaintenanceSettings =
  | { kind: 'flag'; /** Absolute path of the flag file, e.g. Magento's var/.maintenance.flag. */ flag: string }
  | { kind: 'command'; on: string; off: string; /** Folder the commands run in (the shop's root). */ cwd: string }
  | { kind: 'none' };

export interface MaintenanceMode {
  /** For logs and messages ("flag /var/www/shop/var/.maintenance.flag"); never holds a command's text. */
  readonly description: string;
  /**
   * Switches maintenance on; resolves once the shop is in maintenance. Rejects (CONFIG for a wrong
   * setting, SOURCE_FAILED for a failing command) without anything left to switch off. Calling it
   * while on is a no-op.
   */
  on(): Promise<void>;
  /**
   * Switches maintenance off again if on() switched it on: idempotent, and safe to call concurrently
   * (the calls share one attempt). A failed attempt is retried once; if that fails too, it logs a
   * warning saying how to switch it off by hand and rejects.
   */
  off(): Promise<void>;
}

export interface MaintenanceModeOptions {
  logger: Logger;
  /** Time limit of each on/off command (default 60 s). */
  commandTimeoutMs?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** A mode from settings; rejects settings that cannot work (CONFIG) before anything is switched. */
export function maintenanceMode(settings: MaintenanceSettings, opts: MaintenanceModeOptions): MaintenanceMode {
  switch (settings.kind) {
    case 'flag':
      return new FlagMaintenance(settings.flag, opts.logger);
    case 'command':
      if (settings.on.trim() === '' || settings.off.trim() === '') {
        throw new EnvsnapError('CONFIG', 'maintenance mode "command" needs both an on and an off command; set maintenance.on and maintenance.off in envsnap.yaml');
      }
      return new CommandMaintenance(settings, { logger: opts.logger, timeoutMs: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS });
    case 'none':
      return noMaintenance;
  }
}

const noMaintenance: MaintenanceMode = {
  description: 'none',
  async on() {},
  async off() {},
};
