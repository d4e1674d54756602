/**
 * `envsnap env:discover --root DIR`: reads a Magento installation's app/etc/env.php and writes the
 * environment (databases, Redis, mounts) into envsnap.yaml, creating the file when needed. It prints
 * the environment variables to set for the passwords it found, never the passwords.
 */
import { Option, type Command } from 'commander';
import { isAbsolute, relative, resolve, basename, dirname } from 'node:path';
import { EnvsnapError } from '../../core/errors.ts';
import { ConfigDocument, type EnvironmentUpdate } from '../../config/config-document.ts';
import { CONFIG_FILE_NAME } from '../../config/file-name.ts';
import { ENVIRONMENT_TYPES, NAME_PATTERN, NAME_RULE, PLANS, type DatabaseInput, type EnvironmentInput, type RedisInput } from '../../config/schema.ts';
import type { DiscoveredEnvironment } from '../../sources/magento/discover.ts';
import { Session } from '../session.ts';
import { printJson, printLine, printTable } from '../render.ts';

interface Options {
  root: string;
  type?: EnvironmentInput['type'];
  plan?: EnvironmentInput['plan'];
}

type PasswordKeys = { password_env?: string; password_file?: string };

/** A password the user has to provide, as the written configuration reads it. */
interface NeededPassword {
  what: string;
  variable?: string;
  file?: string;
  /** False when env.php computes it: the user has to find it. */
  foundInEnvPhp: boolean;
}

export function register(program: Command): void {
  program
    .command('env:discover')
    .description(`write a Magento environment (databases, Redis, mounts) found in <root>/app/etc/env.php into ${CONFIG_FILE_NAME}`)
    .requiredOption('--root <dir>', 'the Magento root (the directory holding app/ and pub/)')
    .option('--env <name>', 'environment name (default: production)')
    .addOption(new Option('--type <type>', 'environment type (default: kept, else the name when it is a type, else production)').choices(ENVIRONMENT_TYPES))
    .addOption(new Option('--plan <plan>', 'plan (default: kept, else starter)').choices(PLANS))
    .addHelpText(
      'after',
      `
The file is ./${CONFIG_FILE_NAME} or --config FILE; it is created when missing. Running again updates the
environment in place: comments and other environments are kept; databases and Redis are rewritten
from env.php (keeping the password_env / password_file of each); mounts, exclude and maintenance,
once written, are left as they are. Passwords are never written: set the environment variables it lists.`,
    )
    .action(async (opts: Options, cmd: Command) => {
      const s = new Session(cmd);
      const globals = cmd.optsWithGlobals() as { config?: string; env?: string };
      const name = globals.env ?? 'production';
      if (!NAME_PATTERN.test(name)) throw new EnvsnapError('INVALID_ARGUMENT', `invalid environment name ${JSON.stringify(name)}: use ${NAME_RULE}`);
      const file = resolve(globals.config ?? CONFIG_FILE_NAME);

      const doc = (await ConfigDocument.read(file)) ?? ConfigDocument.create(file, projectName(opts.root), '.envsnap/repo');
      doc.setDefault('project', projectName(opts.root));
      doc.setDefault('repository', '.envsnap/repo');
      const existing = doc.environment(name);

      // Password variables are per environment only when another environment already uses the plain names.
      const taken = new Set(doc.environmentNames().filter((n) => n !== name).flatMap((n) => passwordEnvs(doc.environment(n))));
      // Loaded here, not at start-up: the PHP parser behind it is only needed to read env.php.
      const { discoverMagento } = await import('../../sources/magento/discover.ts');
      let found = await discoverMagento(opts.root);
      if (found.secrets.some((x) => taken.has(x.variable))) found = await discoverMagento(opts.root, { variablePrefix: `ENVSNAP_${name.toUpperCase().replace(/-/g, '_')}_` });

      const { update, needed } = environmentUpdate(found, existing, {
        type: opts.type ?? (existing?.type as EnvironmentInput['type'] | undefined) ?? ((ENVIRONMENT_TYPES as readonly string[]).includes(name) ? (name as EnvironmentInput['type']) : 'production'),
        plan: opts.plan,
        root: rootSetting(found.root, dirname(file)),
      });
      doc.setEnvironment(name, update);
      const cfg = await doc.save();
      const env = cfg.environments.get(name)!;

      for (const w of found.warnings) s.ctx.logger.warn(w);
      if (s.out.json) {
        printJson({ file, environment: name, created: doc.created, updated: existing !== undefined, type: env.type, plan: env.plan, root: env.root, databases: env.databases, redis: env.redis, mounts: env.mounts, exclude: env.exclude, passwords: needed, warnings: found.warnings });
        return;
      }
      if (s.out.quiet) return;
      printLine(`${existing ? 'updated' : 'added'} environment ${name} (${env.type}, ${env.plan}) in ${file}${doc.created ? ' (new file)' : ''}`);
      printLine('');
      printTable(
        ['Source', 'ID', 'Where'],
        [
          ...env.databases.map((d) => ['mysql', d.id, d.kind === 'mysql' ? `${d.user}@${d.socket ?? `${d.host}:${d.port}`} database ${d.database}` : d.path]),
          ...env.redis.map((r) => ['redis', r.id, r.url]),
          ['files', 'mounts', env.mounts.join(', ')],
        ],
      );
      if (needed.length > 0) {
        printLine('');
        printLine('Before taking a snapshot, provide these passwords (their values are in app/etc/env.php):');
        printTable(
          ['Password of', 'Set'],
          needed.map((p) => [p.what, p.variable ? `environment variable ${p.variable}${p.foundInEnvPhp ? '' : ' (computed in env.php)'}` : `file ${p.file}`]),
        );
      }
    });
}

/** The settings to write, keeping what the user chose in the existing environment. */
function environmentUpdate(
  found: DiscoveredEnvironment,
  existing: Record<string, unknown> | undefined,
  chosen: { type: EnvironmentInput['type']; plan?: EnvironmentInput['plan']; root: string },
): { update: EnvironmentUpdate; needed: NeededPassword[] } {
  const needed: NeededPassword[] = [];
  const secretOf = (variable: string | undefined) => found.secrets.find((x) => x.variable === variable);
  /** The existing entry's password keys when it has any (the user's choice), else the discovered variable. */
  const password = (discovered: string | undefined, previous: PasswordKeys | undefined): PasswordKeys => {
    const secret = secretOf(discovered);
    if (!discovered || !secret) return {};
    const keys: PasswordKeys = previous?.password_env || previous?.password_file ? pick(previous, ['password_env', 'password_file']) : { password_env: discovered };
    needed.push({ what: secret.what, ...(keys.password_env ? { variable: keys.password_env } : { file: keys.password_file }), foundInEnvPhp: secret.found });
    return keys;
  };

  const oldDbs = asList(existing?.database) as (PasswordKeys & { id?: string; type?: string })[];
  const databases: DatabaseInput[] = found.databases.map((d) => ({
    type: 'mysql',
    ...(d.id !== 'default' ? { id: d.id } : {}),
    ...(d.host !== undefined ? { host: d.host } : {}),
    ...(d.port !== undefined ? { port: d.port } : {}),
    ...(d.socket !== undefined ? { socket: d.socket } : {}),
    user: d.user,
    name: d.name,
    ...password(d.passwordEnv, oldDbs.find((o) => o?.type === 'mysql' && (o.id ?? 'default') === d.id)),
  }));
  const oldRedis = asList(existing?.redis) as (PasswordKeys & { role?: string })[];
  const redis: RedisInput[] = found.redis.map((r) => ({ url: r.url, role: r.role, ...password(r.passwordEnv, oldRedis.find((o) => o?.role === r.role)) }));

  const update: EnvironmentUpdate = {
    type: chosen.type,
    plan: chosen.plan ?? (existing?.plan as EnvironmentInput['plan'] | undefined) ?? 'starter',
    root: chosen.root,
    // Mounts, excludes and maintenance are the user's to curate once written.
    ...(existing?.mounts === undefined ? { mounts: found.mounts } : {}),
    ...(existing?.exclude === undefined ? { exclude: found.exclude } : {}),
    database: databases.length === 0 ? null : databases.length === 1 ? databases[0] : databases,
    redis: redis.length === 0 ? null : redis,
    ...(existing?.maintenance === undefined ? { maintenance: found.maintenance } : {}),
  };
  return { update, needed };
}

/** How root is written: relative to the config file when inside its directory, else absolute. */
function rootSetting(root: string, configDir: string): string {
  const rel = relative(configDir, root);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? root : rel;
}

/** A project name from the root directory's name, made valid (lower case, [a-z0-9_-]). */
function projectName(root: string): string {
  const name = basename(resolve(root))
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return name || 'shop';
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v !== undefined && v !== null ? [v] : [];
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Pick<T, K>;
}

/** Every password_env value anywhere in an environment's settings. */
function passwordEnvs(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(passwordEnvs);
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => (k === 'password_env' && typeof x === 'string' ? [x] : passwordEnvs(x)));
}
