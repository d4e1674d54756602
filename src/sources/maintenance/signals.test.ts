/**
 * Maintenance mode goes off when the process is interrupted: a real child process holds it on (see
 * testdata/hold-maintenance.ts, which handles signals like the CLI does), gets SIGTERM or SIGINT, and
 * the flag or the command's marker must be gone once it has exited. A process.exit() in the middle of
 * the work is covered by the flag's exit handler.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

const SCRIPT = join(import.meta.dirname, 'testdata', 'hold-maintenance.ts');

interface Held {
  /** Resolves once the child reports that the work inside maintenance is running. */
  on: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child printed so far. */
  stdout(): string;
  kill(signal: NodeJS.Signals): void;
}

function hold(args: string[]): Held {
  const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': by then every line the child printed has been read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const on = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('on\n')) resolve();
    });
    void exited.then(({ code }) => {
      if (!stdout.includes('on\n')) reject(new Error(`the child exited (${code}) before maintenance was on: ${stderr}`));
    });
  });
  return { on, exited, stdout: () => stdout, kill: (signal) => child.kill(signal) };
}

describe('maintenance mode and signals (real processes)', { timeout: 60_000 }, () => {
  let dir: string;
  let flag: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'envsnap-maint-sig-'));
    mkdirSync(join(dir, 'var'));
    flag = join(dir, 'var', '.maintenance.flag');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} while maintenance is on: the flag is gone after the process exits`, async () => {
      const p = hold(['flag', flag]);
      await p.on;
      assert.ok(existsSync(flag), 'the flag is not there while maintenance is on');
      p.kill(signal);
      assert.deepEqual(await p.exited, { code: 130, signal: null });
      assert.match(p.stdout(), /ended: off/, 'endAllMaintenance() did not remove the flag');
      assert.ok(!existsSync(flag), `the flag is still there after ${signal}`);
    });
  }

  it('SIGTERM with command mode: the off-command runs before the process exits', async () => {
    const p = hold(['command', dir]);
    await p.on;
    assert.ok(existsSync(join(dir, 'maint.on')));
    p.kill('SIGTERM');
    assert.equal((await p.exited).code, 130);
    assert.match(p.stdout(), /ended: off/, 'endAllMaintenance() did not run the off-command');
    assert.ok(!existsSync(join(dir, 'maint.on')), 'the off-command did not run');
  });

  it('SIGTERM leaves a flag the admin had set', async () => {
    writeFileSync(flag, 'admin');
    const p = hold(['flag', flag]);
    await p.on;
    p.kill('SIGTERM');
    assert.equal((await p.exited).code, 130);
    assert.match(p.stdout(), /ended: still on/);
    assert.equal(readFileSync(flag, 'utf8'), 'admin');
  });

  it('process.exit() inside the work: the exit handler removes the flag', async () => {
    const p = hold(['flag', flag, 'exit']);
    await p.on;
    assert.equal((await p.exited).code, 3);
    assert.ok(!existsSync(flag), 'the flag survived process.exit()');
  });
});
