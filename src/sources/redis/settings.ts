/**
 * Redis settings: what the configuration says about one Redis database (RedisSettings) and the
 * address it resolves to (RedisAddress: host, port, db number, TLS, ACL user). The password is a
 * separate field and never part of the URL, so no message or manifest that shows the URL can leak it.
 */
import { EnvsnapError } from '../../core/errors.ts';

export interface RedisSettings {
  /** Display name used in every message ("redis cache"). */
  name: string;
  /** `redis://host:port/db` or `rediss://…` (TLS); an ACL user may be given as `redis://user@host`. No password. */
  url: string;
  password?: string;
  /**
   * Other dbs of the same server that the project's environments use (envsnap.yaml): a restore
   * never takes one as its scratch db, even while it is empty.
   */
  usedDbs?: readonly number[];
}

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
}

const DEFAULT_PORT = 6379;

/** Resolves the URL; throws CONFIG (naming the source, without the URL's secrets) when it is unusable. */
export function parseRedisUrl(settings: RedisSettings): RedisAddress {
  const bad = (why: string) => new EnvsnapError('CONFIG', `${settings.name}: ${why}; expected redis://host:port/db (or rediss:// for TLS)`);
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw bad('the Redis URL is not a valid URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw bad(`the Redis URL has scheme "${url.protocol}"`);
  // A password in the URL would end up in logs and manifests; the configuration has a field for it.
  if (url.password !== '') throw bad('the Redis URL contains a password (put it in the password setting instead)');
  if (url.hostname === '') throw bad('the Redis URL has no host');
  const path = url.pathname.replace(/^\/+/, '');
  if (path !== '' && !/^\d{1,4}$/.test(path)) throw bad(`the Redis URL path "/${path}" is not a database number`);
  return {
    // URL keeps IPv6 literals in brackets; sockets want them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? DEFAULT_PORT : Number(url.port),
    db: path === '' ? 0 : Number(path),
    tls: url.protocol === 'rediss:',
    ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
  };
}

/** "127.0.0.1:6379 db 2", for messages. */
export function describeAddress(a: RedisAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${host}:${a.port} db ${a.db}`;
}
