/**
 * withMaintenance and endAllMaintenance: the guarantee that a maintenance mode goes off again — after
 * success, after a failure, and on SIGINT/SIGTERM (the CLI's signal handler awaits endAllMaintenance()
 * before it exits, since a pending `finally` never runs once the process exits).
 *
 * A failing off does not throw: by then the work inside succeeded (the sources are pinned), and
 * throwing would throw that away. The mode has already logged a warning saying how to switch it off by
 * hand; the result carries `offFailed: true` so the caller can end with a non-zero status and repeat
 * the warning where the user looks last.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { MaintenanceMode } from './maintenance-mode.ts';

export interface MaintenanceOutcome<T> {
  result: T;
  /** How long the shop was in maintenance: from switching on to switched off again, by the injected clock. */
  onMs: number;
  /** The mode could not be switched off; the shop is still in maintenance (already logged as a warning). */
  offFailed: boolean;
}

/** Modes being switched on or on, each with its on() attempt, for endAllMaintenance(). */
const active = new Map<MaintenanceMode, Promise<void>>();

/**
 * Runs fn with the mode on, and switches it off in a finally. fn's error is rethrown after the mode
 * is off. One call at a time per mode.
 */
export async function withMaintenance<T>(mode: MaintenanceMode, fn: () => Promise<T>, opts: { logger: Logger; clock: Clock }): Promise<MaintenanceOutcome<T>> {
  const start = opts.clock.now();
  // Registered before on() resolves, so a signal arriving while an on-command runs still ends it.
  const switchingOn = mode.on();
  active.set(mode, switchingOn);
  try {
    await switchingOn;
  } catch (err) {
    active.delete(mode);
    throw err;
  }
  opts.logger.info(`maintenance mode on (${mode.description})`);
  let offFailed = false;
  let onMs = 0;
  let result: T;
  try {
    result = await fn();
  } finally {
    try {
      await mode.off();
    } catch {
      offFailed = true;
    }
    active.delete(mode);
    onMs = opts.clock.now() - start;
    if (!offFailed) opts.logger.info(`maintenance mode off after ${onMs} ms`);
  }
  return { result, onMs, offFailed };
}

/**
 * Switches off every mode withMaintenance has on (waiting for an on() still running). Idempotent;
 * never rejects: a mode that cannot be switched off has logged how to do it by hand.
 */
export async function endAllMaintenance(): Promise<void> {
  await Promise.all(
    [...active].map(async ([mode, switchingOn]) => {
      try {
        await switchingOn;
      } catch {
        return; // never switched on
      }
      try {
        await mode.off();
        active.delete(mode);
      } catch {
        // Logged by the mode; it stays registered so a later call tries again.
      }
    }),
  );
}
