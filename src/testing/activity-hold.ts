/**
 * ActivityHold: keeps a snapshot running at a known point until the test lets it go, with no timing
 * involved. The environment's maintenance on-command (run with sh in the environment's root, see
 * sources/maintenance/command-maintenance.ts) creates a "started" file and then waits for a
 * "release" file. A test takes a snapshot without --live, awaits `started()` (the activity is then
 * provably in progress, inside the repository lock), acts (cancels, queues, kills the server), and
 * calls `release()`, also in its cleanup, so no waiting shell outlives it; a shell nobody releases
 * gives up by itself after a bounded wait (fails the on-command). The shell removes the started file
 * when it ends, so `arm()` can tell that a released snapshot has left the hold. Test-only.
 */
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const STARTED = '.hold-started';
const RELEASE = '.hold-release';
/** How long the on-command waits for the release file (tenths of a second) before it fails. */
const GIVE_UP_TENTHS = 1200;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export class ActivityHold {
  /** The environment's root: where the maintenance commands run and the two files are. */
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The shell command that marks the start, waits for the release, and fails when none came. */
  get command(): string {
    return `touch ${STARTED}; i=0; while [ ! -f ${RELEASE} ] && [ $i -lt ${GIVE_UP_TENTHS} ]; do i=$((i + 1)); sleep 0.1; done; rm -f ${STARTED}; [ -f ${RELEASE} ]`;
  }

  /** The environment's `maintenance:` line for envsnap.yaml (without indentation). */
  get yaml(): string {
    return `maintenance: { command_on: ${JSON.stringify(this.command)}, command_off: "true" }`;
  }

  /** Resolves once a snapshot is held; rejects when none is within `timeoutMs`. */
  async started(timeoutMs = 30_000): Promise<void> {
    await this.#until(() => exists(join(this.root, STARTED)), `no snapshot of ${this.root} reached the maintenance on-command within ${timeoutMs} ms`, timeoutMs);
  }

  /** Lets the held snapshot (and every later one) go on. Idempotent. */
  async release(): Promise<void> {
    await writeFile(join(this.root, RELEASE), '');
  }

  /**
   * Holds the next snapshot again after a release, once the released one has left the hold, and
   * releases at the end of test `t` (so a failing test leaves nothing held for the next one).
   */
  async arm(t: { after(fn: () => Promise<void>): void }, timeoutMs = 30_000): Promise<void> {
    await this.#until(async () => !(await exists(join(this.root, STARTED))), `a snapshot of ${this.root} is still held: release() it before arming again`, timeoutMs);
    await rm(join(this.root, RELEASE), { force: true });
    t.after(() => this.release());
  }

  async #until(done: () => Promise<boolean>, failure: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > until) throw new Error(failure);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
