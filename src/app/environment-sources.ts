/**
 * Source specs: the sources of one environment as the use cases see them — kind, id, a display
 * name, and factories for a Source (capture) and a Sink (restore). Built from the project
 * configuration with secrets resolved here, so a missing password is a configuration error before
 * anything connects or maintenance mode goes on. Also the maintenance runner of an environment and
 * the files a snapshot must never carry (the maintenance flag itself).
 */
import { relative, isAbsolute } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { EnvironmentConfig, MysqlDatabaseConfig, ProjectConfig } from '../config/project-config.ts';
import { parseRedisUrl } from '../sources/redis/settings.ts';
import { resolveSecret } from '../config/secrets.ts';
import { maintenanceMode } from '../sources/maintenance/maintenance-mode.ts';
import { withMaintenance } from '../sources/maintenance/with-maintenance.ts';
import type { MysqlConnectionSettings } from '../sources/mysql/connection.ts';
import type { Sink, Source, SourceKind } from '../sources/source.ts';
import type { MaintenanceRunner } from './create-environment-snapshot.ts';

export interface SourceSpec {
  kind: SourceKind;
  /** Unique per kind within the environment: "default", "checkout", "cache". */
  id: string;
  /** For messages: "database default", "redis cache". */
  name: string;
  role?: string;
  /** Drivers are loaded on first use: a run without MySQL or Redis never loads their client libraries. */
  create(): Promise<Source>;
  createSink(): Promise<Sink>;
}

/**
 * The environment's databases and Redis databases; Redis caches left out with skipCache. With the
 * project, each Redis sink knows the other dbs of its server that the project's environments use.
 */
export function environmentSources(env: EnvironmentConfig, opts: { skipCache?: boolean; project?: ProjectConfig } = {}): { specs: SourceSpec[]; skipped: string[] } {
  const specs: SourceSpec[] = [];
  const skipped: string[] = [];
  for (const db of env.databases) {
    const name = `database ${db.id}`;
    if (db.kind === 'sqlite') {
      const settings = { name, path: db.path };
      specs.push({
        kind: 'sqlite',
        id: db.id,
        name,
        create: async () => new (await import('../sources/sqlite/sqlite-source.ts')).SqliteSource(settings),
        createSink: async () => new (await import('../sources/sqlite/sqlite-sink.ts')).SqliteSink(settings),
      });
    } else {
      const settings = mysqlSettings(env, db);
      specs.push({
        kind: 'mysql',
        id: db.id,
        name,
        create: async () => new (await import('../sources/mysql/mysql-source.ts')).MysqlSource(settings),
        createSink: async () => new (await import('../sources/mysql/mysql-sink.ts')).MysqlSink(settings),
      });
    }
  }
  for (const r of env.redis) {
    const name = `redis ${r.id}`;
    if (opts.skipCache && (r.role === 'cache' || r.role === 'page_cache')) {
      skipped.push(`${name} (role ${r.role}, --skip-cache)`);
      continue;
    }
    const password = resolveSecret(r.password, `the password of ${name} in environment ${env.name}`);
    const usedDbs = opts.project ? otherRedisDbs(opts.project, r.url) : [];
    const settings = { name, url: r.url, ...(password ? { password } : {}), ...(usedDbs.length > 0 ? { usedDbs } : {}) };
    specs.push({
      kind: 'redis',
      id: r.id,
      name,
      role: r.role,
      create: async () => new (await import('../sources/redis/redis-source.ts')).RedisSource(settings),
      createSink: async () => new (await import('../sources/redis/redis-sink.ts')).RedisSink(settings),
    });
  }
  return { specs, skipped };
}

/** The dbs of `url`'s Redis server, other than its own, that any environment of the project is configured to use. */
export function otherRedisDbs(project: ProjectConfig, url: string): number[] {
  const address = (u: string) => {
    try {
      return parseRedisUrl({ name: 'redis', url: u });
    } catch {
      return undefined; // reported when that environment is used
    }
  };
  const own = address(url);
  if (!own) return [];
  const dbs = new Set<number>();
  for (const e of project.environments.values()) {
    for (const r of e.redis) {
      const a = address(r.url);
      if (a && a.host === own.host && a.port === own.port && a.db !== own.db) dbs.add(a.db);
    }
  }
  return [...dbs].sort((x, y) => x - y);
}

/** The connection settings of one of the environment's MySQL/MariaDB databases, its password resolved ("database <id>" in messages). */
export function mysqlSettings(env: EnvironmentConfig, db: MysqlDatabaseConfig): MysqlConnectionSettings {
  const name = `database ${db.id}`;
  return {
    name,
    host: db.host,
    port: db.port,
    ...(db.socket ? { socket: db.socket } : {}),
    user: db.user,
    password: resolveSecret(db.password, `the password of ${name} in environment ${env.name}`),
    database: db.database,
  };
}

/** Maintenance mode of an environment as a runner, or undefined when none is configured. */
export function maintenanceRunner(env: EnvironmentConfig, opts: { logger: Logger; clock: Clock }): MaintenanceRunner | undefined {
  const m = env.maintenance;
  if (m.kind === 'none') return undefined;
  const mode = maintenanceMode(m.kind === 'command' ? { ...m, cwd: env.root } : m, { logger: opts.logger });
  return {
    description: mode.description,
    async run(fn) {
      const r = await withMaintenance(mode, fn, opts);
      return { result: r.result, onMs: r.onMs, offFailed: r.offFailed };
    },
  };
}

/** Paths relative to the root that snapshots leave out and restores never write: the maintenance flag. */
export function protectedPaths(env: EnvironmentConfig): string[] {
  if (env.maintenance.kind !== 'flag') return [];
  const rel = relative(env.root, env.maintenance.flag);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? [rel.split('\\').join('/')] : [];
}
