/** Opening and creating repositories from a location string: a directory path or `s3://BUCKET/PREFIX`. */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvsnapError } from '../core/errors.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { CachedStore } from '../storage/cached/cached-store.ts';
import { isDirectoryLocation, LocalStore } from '../storage/local/local-store.ts';
import type { S3Store, S3StoreOptions } from '../storage/s3/s3-store.ts';
import { isLocalOrIpHost } from '../storage/s3/s3-settings.ts';
import type { S3Config } from '../config/project-config.ts';
import { isS3Url } from '../storage/s3/s3-location.ts';
import { Repository } from '../repo/repository.ts';
import type { AppContext, RepoRef } from './context.ts';

/**
 * The store of a repository location. S3 settings (endpoint, path style, parallelism) and
 * credentials come from the SDK's standard environment variables and files, read by the store.
 */
export async function storeFor(location: string, s3?: S3Config): Promise<LocalStore | S3Store> {
  if (isS3Url(location)) return s3Store(location, s3 ? s3StoreOptions(s3) : {});
  if (!isDirectoryLocation(location)) {
    throw new EnvsnapError('INVALID_ARGUMENT', `repository location ${location} uses an unsupported scheme: give a directory path or an s3://BUCKET/PREFIX URL`);
  }
  return new LocalStore(resolve(location));
}

/** Loaded only for s3:// locations: the AWS SDK is the largest dependency, and local repositories never need it. */
async function s3Store(location: string, options: S3StoreOptions): Promise<S3Store> {
  const { S3Store } = await import('../storage/s3/s3-store.ts');
  return new S3Store(location, options);
}

/**
 * envsnap.yaml's `s3:` block as store options. Credentials are read here, at use, from the
 * environment variables the block names; a variable that is not set is an error naming it.
 */
export function s3StoreOptions(c: S3Config): S3StoreOptions {
  const need = (name: string, key: string) => {
    const v = process.env[name];
    if (v === undefined || v === '') throw new EnvsnapError('CONFIG', `environment variable ${name} (s3.${key} in envsnap.yaml) is not set: export it with the S3 ${key.replace(/_env$/, '').replaceAll('_', ' ')}`);
    return v;
  };
  const credentials =
    c.accessKeyIdEnv && c.secretAccessKeyEnv
      ? { accessKeyId: need(c.accessKeyIdEnv, 'access_key_id_env'), secretAccessKey: need(c.secretAccessKeyEnv, 'secret_access_key_env'), ...(c.sessionTokenEnv ? { sessionToken: need(c.sessionTokenEnv, 'session_token_env') } : {}) }
      : undefined;
  return {
    settings: {
      ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
      ...(c.pathStyle !== undefined ? { forcePathStyle: c.pathStyle } : c.endpoint !== undefined ? { forcePathStyle: isLocalOrIpHost(new URL(c.endpoint).hostname) } : {}),
    },
    client: {
      ...(c.region !== undefined ? { region: c.region } : {}),
      ...(c.profile !== undefined ? { profile: c.profile } : {}),
      ...(credentials ? { credentials } : {}),
    },
  };
}

export async function openRepository(ctx: AppContext, ref: RepoRef): Promise<Repository> {
  const store = await storeFor(ref.location, ref.s3);
  if (!(store instanceof LocalStore)) await store.checkBucket();
  return Repository.open(withCache(store), ref.password, { clock: ctx.clock });
}

/**
 * A remote store with its index files and snapshot manifests cached on this host (see
 * storage/cached/): under $ENVSNAP_CACHE_DIR, else $XDG_CACHE_HOME/envsnap, else ~/.cache/envsnap,
 * one folder per repository location. ENVSNAP_CACHE_DIR=off turns the cache off. Local
 * repositories are not cached.
 */
function withCache(store: LocalStore | S3Store): BlobStore {
  if (store instanceof LocalStore) return store;
  const base = localCacheBase();
  if (base === undefined) return store;
  const key = createHash('sha256').update(store.location).digest('hex').slice(0, 32);
  return new CachedStore(store, new LocalStore(join(base, key)));
}

/** This host's cache directory ($ENVSNAP_CACHE_DIR, else $XDG_CACHE_HOME/envsnap, else ~/.cache/envsnap); undefined when ENVSNAP_CACHE_DIR=off. */
export function localCacheBase(): string | undefined {
  const base = process.env.ENVSNAP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'envsnap');
  return base === 'off' ? undefined : base;
}

export async function initRepository(ctx: AppContext, ref: RepoRef): Promise<Repository> {
  if (ref.password.length === 0) throw new EnvsnapError('INVALID_ARGUMENT', 'empty password: set ENVSNAP_PASSWORD or use --password-file');
  const store = await storeFor(ref.location, ref.s3);
  const repo = await Repository.init(store, ref.password, { clock: ctx.clock });
  if (!(store instanceof LocalStore) && store.bucketCreated) ctx.logger.info(`created bucket ${store.bucket} at ${store.endpoint}`);
  return repo;
}

/** Opens, runs fn, and always closes (stops the worker threads). */
export async function withRepository<T>(ctx: AppContext, ref: RepoRef, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const repo = await openRepository(ctx, ref);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}
