/**
 * CommandMaintenance: maintenance mode by a pair of shell commands (`bin/magento maintenance:enable`
 * and `:disable`, a load balancer's API call), run with `sh -c` in the shop's folder, each with a
 * time limit.
 *
 * The commands' text may hold credentials (a token in a curl call), so messages name only the program
 * and its exit status; the full text and the output go to debug logs. A failing on-command is not
 * followed by the off-command: envsnap cannot tell whether it switched anything on, and running
 * off could end a maintenance an admin had started. While on, a synchronous `exit` handler runs the
 * off-command as a last resort, so a process.exit() elsewhere does not leave the shop down.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { EnvsnapError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { MaintenanceMode } from './maintenance-mode.ts';
import { commandName, runShell, type ShellResult } from './run-shell.ts';

export interface CommandSettings {
  on: string;
  off: string;
  cwd: string;
}

export class CommandMaintenance implements MaintenanceMode {
  readonly description: string;
  private readonly settings: CommandSettings;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private isOn = false;
  private switchingOff: Promise<void> | undefined;
  private readonly offAtExit = (): void => {
    if (!this.isOn) return;
    spawnSync('sh', ['-c', this.settings.off], { cwd: this.settings.cwd, stdio: 'ignore', timeout: this.timeoutMs });
  };

  /** Checks the setting now (CONFIG), so a wrong folder fails before any source is touched. */
  constructor(settings: CommandSettings, opts: { logger: Logger; timeoutMs: number }) {
    this.settings = settings;
    this.logger = opts.logger;
    this.timeoutMs = opts.timeoutMs;
    this.description = `command ${commandName(settings.on)} in ${settings.cwd}`;
    if (!isAbsolute(settings.cwd) || !existsSync(settings.cwd)) {
      throw new EnvsnapError('CONFIG', `the folder ${settings.cwd} for the maintenance commands does not exist or is not absolute; fix maintenance.cwd in envsnap.yaml`);
    }
  }

  async on(): Promise<void> {
    if (this.isOn) return;
    const r = await this.run('on', this.settings.on);
    if (!succeeded(r)) {
      throw new EnvsnapError(
        'SOURCE_FAILED',
        `maintenance on-command "${commandName(this.settings.on)}" ${failure(r, this.timeoutMs)}; the snapshot did not start — run maintenance.on from envsnap.yaml by hand in ${this.settings.cwd} to see why`,
      );
    }
    this.isOn = true;
    process.on('exit', this.offAtExit);
  }

  off(): Promise<void> {
    this.switchingOff ??= this.switchOff().finally(() => {
      this.switchingOff = undefined;
    });
    return this.switchingOff;
  }

  private async switchOff(): Promise<void> {
    if (!this.isOn) return;
    let r = await this.run('off', this.settings.off);
    if (!succeeded(r)) {
      this.logger.debug(`maintenance off-command ${failure(r, this.timeoutMs)}; trying once more`);
      r = await this.run('off', this.settings.off);
    }
    if (!succeeded(r)) {
      const message = `maintenance mode is still ON: the off-command "${commandName(this.settings.off)}" ${failure(r, this.timeoutMs)} twice; switch it off by hand by running maintenance.off from envsnap.yaml in ${this.settings.cwd}`;
      this.logger.warn(message);
      throw new EnvsnapError('SOURCE_FAILED', message);
    }
    this.isOn = false;
    process.removeListener('exit', this.offAtExit);
  }

  private async run(which: 'on' | 'off', command: string): Promise<ShellResult> {
    this.logger.debug(`maintenance ${which}: sh -c ${JSON.stringify(command)} in ${this.settings.cwd}`);
    const r = await runShell(command, { cwd: this.settings.cwd, timeoutMs: this.timeoutMs });
    if (r.output.trim() !== '') this.logger.debug(`maintenance ${which} output: ${r.output.trim()}`);
    return r;
  }
}

function succeeded(r: ShellResult): boolean {
  return !r.timedOut && r.spawnError === undefined && r.code === 0;
}

/** How a command failed, without its text: "exited with code 2", "timed out after 60 s". */
function failure(r: ShellResult, timeoutMs: number): string {
  if (r.spawnError) return `could not be started (${r.spawnError.message})`;
  if (r.timedOut) return `did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`;
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with code ${r.code}`;
}
