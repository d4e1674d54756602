/**
 * A CLI session: resolved global options, the AppContext built from them, and access to the
 * repository — the glue every command uses so commands stay a few lines of parsing and rendering.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE_NAME } from '../config/file-name.ts';
import type { EnvironmentConfig, ProjectConfig } from '../config/project-config.ts';
import { resolveSecret } from '../config/secrets.ts';
import { systemClock } from '../core/clock.ts';
import { EnvsnapError } from '../core/errors.ts';
import type { AppContext, RepoRef } from '../app/context.ts';
import { withRepository } from '../app/open-repository.ts';
import { repoRef } from '../app/repo-ref.ts';
import type { Repository } from '../repo/repository.ts';
import { readPassword } from './password.ts';
import { serverClient, type ServerClient } from './server-client.ts';
import { cliLogger, cliProgress, type OutputOptions } from './render.ts';

export interface GlobalOptions {
  repo?: string;
  passwordFile?: string;
  config?: string;
  env?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  server?: string;
  tokenFile?: string;
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

  private projectConfig?: Promise<ProjectConfig | undefined>;

  /** Whether this run works on a project: --config or --env given, or envsnap.yaml in the working directory. */
  hasProject(): boolean {
    return this.globals.config !== undefined || this.globals.env !== undefined || existsSync(join(process.cwd(), CONFIG_FILE_NAME));
  }

  /** The project configuration, when there is one (see hasProject); loaded and validated once. */
  project(): Promise<ProjectConfig | undefined> {
    // The YAML parser and the schema load only when there is a project to read.
    this.projectConfig ??= this.hasProject() ? import('../config/project-config.ts').then((c) => c.loadProjectConfig({ file: this.globals.config, cwd: process.cwd() })) : Promise.resolve(undefined);
    return this.projectConfig;
  }

  /** The environment named by --env (or a named one), from the project configuration; required. */
  async environment(name = this.globals.env): Promise<{ project: ProjectConfig; env: EnvironmentConfig }> {
    const project = await this.project();
    if (!project) throw new EnvsnapError('CONFIG', `no ${CONFIG_FILE_NAME} in ${process.cwd()}: create one, run "envsnap env:discover --root DIR", or pass --config FILE`);
    const { getEnvironment } = await import('../config/project-config.ts');
    return { project, env: getEnvironment(project, name) };
  }

  async repoLocation(): Promise<string> {
    const loc = this.globals.repo ?? process.env.ENVSNAP_REPO ?? (await this.project())?.repository;
    if (!loc) throw new EnvsnapError('NO_REPOSITORY', `no repository given: use --repo PATH, set ENVSNAP_REPO, or name one in ${CONFIG_FILE_NAME}`);
    return loc;
  }

  async repoRef(confirmNew = false): Promise<RepoRef> {
    return this.refFor(await this.repoLocation(), await this.repoPassword(confirmNew));
  }

  /** Any repository this run opens, with envsnap.yaml's s3: block where it applies (app/repo-ref.ts). */
  async refFor(location: string, password: string): Promise<RepoRef> {
    return repoRef(location, password, await this.project());
  }

  /** The repository password: --password-file and ENVSNAP_PASSWORD win; then the configuration's password_env/password_file; then a prompt. */
  async repoPassword(confirmNew = false): Promise<string> {
    const configured = (await this.project())?.password;
    const useConfig = !this.globals.passwordFile && !process.env.ENVSNAP_PASSWORD && configured && (configured.env || configured.file);
    return useConfig
      ? resolveSecret(configured, 'the repository password')
      : await readPassword({ passwordFile: this.globals.passwordFile }, 'repository password', 'ENVSNAP_PASSWORD', confirmNew);
  }

  #client?: ServerClient | null;

  /** The client of the server given by --server / $ENVSNAP_SERVER; undefined when working locally. */
  server(): ServerClient | undefined {
    if (this.#client === undefined) this.#client = serverClient(this.globals) ?? null;
    return this.#client ?? undefined;
  }

  async withRepo<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    return withRepository(this.ctx, await this.repoRef(), fn);
  }
}
