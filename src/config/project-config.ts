/**
 * The project configuration, envsnap.yaml: which environments a project has (integration, staging,
 * production), where each one's files, databases and Redis live, and where its repository is.
 * loadProjectConfig reads, validates (schema.ts) and resolves (resolve.ts) it into the settings
 * below: absolute paths, defaults applied, and no password values (see secrets.ts).
 *
 * Loading checks only the file itself: an environment may describe another machine, so whether
 * its root and mounts exist is checked when it is used (checkMountsExist).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { EnvsnapError, errnoCode } from '../core/errors.ts';
import { ConfigErrors, yamlSyntaxError } from './config-error.ts';
import { resolveProject } from './resolve.ts';
import { ProjectInput } from './schema.ts';
import type { EnvironmentBackupType } from '../policy/backup-types.ts';
import type { ResolvedPolicy } from '../policy/policy.ts';
import type { Schedule } from '../policy/schedule.ts';
import type { InlineSecret, SecretRef } from './secrets.ts';
import { CONFIG_FILE_NAME } from './file-name.ts';

export type { SecretRef } from './secrets.ts';

export type EnvironmentType = 'integration' | 'staging' | 'production';
export type Plan = 'starter' | 'pro';

export interface MysqlDatabaseConfig {
  kind: 'mysql';
  id: string;
  host: string;
  port: number;
  /** Absolute path of a Unix socket; when set, host and port are not used. */
  socket?: string;
  user: string;
  /** The database (schema) name. */
  database: string;
  password: SecretRef;
}

export interface SqliteDatabaseConfig {
  kind: 'sqlite';
  id: string;
  /** Absolute path of the database file. */
  path: string;
}

export type DatabaseConfig = MysqlDatabaseConfig | SqliteDatabaseConfig;

export type RedisRole = 'cache' | 'page_cache' | 'sessions' | 'other';

export interface RedisConfig {
  id: string;
  role: RedisRole;
  /** redis:// or rediss:// URL with any password removed (a user name stays). */
  url: string;
  /** A password written in the URL is an InlineSecret: printed forms show it redacted. */
  password: SecretRef | InlineSecret;
}

export type MaintenanceConfig = { kind: 'flag'; /** absolute */ flag: string } | { kind: 'command'; on: string; off: string } | { kind: 'none' };

/** One entry of an environment's `schedules:` list, validated. */
export interface ScheduleConfig {
  /** Unique within the environment; `default` when not written. */
  id: string;
  schedule: Schedule;
  /** true: no maintenance mode while snapshotting (default false). */
  live: boolean;
  backupType: EnvironmentBackupType;
  /** A system snapshot without pub/media (default false). */
  excludeMedia: boolean;
}

/** A second repository the environment's automatic snapshots are copied to (`copy_to:`). */
export interface CopyToConfig {
  /** Absolute path, or an s3:// URL as written. */
  repository: string;
  /** password_env or password_file: always one of them. */
  password: SecretRef;
  /** Its own `s3:` block (an s3:// repository on another service than the project's); see app/repo-ref.ts. */
  s3?: S3Config;
}

export interface EnvironmentConfig {
  name: string;
  type: EnvironmentType;
  plan: Plan;
  /** What snapshots are allowed and how long they are kept: the plan's preset with envsnap.yaml's policy layers applied. */
  policy: ResolvedPolicy;
  /** Absolute. */
  root: string;
  /** Relative to root, normalised, without `..`. */
  mounts: string[];
  /** Glob patterns (see sources/files/exclude.ts). */
  exclude: string[];
  databases: DatabaseConfig[];
  redis: RedisConfig[];
  maintenance: MaintenanceConfig;
  /**
   * The `schedules:` list as written (in file order), or undefined when the environment has no
   * `schedules:` key (then policy.automatic.schedule is its one run; see scheduler/schedules.ts).
   */
  schedules?: ScheduleConfig[];
  /** Where every automatic snapshot is copied after it is taken; undefined without `copy_to:`. */
  copyTo?: CopyToConfig;
}

/**
 * How to reach an s3:// repository, from the `s3:` block of envsnap.yaml; anything unset is left to
 * the AWS SDK's standard chain. Credentials appear only as names of environment variables.
 */
export interface S3Config {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  profile?: string;
  accessKeyIdEnv?: string;
  secretAccessKeyEnv?: string;
  sessionTokenEnv?: string;
}

export interface ProjectConfig {
  /** Absolute path of the configuration file. */
  file: string;
  project: string;
  /** Absolute path, or an s3:// URL as written. */
  repository: string;
  password: SecretRef;
  /** The `s3:` block, for the s3:// repositories the file names (repository, copy_to; see app/repo-ref.ts). */
  s3?: S3Config;
  /** In the order of the file. */
  environments: Map<string, EnvironmentConfig>;
}


/**
 * Reads `file` (default: `<cwd>/envsnap.yaml`; relative to cwd). Throws CONFIG when it is missing,
 * unreadable, not valid YAML or not a valid configuration.
 */
export async function loadProjectConfig(opts: { file?: string; cwd: string }): Promise<ProjectConfig> {
  const file = resolve(opts.cwd, opts.file ?? CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') {
      throw new EnvsnapError(
        'CONFIG',
        opts.file === undefined
          ? `no ${CONFIG_FILE_NAME} in ${opts.cwd}: create one, run \`envsnap env:discover --root DIR\` to write it, or pass --config FILE`
          : `configuration file ${file} does not exist: check the path, or run \`envsnap env:discover --root DIR --config ${file}\` to create it`,
      );
    }
    throw new EnvsnapError('CONFIG', `cannot read configuration file ${file} (${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? (err as Error).message)}): fix the path or its permissions`);
  }
  return parseProjectConfig(text, file);
}

/** Validates and resolves the text of a configuration file; `file` must be absolute (relative paths in it are relative to its directory). */
export function parseProjectConfig(text: string, file: string): ProjectConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) throw yamlSyntaxError(file, doc.errors[0]);
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  const errors = new ConfigErrors(file, doc, lines, data);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw errors.at([], 'the file is not a mapping of settings', 'start from `project: NAME`, `repository: PATH` and `environments:` (or run `envsnap env:discover --root DIR`)');
  }
  const parsed = ProjectInput.safeParse(data);
  if (!parsed.success) throw errors.fromIssues(parsed.error.issues);
  return resolveProject(parsed.data, file, dirname(file), errors);
}

/**
 * The environment named `name`; without a name, the only one. Throws NOT_FOUND for an unknown
 * name and CONFIG when no name is given and the file has none or several.
 */
export function getEnvironment(cfg: ProjectConfig, name: string | undefined): EnvironmentConfig {
  const names = [...cfg.environments.keys()];
  if (name !== undefined) {
    const env = cfg.environments.get(name);
    if (env) return env;
    throw new EnvsnapError('NOT_FOUND', `no environment ${name} in ${cfg.file}${names.length ? ` (it has ${names.join(', ')})` : ''}: pass one of those with --env, or add ${name} to the file`);
  }
  if (names.length === 1) return cfg.environments.get(names[0])!;
  if (names.length === 0) throw new EnvsnapError('CONFIG', `${cfg.file} defines no environments: add one under environments:, or run \`envsnap env:discover --root DIR\``);
  throw new EnvsnapError('CONFIG', `${cfg.file} defines several environments (${names.join(', ')}): pass the one to use with --env`);
}

/**
 * Checks that the environment's root and every mount exist on this machine (as directories or
 * files; symlinks followed). Throws CONFIG naming the root or the mount and the root.
 */
export async function checkMountsExist(env: EnvironmentConfig): Promise<void> {
  const why = (err: unknown) => (errnoCode(err) === 'ENOENT' ? 'does not exist' : errnoCode(err) === 'EACCES' ? 'cannot be accessed (permission denied)' : `cannot be accessed (${errnoCode(err) ?? (err as Error).message})`);
  try {
    if (!(await stat(env.root)).isDirectory()) throw new EnvsnapError('CONFIG', `root ${env.root} of environment ${env.name} is not a directory: fix root in envsnap.yaml`);
  } catch (err) {
    if (err instanceof EnvsnapError) throw err;
    throw new EnvsnapError('CONFIG', `root ${env.root} of environment ${env.name} ${why(err)}: fix root in envsnap.yaml, or run where the environment lives`);
  }
  for (const mount of env.mounts) {
    try {
      await stat(resolve(env.root, mount));
    } catch (err) {
      throw new EnvsnapError('CONFIG', `mount ${mount} of environment ${env.name} ${why(err)} under ${env.root}: create it, or remove it from mounts in envsnap.yaml`);
    }
  }
}
