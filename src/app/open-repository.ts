/** Opening and creating repositories from a location string. */
import { resolve } from 'node:path';
import { EnvsnapError } from '../core/errors.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { LocalStore } from '../storage/local/local-store.ts';
import { Repository } from '../repo/repository.ts';
import type { AppContext, RepoRef } from './context.ts';

export function storeFor(location: string): BlobStore {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new EnvsnapError('INVALID_ARGUMENT', `repository location ${location} uses an unsupported scheme: give a directory path`);
  }
  return new LocalStore(resolve(location));
}

export async function openRepository(ctx: AppContext, ref: RepoRef): Promise<Repository> {
  return Repository.open(storeFor(ref.location), ref.password, { clock: ctx.clock });
}

export async function initRepository(ctx: AppContext, ref: RepoRef): Promise<Repository> {
  if (ref.password.length === 0) throw new EnvsnapError('INVALID_ARGUMENT', 'empty password: set ENVSNAP_PASSWORD or use --password-file');
  return Repository.init(storeFor(ref.location), ref.password, { clock: ctx.clock });
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
