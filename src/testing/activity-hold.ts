/**
 * ActivityHold: keeps a snapshot running at a known point until the test lets it go, with no timing
 * involved. The environment's maintenance on-command (run with sh in the environment's root, see
 * sources/maintenance/command-maintenance.ts) creates a "started" file and then waits for a
 * "release" file. A test takes a snapshot without --live, awaits `started()` (the activity is then
 * provably in progress, inside the repository lock), acts (cancels, queues, kills the server), and
 * calls `release()`, also in its cleanup, so no waiting shell outlives it; a shell nobody releases
 * gives up by itself after a bounded wait (fails the on-command). Test-only.
 */
import { access, writeFile } from 'node:fs/promises';
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

  /** The shell command that marks the start and waits for the release. */
  get command(): string {
    return `touch ${STARTED}; i=0; while [ ! -f ${RELEASE} ]; do i=$((i + 1)); [ $i -gt ${GIVE_UP_TENTHS} ] && exit 1; sleep 0.1; done`;
  }

  /** The environment's `maintenance:` line for envsnap.yaml (without indentation). */
  get yaml(): string {
    return `maintenance: { command_on: ${JSON.stringify(this.command)}, command_off: "true" }`;
  }

  /** Resolves once a snapshot is held; rejects when none is within `timeoutMs`. */
  async started(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await exists(join(this.root, STARTED)))) {
      if (Date.now() > until) throw new Error(`no snapshot of ${this.root} reached the maintenance on-command within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Lets the held snapshot (and every later one) go on. Idempotent. */
  async release(): Promise<void> {
    await writeFile(join(this.root, RELEASE), '');
  }
}
