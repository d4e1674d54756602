/**
 * From what the user wrote (schema.ts) to resolved settings (project-config.ts): defaults applied,
 * paths made absolute (the config file's directory for root, repository, password files and MySQL
 * sockets; the environment's root for everything inside it), ids filled in and checked unique, Redis passwords
 * moved out of URLs, and the rules that span keys checked with errors that point at the key.
 */
import { isAbsolute, posix, resolve } from 'node:path';
import { isEnvsnapError } from '../core/errors.ts';
import { isDirectoryLocation } from '../storage/local/local-store.ts';
import { resolvePolicy, type PolicyLayers } from '../policy/resolve.ts';
import type { ResolvedPolicy } from '../policy/policy.ts';
import type { ConfigErrors, KeyPath } from './config-error.ts';
import { parseSchedule } from '../policy/schedule.ts';
import type { CopyToConfig, DatabaseConfig, EnvironmentConfig, MaintenanceConfig, ProjectConfig, RedisConfig, S3Config, ScheduleConfig } from './project-config.ts';
import { NAME_PATTERN, NAME_RULE, type CopyToInput, type DatabaseInput, type EnvironmentInput, type MaintenanceInput, type ProjectInput, type RedisInput, type S3Input, type ScheduleEntryInput } from './schema.ts';
import { InlineSecret, type Secret, type SecretRef } from './secrets.ts';

export function resolveProject(input: ProjectInput, file: string, dir: string, errors: ConfigErrors): ProjectConfig {
  const environments = new Map<string, EnvironmentConfig>();
  const repository = resolveRepository(input.repository, dir, ['repository'], errors);
  for (const [name, env] of Object.entries(input.environments ?? {})) {
    const path = ['environments', name];
    if (!NAME_PATTERN.test(name)) throw errors.at(path, 'invalid environment name', `rename it: ${NAME_RULE}`);
    environments.set(name, resolveEnvironment(name, env, dir, path, errors, input, repository));
  }
  const s3Repositories = [repository, ...[...environments.values()].map((e) => e.copyTo?.repository)].filter((r) => r?.startsWith('s3://'));
  const s3 = resolveS3(input, s3Repositories.length > 0, errors);
  return { file, project: input.project, repository, password: secretRef(input, dir, [], errors), ...(s3 ? { s3 } : {}), environments };
}

/** The `s3:` block: how to reach the s3:// repositories the file names (`repository:`, any `copy_to:`), so one must be. */
function resolveS3(input: ProjectInput, namesS3Repository: boolean, errors: ConfigErrors): S3Config | undefined {
  const s = input.s3;
  if (!s) return undefined;
  if (!namesS3Repository) {
    throw errors.at(['s3'], 'settings for S3 but neither the repository nor a copy_to repository is an s3:// URL', 'remove the s3: block, or set repository: s3://BUCKET/PREFIX');
  }
  return resolveS3Block(s, ['s3'], errors);
}

/** An `s3:` block (the project's, or a copy_to's own) as S3Config. */
function resolveS3Block(s: S3Input, path: KeyPath, errors: ConfigErrors): S3Config {
  if ((s.access_key_id_env === undefined) !== (s.secret_access_key_env === undefined)) {
    throw errors.at(path, 'only one of access_key_id_env and secret_access_key_env', 'name both environment variables, or neither (then the AWS SDK finds the credentials)');
  }
  if (s.profile !== undefined && s.access_key_id_env !== undefined) throw errors.at([...path, 'profile'], 'a profile and access key variables together', 'use one of them');
  return {
    ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {}),
    ...(s.region !== undefined ? { region: s.region } : {}),
    ...(s.path_style !== undefined ? { pathStyle: s.path_style } : {}),
    ...(s.profile !== undefined ? { profile: s.profile } : {}),
    ...(s.access_key_id_env !== undefined ? { accessKeyIdEnv: s.access_key_id_env, secretAccessKeyEnv: s.secret_access_key_env } : {}),
    ...(s.session_token_env !== undefined ? { sessionTokenEnv: s.session_token_env } : {}),
  };
}

function resolveRepository(repository: string, dir: string, path: KeyPath, errors: ConfigErrors): string {
  if (!isDirectoryLocation(repository)) {
    if (repository.startsWith('s3://')) return repository;
    throw errors.at(path, 'unsupported repository URL', 'use a directory path or an s3:// URL');
  }
  return resolve(dir, repository);
}

/** copy_to: a second repository (not the project's own) and where its password comes from (required). */
function resolveCopyTo(input: CopyToInput, dir: string, path: KeyPath, errors: ConfigErrors, projectRepository: string): CopyToConfig {
  const repository = resolveRepository(input.repository, dir, [...path, 'repository'], errors);
  if (repository.replace(/\/+$/, '') === projectRepository.replace(/\/+$/, '')) {
    throw errors.at([...path, 'repository'], "this is the project's own repository", 'name a second repository to copy the snapshots to');
  }
  const password = secretRef(input, dir, path, errors);
  if (password.env === undefined && password.file === undefined) {
    throw errors.at(path, 'no password for the copy repository', 'add password_env (password_env: ENVSNAP_PASSWORD when it has the same password as the project repository) or password_file');
  }
  if (input.s3 !== undefined && !repository.startsWith('s3://')) {
    throw errors.at([...path, 's3'], 'settings for S3 but the copy_to repository is not an s3:// URL', 'remove the s3: block, or set repository: s3://BUCKET/PREFIX');
  }
  const s3 = input.s3 !== undefined ? resolveS3Block(input.s3, [...path, 's3'], errors) : undefined;
  return { repository, password, ...(s3 ? { s3 } : {}) };
}

/** password_env / password_file of the object at `path`; password files are relative to the config file. */
function secretRef(o: { password_env?: string; password_file?: string }, dir: string, path: KeyPath, errors: ConfigErrors): SecretRef {
  if (o.password_env !== undefined && o.password_file !== undefined) throw errors.at([...path, 'password_file'], 'both password_env and password_file are set', 'keep one of them');
  if (o.password_env !== undefined) return { env: o.password_env };
  if (o.password_file !== undefined) return { file: resolve(dir, o.password_file) };
  return {};
}

function resolveEnvironment(name: string, env: EnvironmentInput, dir: string, path: KeyPath, errors: ConfigErrors, project: ProjectInput, projectRepository: string): EnvironmentConfig {
  const root = resolve(dir, env.root);
  const plan = env.plan ?? 'starter';
  return {
    name,
    type: env.type,
    plan,
    policy: resolveEnvironmentPolicy(name, env, plan, project, path, errors),
    root,
    mounts: resolveMounts(env.mounts ?? [], [...path, 'mounts'], errors),
    exclude: env.exclude ?? [],
    databases: resolveDatabases(env.database, root, dir, [...path, 'database'], errors),
    redis: resolveRedis(env.redis ?? [], dir, [...path, 'redis'], errors),
    maintenance: resolveMaintenance(env.maintenance, root, [...path, 'maintenance'], errors),
    ...(env.schedules !== undefined ? { schedules: resolveSchedules(env.schedules, [...path, 'schedules'], errors) } : {}),
    ...(env.copy_to !== undefined ? { copyTo: resolveCopyTo(env.copy_to, dir, [...path, 'copy_to'], errors, projectRepository) } : {}),
  };
}

/** The schedules list: ids unique (default `default`), schedules parsed (the schema checked them already). */
function resolveSchedules(list: ScheduleEntryInput[], path: KeyPath, errors: ConfigErrors): ScheduleConfig[] {
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const { id = 'default', live = false, backup_type = 'system', exclude_media = false, ...schedule } = entry;
    if (seen.has(id)) throw errors.at([...path, i, 'id'], `schedule id ${id} is used twice${entry.id === undefined ? ' (a schedule without id is "default")' : ''}`, 'give each schedule of the environment its own id');
    seen.add(id);
    return { id, schedule: parseSchedule(schedule, 'schedule'), live, backupType: backup_type, excludeMedia: exclude_media };
  });
}

/**
 * The environment's effective policy. The layers were validated by the schema already; what is left
 * are rules across layers (automatic snapshots on with nothing keeping them), reported at the
 * environment's policy key (or the environment when it has none) with the resolver's message.
 */
function resolveEnvironmentPolicy(name: string, env: EnvironmentInput, plan: EnvironmentConfig['plan'], project: ProjectInput, path: KeyPath, errors: ConfigErrors): ResolvedPolicy {
  const types: PolicyLayers['types'] = {};
  for (const [type, t] of Object.entries(project.types ?? {})) if (t?.policy) types[type as EnvironmentInput['type']] = t.policy;
  try {
    return resolvePolicy(plan, env.type, name, { project: project.policy, types, environment: env.policy });
  } catch (err) {
    if (!isEnvsnapError(err, 'CONFIG')) throw err;
    const at = env.policy ? [...path, 'policy'] : path;
    // The resolver's message ends in what to do; the file and line go in front of it.
    const cut = err.message.lastIndexOf(': ');
    throw errors.at(at, err.message.slice(0, cut), err.message.slice(cut + 2));
  }
}

/** Mounts are paths inside the root: relative, without `..`; normalised (`./var/` → `var`). */
function resolveMounts(mounts: string[], path: KeyPath, errors: ConfigErrors): string[] {
  const out: string[] = [];
  mounts.forEach((m, i) => {
    const at = [...path, i];
    if (m.trim() === '') throw errors.at(at, 'empty mount path', 'remove it or name a directory below root');
    if (isAbsolute(m)) throw errors.at(at, `mount ${JSON.stringify(m)} is absolute`, 'write it relative to the environment root');
    if (m.split(/[\\/]/).includes('..')) throw errors.at(at, `mount ${JSON.stringify(m)} leaves the root (..)`, 'name a directory below the environment root');
    const norm = posix.normalize(m).replace(/\/+$/, '');
    if (out.includes(norm)) throw errors.at(at, `mount ${JSON.stringify(norm)} is listed twice`, 'remove one');
    out.push(norm);
  });
  return out;
}

function resolveDatabases(input: DatabaseInput | DatabaseInput[] | undefined, root: string, dir: string, path: KeyPath, errors: ConfigErrors): DatabaseConfig[] {
  if (input === undefined) return [];
  const list = Array.isArray(input) ? input : [input];
  const seen = new Set<string>();
  return list.map((db, i) => {
    const at = Array.isArray(input) ? [...path, i] : path;
    const id = db.id ?? 'default';
    if (seen.has(id)) throw errors.at([...at, 'id'], `database id ${id} is used twice`, 'give each database of the environment its own id');
    seen.add(id);
    if (db.type === 'sqlite') return { kind: 'sqlite', id, path: resolve(root, db.path) };
    return {
      kind: 'mysql',
      id,
      host: db.host ?? '127.0.0.1',
      port: db.port ?? 3306,
      ...(db.socket !== undefined ? { socket: resolve(dir, db.socket) } : {}),
      user: db.user,
      database: db.name,
      password: secretRef(db, dir, at, errors),
    };
  });
}

function resolveRedis(list: RedisInput[], dir: string, path: KeyPath, errors: ConfigErrors): RedisConfig[] {
  // Explicit ids first, so a default id never takes one the user chose for a later entry.
  const used = new Set<string>();
  list.forEach((r, i) => {
    if (r.id === undefined) return;
    if (used.has(r.id)) throw errors.at([...path, i, 'id'], `Redis id ${r.id} is used twice`, 'give each Redis entry its own id');
    used.add(r.id);
  });
  return list.map((r, i) => {
    const at = [...path, i];
    const role = r.role ?? 'other';
    let id = r.id;
    if (id === undefined) {
      id = role;
      for (let n = 2; used.has(id); n++) id = `${role}-${n}`;
      used.add(id);
    }
    const { url, inlinePassword } = parseRedisUrl(r.url, [...at, 'url'], errors);
    let password: Secret = secretRef(r, dir, at, errors);
    if (inlinePassword !== undefined) {
      if (password.env !== undefined || password.file !== undefined) throw errors.at([...at, 'url'], 'the URL carries a password and password_env / password_file is set too', 'keep one of them');
      password = new InlineSecret(inlinePassword);
    }
    return { id, role, url, password };
  });
}

/** A redis:// or rediss:// URL without its password, and that password (percent-decoded). The URL is never echoed: it may hold the password. */
function parseRedisUrl(raw: string, path: KeyPath, errors: ConfigErrors): { url: string; inlinePassword?: string } {
  const shape = 'write it as redis://[:password@]host[:port][/db] or rediss://…';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw errors.at(path, 'not a valid URL', shape);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw errors.at(path, `unsupported scheme ${u.protocol.replace(/:$/, '')}`, shape);
  if (u.hostname === '') throw errors.at(path, 'the URL names no host', shape);
  if (!/^(\/(\d+)?)?$/.test(u.pathname) || u.search || u.hash) throw errors.at(path, 'the part after the host must be a database number (/0, /1, …)', shape);
  const inlinePassword = u.password === '' ? undefined : decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), ...(inlinePassword !== undefined ? { inlinePassword } : {}) };
}

function resolveMaintenance(m: MaintenanceInput | undefined, root: string, path: KeyPath, errors: ConfigErrors): MaintenanceConfig {
  if (m === undefined) return { kind: 'none' };
  const hasCommand = m.command_on !== undefined || m.command_off !== undefined;
  if (m.flag !== undefined) {
    if (hasCommand) throw errors.at(path, 'both a flag and commands are set', 'keep either flag or command_on and command_off');
    return { kind: 'flag', flag: resolve(root, m.flag) };
  }
  if (!hasCommand) throw errors.at(path, 'no maintenance method', 'set flag (a file below root) or command_on and command_off, or remove maintenance');
  if (m.command_on === undefined) throw errors.at([...path, 'command_on'], 'missing required key (command_off is set)', 'add it');
  if (m.command_off === undefined) throw errors.at([...path, 'command_off'], 'missing required key (command_on is set)', 'add it');
  return { kind: 'command', on: m.command_on, off: m.command_off };
}
