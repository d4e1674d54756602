/**
 * FlagMaintenance: maintenance mode by a flag file the shop checks on every request (Magento's
 * `var/.maintenance.flag`; an empty file is enough, and `var/.maintenance.ip` is left alone).
 *
 * A flag that already exists when on() runs means an admin put the shop into maintenance: it is left
 * in place afterwards. A flag this process created is removed by off(), and, as a last resort, by a
 * synchronous `exit` handler, so even a process.exit() elsewhere cannot leave the shop down.
 *
 * The flag envsnap creates says who made it (`envsnap <pid> <host>`; Magento only checks that the file
 * exists). A flag left by an envsnap process that no longer runs — killed with SIGKILL, or a machine
 * crash — is recognised by the next run and treated as its own, so it is switched off afterwards
 * instead of keeping the shop down for good.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, isAbsolute } from 'node:path';
import { EnvsnapError, errnoCode } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { MaintenanceMode } from './maintenance-mode.ts';

export class FlagMaintenance implements MaintenanceMode {
  readonly description: string;
  private readonly flag: string;
  private readonly logger: Logger;
  /** True while a flag this process created is in place. */
  private created = false;
  private switchingOff: Promise<void> | undefined;
  private readonly removeAtExit = (): void => {
    if (!this.created) return;
    try {
      unlinkSync(this.flag);
      this.created = false;
    } catch {
      // Nothing more can be done while exiting; off() has already warned if it failed before.
    }
  };

  /** Checks the setting now (CONFIG), so a wrong path fails before any source is touched. */
  constructor(flag: string, logger: Logger) {
    this.flag = flag;
    this.logger = logger;
    this.description = `flag ${flag}`;
    if (!isAbsolute(flag)) throw new EnvsnapError('CONFIG', `maintenance flag ${flag} is not an absolute path; give the full path in envsnap.yaml`);
    this.checkFolder(existsSync(dirname(flag)) && statSync(dirname(flag)).isDirectory());
  }

  async on(): Promise<void> {
    if (this.created) return;
    // Checked again: the folder may have gone since the settings were read.
    this.checkFolder(await stat(dirname(this.flag)).then((s) => s.isDirectory(), () => false));
    try {
      await this.createFlag();
      this.created = true;
    } catch (err) {
      if (errnoCode(err) === 'EEXIST' && (await this.leftByDeadRun())) {
        this.logger.warn(`maintenance flag ${this.flag} was left by an envsnap run that no longer runs; it is switched off after this run`);
        this.created = true;
      } else if (errnoCode(err) === 'EEXIST') {
        this.logger.info(`maintenance flag ${this.flag} was already there (the shop was already in maintenance); it stays after the snapshot`);
        return;
      } else {
        throw new EnvsnapError('IO', `cannot create maintenance flag ${this.flag} (${errnoCode(err) ?? String(err)}); check that envsnap may write to ${dirname(this.flag)}`, { cause: err });
      }
    }
    process.on('exit', this.removeAtExit);
  }

  /**
   * Creates the flag with its owner line in one step: written to a temp file beside it, then hard
   * linked to the flag's name, which fails if a flag exists (an admin's is never taken over). The
   * flag is never seen empty, so a run killed at any moment leaves one the next run recognises.
   */
  private async createFlag(): Promise<void> {
    const tmp = `${this.flag}.envsnap-${process.pid}.tmp`;
    const owner = `envsnap ${process.pid} ${hostname()}\n`;
    await writeFile(tmp, owner);
    try {
      await link(tmp, this.flag);
    } catch (err) {
      // A file system without hard links: create-if-absent, then write (a short window without the owner line).
      if (errnoCode(err) !== 'EPERM' && errnoCode(err) !== 'ENOTSUP' && errnoCode(err) !== 'EOPNOTSUPP') throw err;
      await writeFile(this.flag, owner, { flag: 'wx' });
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  /** Whether the existing flag was written by an envsnap process of this host that has gone. */
  private async leftByDeadRun(): Promise<boolean> {
    const text = await readFile(this.flag, 'utf8').catch(() => '');
    const m = /^envsnap (\d+) (\S+)\n?$/.exec(text);
    if (!m || m[2] !== hostname() || Number(m[1]) === process.pid) return false;
    try {
      process.kill(Number(m[1]), 0);
      return false; // still running: another snapshot holds maintenance mode
    } catch (err) {
      return errnoCode(err) === 'ESRCH';
    }
  }

  off(): Promise<void> {
    this.switchingOff ??= this.removeFlag().finally(() => {
      this.switchingOff = undefined;
    });
    return this.switchingOff;
  }

  private async removeFlag(): Promise<void> {
    if (!this.created) return;
    let last: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await unlink(this.flag);
        last = undefined;
        break;
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') {
          last = undefined;
          break;
        }
        last = err;
      }
    }
    if (last !== undefined) {
      const message = `maintenance mode is still ON: the flag ${this.flag} could not be removed (${errnoCode(last) ?? String(last)}); delete it by hand (rm ${this.flag}) to bring the shop back`;
      this.logger.warn(message);
      throw new EnvsnapError('IO', message, { cause: last });
    }
    this.created = false;
    process.removeListener('exit', this.removeAtExit);
  }

  private checkFolder(exists: boolean): void {
    if (!exists) {
      throw new EnvsnapError(
        'CONFIG',
        `the folder of maintenance flag ${this.flag} does not exist; the flag must be in the shop's var/ folder — fix maintenance.flag in envsnap.yaml`,
      );
    }
  }
}
