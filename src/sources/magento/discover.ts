/**
 * Discovery of a Magento 2 environment from its app/etc/env.php: the databases (default, plus the
 * split checkout and sales connections), the Redis instances (cache, full-page cache, sessions),
 * and Magento's standard writable mounts, excludes and maintenance flag.
 *
 * Passwords found in env.php are not part of the settings: each gets the name of an environment
 * variable to read it from (ENVSNAP_DB_PASSWORD, ENVSNAP_DB_CHECKOUT_PASSWORD,
 * ENVSNAP_REDIS_CACHE_PASSWORD, …) and is returned separately as a DiscoveredSecret, whose value
 * never shows in JSON or inspect output.
 */
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { join, resolve } from 'node:path';
import { EnvsnapError, errnoCode } from '../../core/errors.ts';
import { parseEnvPhp, PhpUnresolved } from './env-php.ts';

export const MAGENTO_MOUNTS = ['var', 'pub/media', 'app/etc'];
export const MAGENTO_EXCLUDES = ['var/cache/**', 'var/page_cache/**', 'var/session/**', 'var/log/**', 'var/report/**', 'var/view_preprocessed/**', 'generated/**'];
export const MAGENTO_MAINTENANCE_FLAG = 'var/.maintenance.flag';

export interface DiscoveredDatabase {
  /** `default`, `checkout` or `sales` (the env.php connection name). */
  id: string;
  /** Absent when a socket is used. */
  host?: string;
  port?: number;
  socket?: string;
  user: string;
  /** The database (schema) name. */
  name: string;
  /** The environment variable the password is to be read from; absent when env.php has none. */
  passwordEnv?: string;
}

export interface DiscoveredRedis {
  role: 'cache' | 'page_cache' | 'sessions';
  /** redis:// or rediss:// URL, never with a password. */
  url: string;
  passwordEnv?: string;
}

/** A password the user has to provide through `variable`; its value (when env.php holds it literally) only through reveal(). */
export class DiscoveredSecret {
  readonly variable: string;
  /** What it is the password of, e.g. "database checkout". */
  readonly what: string;
  /** False when env.php computes the password (e.g. getenv()): the user has to look it up. */
  readonly found: boolean;
  readonly #value: string | undefined;
  constructor(variable: string, what: string, value: string | undefined) {
    this.variable = variable;
    this.what = what;
    this.found = value !== undefined;
    this.#value = value;
  }
  reveal(): string | undefined {
    return this.#value;
  }
  [inspect.custom](): string {
    return `DiscoveredSecret ${this.variable} (${this.what}) [redacted]`;
  }
}

export interface DiscoveredEnvironment {
  /** Absolute. */
  root: string;
  mounts: string[];
  exclude: string[];
  databases: DiscoveredDatabase[];
  redis: DiscoveredRedis[];
  maintenance: { flag: string };
  /** Passwords to provide through environment variables, in the order of the settings. */
  secrets: DiscoveredSecret[];
  /** Settings that could not be used (computed values, Unix-socket Redis, duplicates), one line each. */
  warnings: string[];
}

export interface DiscoverOptions {
  /** Prefix of the password variable names (default `ENVSNAP_`): ENVSNAP_DB_PASSWORD, … */
  variablePrefix?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof PhpUnresolved);

/**
 * Reads `<root>/app/etc/env.php`. Throws NOT_FOUND when it does not exist (not a Magento root),
 * CONFIG when it cannot be parsed.
 */
export async function discoverMagento(root: string, opts: DiscoverOptions = {}): Promise<DiscoveredEnvironment> {
  const absRoot = resolve(root);
  const file = join(absRoot, 'app', 'etc', 'env.php');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new EnvsnapError('NOT_FOUND', `${file} does not exist, so ${absRoot} is not a Magento root: pass the directory holding app/ and pub/ with --root`);
    throw new EnvsnapError('IO', `cannot read ${file} (${code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message)}): run as a user that can read it`);
  }
  const env = parseEnvPhp(text, file);
  const d = new Discovery(file, opts.variablePrefix ?? 'ENVSNAP_');
  d.databases(isObj(env) ? env : {});
  d.redis(isObj(env) ? env : {});
  return {
    root: absRoot,
    mounts: [...MAGENTO_MOUNTS],
    exclude: [...MAGENTO_EXCLUDES],
    databases: d.foundDatabases,
    redis: d.foundRedis,
    maintenance: { flag: MAGENTO_MAINTENANCE_FLAG },
    secrets: d.secrets,
    warnings: d.warnings,
  };
}

/** Thrown inside Discovery when a setting cannot be used; becomes a warning and the source is skipped. */
class Unusable extends Error {}

class Discovery {
  readonly foundDatabases: DiscoveredDatabase[] = [];
  readonly foundRedis: DiscoveredRedis[] = [];
  readonly secrets: DiscoveredSecret[] = [];
  readonly warnings: string[] = [];
  readonly #file: string;
  readonly #prefix: string;

  constructor(file: string, prefix: string) {
    this.#file = file;
    this.#prefix = prefix;
  }

  databases(env: Obj): void {
    const connections = (env.db as Obj | undefined)?.connection;
    if (!isObj(connections) || !isObj(connections.default)) {
      this.warnings.push(`${this.#file} has no db.connection.default: add the database to envsnap.yaml by hand`);
      return;
    }
    for (const id of ['default', 'checkout', 'sales']) {
      const conn = connections[id];
      if (!isObj(conn)) continue;
      const key = `db.connection.${id}`;
      this.#tryAdd(() => this.foundDatabases.push(this.#database(id, conn, key)));
    }
  }

  #database(id: string, conn: Obj, key: string): DiscoveredDatabase {
    const hostSetting = this.#string(conn, 'host', key) ?? 'localhost';
    const db: DiscoveredDatabase = { id, user: this.#required(conn, 'username', key), name: this.#required(conn, 'dbname', key) };
    // Magento's MySQL adapter: a host with a slash is a Unix socket, `host:port` carries the port.
    if (hostSetting.includes('/')) {
      db.socket = hostSetting;
    } else {
      const m = /^\[(.+)\](?::(\d+))?$/.exec(hostSetting) ?? /^([^:]+)(?::(\d+))?$/.exec(hostSetting);
      if (!m) throw new Unusable(`${key}.host is not a host name, host:port or socket path: add the database to envsnap.yaml by hand`);
      db.host = m[1];
      const port = m[2] ?? this.#string(conn, 'port', key);
      if (port !== undefined) db.port = this.#port(port, `${key}.port`);
    }
    const same = this.foundDatabases.find((o) => o.host === db.host && o.port === db.port && o.socket === db.socket && o.name === db.name);
    if (same) throw new Unusable(`${key} is the same database as ${same.id}: not added twice`);
    const variable = `${this.#prefix}DB_${id === 'default' ? '' : `${id.toUpperCase()}_`}PASSWORD`;
    if (this.#secret(conn, 'password', key, variable, `database ${id}`)) db.passwordEnv = variable;
    return db;
  }

  redis(env: Obj): void {
    const frontends = (env.cache as Obj | undefined)?.frontend;
    const cacheRoles = [
      ['default', 'cache'],
      ['page_cache', 'page_cache'],
    ] as const;
    for (const [name, role] of cacheRoles) {
      const fe = isObj(frontends) ? frontends[name] : undefined;
      if (!isObj(fe)) continue;
      const key = `cache.frontend.${name}`;
      this.#tryAdd(() => {
        let backend = fe.backend;
        let options = fe.backend_options;
        let optionsKey = `${key}.backend_options`;
        // The two-level cache keeps a local copy and the real cache in its remote backend.
        if (typeof backend === 'string' && /RemoteSynchronizedCache$/.test(backend) && isObj(options)) {
          backend = options.remote_backend;
          options = options.remote_backend_options;
          optionsKey = `${optionsKey}.remote_backend_options`;
        }
        if (typeof backend !== 'string' || !/redis$/i.test(backend)) return;
        this.#addRedis(role, isObj(options) ? options : {}, optionsKey, { host: 'server', port: 'port', database: 'database', password: 'password' });
      });
    }
    const session = env.session;
    if (isObj(session) && session.save === 'redis') {
      this.#tryAdd(() => this.#addRedis('sessions', isObj(session.redis) ? session.redis : {}, 'session.redis', { host: 'host', port: 'port', database: 'database', password: 'password' }));
    }
  }

  #addRedis(role: DiscoveredRedis['role'], o: Obj, key: string, names: { host: string; port: string; database: string; password: string }): void {
    let server = this.#string(o, names.host, key) ?? '127.0.0.1';
    let scheme = 'redis';
    if (server.startsWith('tls://')) scheme = 'rediss';
    server = server.replace(/^(tcp|tls):\/\//, '');
    if (server.startsWith('/') || server.startsWith('unix://')) throw new Unusable(`${key} uses the Unix socket ${server}, which envsnap cannot reach: make Redis listen on TCP or add it to envsnap.yaml by hand`);
    const port = this.#port(this.#string(o, names.port, key) ?? '6379', `${key}.${names.port}`);
    const database = this.#string(o, names.database, key) ?? '0';
    if (!/^\d+$/.test(database)) throw new Unusable(`${key}.${names.database} is not a database number: add this Redis to envsnap.yaml by hand`);
    const url = `${scheme}://${server.includes(':') ? `[${server}]` : server}:${port}/${database}`;
    const same = this.foundRedis.find((r) => r.url === url);
    if (same) throw new Unusable(`${key} is the same Redis database as the ${same.role} one: not added twice`);
    const variable = `${this.#prefix}REDIS_${role.toUpperCase()}_PASSWORD`;
    const entry: DiscoveredRedis = { role, url };
    if (this.#secret(o, names.password, key, variable, `Redis ${role}`)) entry.passwordEnv = variable;
    this.foundRedis.push(entry);
  }

  #tryAdd(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof Unusable)) throw err;
      this.warnings.push(err.message);
    }
  }

  /** A scalar setting as a string; undefined when absent or empty. */
  #string(o: Obj, name: string, key: string): string | undefined {
    const v = o[name];
    if (v instanceof PhpUnresolved) throw new Unusable(`${key}.${name} is computed by PHP (${v.expression}, env.php line ${v.line}), which envsnap cannot evaluate: add this source to envsnap.yaml by hand`);
    if (typeof v === 'number') return String(v);
    if (typeof v === 'string' && v !== '') return v;
    if (v === undefined || v === null || v === '') return undefined;
    throw new Unusable(`${key}.${name} is not a string: add this source to envsnap.yaml by hand`);
  }

  #required(o: Obj, name: string, key: string): string {
    const v = this.#string(o, name, key);
    if (v === undefined) throw new Unusable(`${key} has no ${name}: add this database to envsnap.yaml by hand`);
    return v;
  }

  #port(v: string, key: string): number {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Unusable(`${key} is not a port number: add this source to envsnap.yaml by hand`);
    return n;
  }

  /** Records the password at o[name] under `variable`; false when there is none. A computed password still needs the variable. */
  #secret(o: Obj, name: string, key: string, variable: string, what: string): boolean {
    const v = o[name];
    if (v instanceof PhpUnresolved) {
      this.secrets.push(new DiscoveredSecret(variable, what, undefined));
      this.warnings.push(`${key}.${name} is computed by PHP (${v.expression}, env.php line ${v.line}): set ${variable} to the password it yields`);
      return true;
    }
    if (v === undefined || v === null || v === '') return false;
    this.secrets.push(new DiscoveredSecret(variable, what, String(v)));
    return true;
  }
}
