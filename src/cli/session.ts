/**
 * A CLI session: resolved global options, the AppContext built from them, and access to the
 * repository — the glue every command uses so commands stay a few lines of parsing and rendering.
 */
import type { Command } from 'commander';
import { systemClock } from '../core/clock.ts';
import { EnvsnapError } from '../core/errors.ts';
import type { AppContext, RepoRef } from '../app/context.ts';
import { withRepository } from '../app/open-repository.ts';
import type { Repository } from '../repo/repository.ts';
import { readPassword } from './password.ts';
import { cliLogger, cliProgress, type OutputOptions } from './render.ts';

export interface GlobalOptions {
  repo?: string;
  passwordFile?: string;
  config?: string;
  env?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export class Session {
  readonly out: OutputOptions;
  readonly ctx: AppContext;
  readonly globals: GlobalOptions;

  constructor(cmd: Command) {
    this.globals = cmd.optsWithGlobals() as GlobalOptions;
    this.out = { json: this.globals.json === true, quiet: this.globals.quiet === true, verbose: this.globals.verbose === true };
    this.ctx = { clock: systemClock, logger: cliLogger(this.out), progress: cliProgress(this.out, systemClock) };
  }

  repoLocation(): string {
    const loc = this.globals.repo ?? process.env.ENVSNAP_REPO;
    if (!loc) throw new EnvsnapError('NO_REPOSITORY', 'no repository given: use --repo PATH or set ENVSNAP_REPO');
    return loc;
  }

  async repoRef(confirmNew = false): Promise<RepoRef> {
    const location = this.repoLocation();
    const password = await readPassword({ passwordFile: this.globals.passwordFile }, 'repository password', 'ENVSNAP_PASSWORD', confirmNew);
    return { location, password };
  }

  async withRepo<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    return withRepository(this.ctx, await this.repoRef(), fn);
  }
}
