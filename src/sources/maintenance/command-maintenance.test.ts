/**
 * Command maintenance mode: on/off commands run with sh in the shop's folder; a failing on-command
 * stops before any work and never runs off; a failing off-command is retried once, then reported;
 * messages name the program and exit status but never the command's text (it may hold secrets).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger } from '../../core/logger.ts';
import { maintenanceMode } from './maintenance-mode.ts';
import { commandName } from './run-shell.ts';
import { endAllMaintenance, withMaintenance } from './with-maintenance.ts';

/** Whether a process is alive (not gone, not a zombie waiting for an init that does not reap). */
function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

describe('command maintenance mode', () => {
  let cwd: string;
  let logger: MemoryLogger;
  let clock: FakeClock;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'envsnap-maint-cmd-'));
    logger = new MemoryLogger();
    clock = new FakeClock();
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const lines = (name: string) => (existsSync(join(cwd, name)) ? readFileSync(join(cwd, name), 'utf8').split('\n').filter(Boolean).length : 0);

  it('runs the on-command before the work and the off-command after it, in cwd', async () => {
    const mode = maintenanceMode({ kind: 'command', on: 'touch maint.on', off: 'rm maint.on', cwd }, { logger });
    const out = await withMaintenance(mode, async () => existsSync(join(cwd, 'maint.on')), { logger, clock });
    assert.equal(out.result, true, 'the on-command had not run when the work started');
    assert.equal(out.offFailed, false);
    assert.ok(!existsSync(join(cwd, 'maint.on')), 'the off-command did not run');
  });

  it('runs the off-command after the work throws', async () => {
    const mode = maintenanceMode({ kind: 'command', on: 'touch maint.on', off: 'rm maint.on', cwd }, { logger });
    await assert.rejects(
      withMaintenance(
        mode,
        async () => {
          throw new Error('pin failed');
        },
        { logger, clock },
      ),
      /pin failed/,
    );
    assert.ok(!existsSync(join(cwd, 'maint.on')));
  });

  it('a failing on-command fails with SOURCE_FAILED naming the program and exit code, not its secrets; neither work nor off-command run', async () => {
    const mode = maintenanceMode({ kind: 'command', on: 'TOKEN=hunter2 false --password hunter2', off: 'touch off.ran', cwd }, { logger });
    let ran = false;
    await assert.rejects(
      withMaintenance(
        mode,
        async () => {
          ran = true;
        },
        { logger, clock },
      ),
      (err: unknown) => {
        assert.ok(isEnvsnapError(err, 'SOURCE_FAILED'), `expected SOURCE_FAILED, got ${String(err)}`);
        assert.ok(err.message.includes('"false"') && err.message.includes('code 1'), err.message);
        assert.ok(!err.message.includes('hunter2'), `the message shows the command's secret: ${err.message}`);
        return true;
      },
    );
    assert.equal(ran, false);
    assert.ok(!existsSync(join(cwd, 'off.ran')), 'the off-command ran after a failed on-command');
  });

  it('an on-command that outlives the time limit is killed and reported', async () => {
    const mode = maintenanceMode({ kind: 'command', on: 'sleep 30 & echo $! > sleep.pid; wait', off: 'true', cwd }, { logger, commandTimeoutMs: 200 });
    await assert.rejects(
      withMaintenance(mode, async () => {}, { logger, clock }),
      (err: unknown) => isEnvsnapError(err, 'SOURCE_FAILED') && /"sleep" did not finish/.test(err.message),
    );
    // The whole process group is killed, not just sh: the sleep it started is gone too.
    const pid = Number(readFileSync(join(cwd, 'sleep.pid'), 'utf8'));
    assert.ok(!isRunning(pid), `the command's child ${pid} is still running`);
  });

  it('a failing off-command is tried twice, then reported: a warning saying how to switch off by hand, and offFailed', async () => {
    const mode = maintenanceMode({ kind: 'command', on: 'true', off: 'echo x >> off.attempts; exit 3', cwd }, { logger });
    const out = await withMaintenance(mode, async () => 'captured', { logger, clock });
    assert.equal(out.result, 'captured');
    assert.equal(out.offFailed, true);
    assert.equal(lines('off.attempts'), 2);
    const warning = logger.warnings().join('\n');
    assert.match(warning, /still ON/);
    assert.ok(warning.includes('code 3') && warning.includes('maintenance.off') && warning.includes(cwd), warning);
  });

  it('an off-command that fails once and then succeeds counts as switched off', async () => {
    const mode = maintenanceMode({ kind: 'command', on: 'true', off: 'echo x >> off.attempts; test $(wc -l < off.attempts) -ge 2', cwd }, { logger });
    const out = await withMaintenance(mode, async () => 'captured', { logger, clock });
    assert.equal(out.offFailed, false);
    assert.equal(lines('off.attempts'), 2);
    assert.deepEqual(logger.warnings(), []);
  });

  it('endAllMaintenance() called while the on-command still runs waits for it, then runs the off-command', async () => {
    const mode = maintenanceMode({ kind: 'command', on: 'echo on >> log', off: 'echo off >> log', cwd }, { logger });
    const running = withMaintenance(mode, async () => 'done', { logger, clock });
    await endAllMaintenance();
    assert.equal(readFileSync(join(cwd, 'log'), 'utf8'), 'on\noff\n', 'endAllMaintenance() returned before maintenance was off');
    assert.equal((await running).result, 'done');
    assert.equal(readFileSync(join(cwd, 'log'), 'utf8'), 'on\noff\n', 'the off-command ran twice');
  });

  it('a cwd that does not exist is a CONFIG error', () => {
    assert.throws(
      () => maintenanceMode({ kind: 'command', on: 'true', off: 'true', cwd: join(cwd, 'missing') }, { logger }),
      (err: unknown) => isEnvsnapError(err, 'CONFIG'),
    );
  });

  it('commandName shows the program, skipping variable assignments', () => {
    assert.equal(commandName('bin/magento maintenance:enable'), 'bin/magento');
    assert.equal(commandName('  DB_PASS=secret API_TOKEN=x ./toggle.sh on'), './toggle.sh');
    assert.equal(commandName(`PASS='a b' '/opt/my tool' on`), '/opt/my tool');
  });
});
