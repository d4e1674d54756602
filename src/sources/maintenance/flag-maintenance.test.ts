/**
 * Flag-file maintenance mode through withMaintenance: the flag is there exactly while the work runs,
 * goes away on success and on failure, an admin's flag stays, a wrong path fails before anything is
 * done, and a flag that cannot be removed is reported loudly.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, silentLogger } from '../../core/logger.ts';
import { FlagMaintenance } from './flag-maintenance.ts';
import { maintenanceMode } from './maintenance-mode.ts';
import { endAllMaintenance, withMaintenance } from './with-maintenance.ts';

describe('flag maintenance mode', () => {
  let shop: string;
  let flag: string;
  let logger: MemoryLogger;
  let clock: FakeClock;
  beforeEach(() => {
    shop = mkdtempSync(join(tmpdir(), 'envsnap-maint-'));
    mkdirSync(join(shop, 'var'));
    flag = join(shop, 'var', '.maintenance.flag');
    logger = new MemoryLogger();
    clock = new FakeClock();
  });
  afterEach(() => rmSync(shop, { recursive: true, force: true }));

  it('the flag exists while the work runs and is gone afterwards; .maintenance.ip is left alone; onMs comes from the clock', async () => {
    writeFileSync(join(shop, 'var', '.maintenance.ip'), '10.0.0.1');
    const mode = maintenanceMode({ kind: 'flag', flag }, { logger });
    const out = await withMaintenance(
      mode,
      async () => {
        assert.ok(existsSync(flag), 'the flag is missing while maintenance is on');
        clock.advance(1500);
        return 'pinned';
      },
      { logger, clock },
    );
    assert.deepEqual(out, { result: 'pinned', onMs: 1500, offFailed: false });
    assert.ok(!existsSync(flag), 'the flag is still there');
    assert.equal(readFileSync(join(shop, 'var', '.maintenance.ip'), 'utf8'), '10.0.0.1');
  });

  it('the flag is gone after the work throws, and the error reaches the caller', async () => {
    const mode = maintenanceMode({ kind: 'flag', flag }, { logger });
    await assert.rejects(
      withMaintenance(
        mode,
        async () => {
          assert.ok(existsSync(flag));
          throw new Error('pin failed');
        },
        { logger, clock },
      ),
      /pin failed/,
    );
    assert.ok(!existsSync(flag), 'the flag is still there after a failure');
  });

  it('a flag the admin set before the snapshot stays, untouched, and the log says so', async () => {
    writeFileSync(flag, 'set by admin');
    const mode = maintenanceMode({ kind: 'flag', flag }, { logger });
    await withMaintenance(mode, async () => {}, { logger, clock });
    assert.equal(readFileSync(flag, 'utf8'), 'set by admin');
    assert.ok(
      logger.lines.some((l) => l.message.includes('already')),
      'nothing logged about the existing flag',
    );
  });

  it("a flag whose folder does not exist is a CONFIG error before anything is done, and var/ is not created", async () => {
    rmSync(join(shop, 'var'), { recursive: true });
    assert.throws(
      () => maintenanceMode({ kind: 'flag', flag }, { logger }),
      (err: unknown) => isEnvsnapError(err, 'CONFIG') && err.message.includes(flag),
    );
    assert.ok(!existsSync(join(shop, 'var')));
  });

  it('a folder that vanished after the settings were read fails on() with CONFIG, and the work does not run', async () => {
    const mode = maintenanceMode({ kind: 'flag', flag }, { logger });
    rmSync(join(shop, 'var'), { recursive: true });
    let ran = false;
    await assert.rejects(
      withMaintenance(
        mode,
        async () => {
          ran = true;
        },
        { logger, clock },
      ),
      (err: unknown) => isEnvsnapError(err, 'CONFIG'),
    );
    assert.ok(!ran && !existsSync(join(shop, 'var')));
  });

  it('a flag that cannot be removed is reported: a warning saying how to remove it by hand, and offFailed', async () => {
    const mode = maintenanceMode({ kind: 'flag', flag }, { logger });
    const out = await withMaintenance(
      mode,
      async () => {
        // Something replaced the flag with a folder holding a file: unlink fails every time.
        rmSync(flag);
        mkdirSync(flag);
        writeFileSync(join(flag, 'x'), '');
        return 42;
      },
      { logger, clock },
    );
    assert.equal(out.result, 42);
    assert.equal(out.offFailed, true);
    const warning = logger.warnings().join('\n');
    assert.match(warning, /still ON/);
    assert.ok(warning.includes(`rm ${flag}`), warning);
  });

  it('endAllMaintenance() switches off a mode that is on, and is idempotent', async () => {
    const mode = maintenanceMode({ kind: 'flag', flag }, { logger });
    await withMaintenance(
      mode,
      async () => {
        assert.ok(existsSync(flag));
        await endAllMaintenance();
        assert.ok(!existsSync(flag), 'endAllMaintenance() left the flag');
        await endAllMaintenance();
      },
      { logger, clock },
    );
    assert.ok(!existsSync(flag));
  });
});

describe('a flag left by a killed envsnap run', () => {
  it("is taken over and switched off; a running envsnap's flag and an admin's flag are left alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'envsnap-flag-stale-'));
    const flag = join(dir, '.maintenance.flag');
    const cycle = async () => {
      const m = new FlagMaintenance(flag, silentLogger);
      await m.on();
      await m.off();
    };
    try {
      // A pid that surely is not running: a child that has exited.
      writeFileSync(flag, `envsnap ${spawnSync('true').pid} ${hostname()}\n`);
      await cycle();
      assert.equal(existsSync(flag), false, 'a stale envsnap flag stayed');

      writeFileSync(flag, `envsnap ${process.ppid} ${hostname()}\n`); // a running process
      await cycle();
      assert.equal(existsSync(flag), true, "a running envsnap's flag was removed");

      writeFileSync(flag, ''); // as bin/magento maintenance:enable leaves it
      await cycle();
      assert.equal(existsSync(flag), true, "an admin's flag was removed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
