/**
 * The shape of envsnap.yaml as the user writes it (snake_case keys, defaults not yet applied,
 * paths not yet resolved). Every object is strict: an unknown key is an error, so a misspelt
 * setting is never silently ignored. Rules that span keys (unique ids, one password source,
 * mount paths, Redis URLs) are checked when resolving (resolve.ts), where messages can be specific.
 */
import { z } from 'zod';

// Plans and environment types belong to the policy layer, which decides what each allows.
export { ENVIRONMENT_TYPES, PLANS } from '../policy/policy.ts';
import { ENVIRONMENT_TYPES, PLANS } from '../policy/policy.ts';
import { AutomaticInputSchema, ManualInputSchema, PolicyInputSchema } from '../policy/input.ts';
import { ENVIRONMENT_BACKUP_TYPES } from '../policy/backup-types.ts';
import type { Problem } from '../policy/problem.ts';
import { scheduleProblem } from '../policy/schedule.ts';
export const REDIS_ROLES = ['cache', 'page_cache', 'sessions', 'other'] as const;

/** Project, environment, database and Redis names: they end up in snapshot paths and flags. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const NAME_RULE = 'lower-case letters, digits, _ and -, starting with a letter or digit';
export const ENV_VAR_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const name = z.string().regex(NAME_PATTERN, { error: `must be ${NAME_RULE}` });
const nonEmpty = z.string().min(1);

const passwordKeys = {
  password_env: z.string().regex(ENV_VAR_PATTERN, { error: 'must be an environment variable name (letters, digits and _)' }).optional(),
  password_file: nonEmpty.optional(),
};

export const MysqlInput = z.strictObject({
  type: z.literal('mysql'),
  id: name.optional(),
  host: nonEmpty.optional(),
  port: z.int().min(1).max(65535).optional(),
  socket: nonEmpty.optional(),
  user: nonEmpty,
  name: nonEmpty,
  ...passwordKeys,
});

export const SqliteInput = z.strictObject({
  type: z.literal('sqlite'),
  id: name.optional(),
  path: nonEmpty,
});

export const DatabaseInput = z.discriminatedUnion('type', [MysqlInput, SqliteInput]);

export const RedisInput = z.strictObject({
  url: nonEmpty,
  role: z.enum(REDIS_ROLES).optional(),
  id: name.optional(),
  ...passwordKeys,
});

export const MaintenanceInput = z.strictObject({
  flag: nonEmpty.optional(),
  command_on: nonEmpty.optional(),
  command_off: nonEmpty.optional(),
});

/**
 * One run of an environment's `schedules:` list: the keys of a policy schedule (policy/input.ts,
 * checked by the same scheduleProblem) plus what the run takes. `id` defaults to `default`.
 */
export const ScheduleEntryInput = z
  .strictObject({
    id: name.optional(),
    frequency: z.string().optional(),
    at: z.string().optional(),
    weekday: z.string().optional(),
    day: z.number().optional(),
    cron: z.string().optional(),
    timezone: z.string().optional(),
    /** true: no maintenance mode while snapshotting. Default false. */
    live: z.boolean().optional(),
    /** What the run takes (policy/backup-types.ts). Default system. */
    backup_type: z.enum(ENVIRONMENT_BACKUP_TYPES).optional(),
    /** true: a system snapshot without pub/media (Magento's "system without media"). Default false. */
    exclude_media: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    const { id: _id, live: _live, backup_type: type, exclude_media: excludeMedia, ...schedule } = value;
    const p: Problem | undefined = scheduleProblem(schedule);
    if (p) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
    if (excludeMedia && type !== undefined && type !== 'system') {
      ctx.addIssue({ code: 'custom', path: ['exclude_media'], message: `exclude_media applies to backup_type system only, not ${type}: remove exclude_media, or set backup_type: system` });
    }
  });

const envVarName = z.string().regex(ENV_VAR_PATTERN, { error: 'must be an environment variable name (letters, digits and _)' });

/**
 * Settings of an s3:// repository that the AWS SDK's standard chain would otherwise give: the
 * endpoint, region, path-style addressing, a profile of the shared files, or the names of the
 * environment variables holding the access key — never the key itself.
 */
export const S3Input = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  region: nonEmpty.optional(),
  path_style: z.boolean().optional(),
  profile: nonEmpty.optional(),
  access_key_id_env: envVarName.optional(),
  secret_access_key_env: envVarName.optional(),
  session_token_env: envVarName.optional(),
});

/**
 * A second repository that every automatic snapshot of the environment is copied to (app/copy-snapshots.ts).
 * Its password comes from password_env or password_file, which one of them must name (resolve.ts).
 */
export const CopyToInput = z.strictObject({
  repository: nonEmpty,
  ...passwordKeys,
  /** An s3:// copy repository on another S3 service than the project's: how to reach it (else the project's s3: block applies). */
  s3: S3Input.optional(),
});

export const EnvironmentInput = z.strictObject({
  type: z.enum(ENVIRONMENT_TYPES),
  plan: z.enum(PLANS).optional(),
  root: nonEmpty,
  mounts: z.array(z.string()).optional(),
  exclude: z.array(nonEmpty).optional(),
  database: z.union([DatabaseInput, z.array(DatabaseInput)]).optional(),
  redis: z.array(RedisInput).optional(),
  maintenance: MaintenanceInput.optional(),
  /** Overrides the plan's preset and the project and type layers (policy/resolve.ts). */
  policy: PolicyInputSchema.optional(),
  /** The automatic snapshot runs; when present they replace policy.automatic.schedule (scheduler/schedules.ts). */
  schedules: z.array(ScheduleEntryInput).optional(),
  /** Copy each automatic snapshot to this repository too. */
  copy_to: CopyToInput.optional(),
});

/** Settings shared by every environment of one type (`types: { staging: { policy: … } }`). */
export const TypeInput = z.strictObject({
  policy: PolicyInputSchema.optional(),
});

export const ProjectInput = z.strictObject({
  project: name,
  repository: nonEmpty,
  ...passwordKeys,
  /** With an s3:// repository or copy_to repository: how to reach them (defaults: the AWS SDK's standard chain). */
  s3: S3Input.optional(),
  policy: PolicyInputSchema.optional(),
  // A strict object rather than a record, so a misspelt type is reported as an unknown key.
  types: z.strictObject({ integration: TypeInput.optional(), staging: TypeInput.optional(), production: TypeInput.optional() }).optional(),
  environments: z.record(z.string(), EnvironmentInput).nullish(),
});

export type MysqlInput = z.infer<typeof MysqlInput>;
export type SqliteInput = z.infer<typeof SqliteInput>;
export type DatabaseInput = z.infer<typeof DatabaseInput>;
export type RedisInput = z.infer<typeof RedisInput>;
export type MaintenanceInput = z.infer<typeof MaintenanceInput>;
export type ScheduleEntryInput = z.infer<typeof ScheduleEntryInput>;
export type CopyToInput = z.infer<typeof CopyToInput>;
export type S3Input = z.infer<typeof S3Input>;
export type EnvironmentInput = z.infer<typeof EnvironmentInput>;
export type TypeInput = z.infer<typeof TypeInput>;
export type ProjectInput = z.infer<typeof ProjectInput>;

const keysOf = (o: { shape: object }) => Object.keys(o.shape);

/**
 * The keys allowed in the object at `path` of the raw document (for "unknown key" messages), or
 * undefined when the path is not an object envsnap knows.
 */
export function allowedKeys(path: readonly PropertyKey[], objectAtPath: unknown): string[] | undefined {
  const p = path.map(String);
  if (p.length === 0) return keysOf(ProjectInput);
  // policy: at the project, under types.<type> and under environments.<name>
  const policyAt = p[0] === 'policy' ? 1 : p[0] === 'types' && p[2] === 'policy' ? 3 : p[0] === 'environments' && p[2] === 'policy' ? 3 : -1;
  if (policyAt >= 0) return policyKeys(p.slice(policyAt));
  if (p[0] === 'types') return p.length === 1 ? [...ENVIRONMENT_TYPES] : p.length === 2 ? keysOf(TypeInput) : undefined;
  if (p[0] !== 'environments') return undefined;
  if (p.length === 2) return keysOf(EnvironmentInput);
  const section = p[2];
  if (section === 'maintenance' && p.length === 3) return keysOf(MaintenanceInput);
  if (section === 'redis' && p.length === 4) return keysOf(RedisInput);
  if (section === 'schedules' && p.length === 4) return keysOf(ScheduleEntryInput);
  if (section === 'copy_to' && p.length === 3) return keysOf(CopyToInput);
  if (section === 'copy_to' && p.length === 4 && p[3] === 's3') return keysOf(S3Input);
  if (section === 'database' && (p.length === 3 || p.length === 4)) {
    const type = (objectAtPath as { type?: unknown } | null)?.type;
    return type === 'sqlite' ? keysOf(SqliteInput) : keysOf(MysqlInput);
  }
  return undefined;
}

/** The keys allowed at `rest` inside a policy: mapping. */
function policyKeys(rest: readonly string[]): string[] | undefined {
  if (rest.length === 0) return keysOf(PolicyInputSchema);
  if (rest.length === 1 && rest[0] === 'manual') return keysOf(ManualInputSchema);
  if (rest.length === 1 && rest[0] === 'automatic') return keysOf(AutomaticInputSchema);
  return undefined;
}
