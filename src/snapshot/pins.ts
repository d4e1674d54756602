/**
 * Pins: snapshots a user marked to keep whatever the retention policy says. Manifests are immutable
 * (sealed with their id, written once as the commit of a snapshot), so a pin is an object of its own,
 * `pins/<snapshotId>`, sealed like a manifest: pinning and unpinning never rewrite a snapshot, two
 * users pinning different snapshots never race on a shared object, and a pin left behind by a deleted
 * snapshot is harmless (check warns, prune removes it).
 */
import { isEnvsnapError } from '../core/errors.ts';
import { Names, idOf } from '../storage/blob-store.ts';
import type { Repository } from '../repo/repository.ts';

export interface PinRecord {
  /** When it was pinned (ISO 8601), for snapshot:info and audits. */
  time: string;
}

/** Pins a snapshot; pinning a pinned snapshot again keeps the first pin's time. */
export async function pinSnapshot(repo: Repository, snapshotId: string, now: number): Promise<void> {
  if ((await repo.store.stat(Names.pin(snapshotId))) !== undefined) return;
  const record: PinRecord = { time: new Date(now).toISOString() };
  await repo.putSealedJson(Names.pin(snapshotId), 'pin', snapshotId, record);
}

/** Removes a pin; idempotent. */
export async function unpinSnapshot(repo: Repository, snapshotId: string): Promise<void> {
  await repo.store.delete(Names.pin(snapshotId));
}

/** The ids of every pinned snapshot (whether or not the snapshot still exists). */
export async function listPins(repo: Repository): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const b of repo.store.list('pins/')) out.add(idOf(b.name));
  return out;
}

/** The pin of a snapshot, or undefined when it is not pinned. */
export async function loadPin(repo: Repository, snapshotId: string): Promise<PinRecord | undefined> {
  try {
    return await repo.getSealedJson<PinRecord>(Names.pin(snapshotId), 'pin', snapshotId);
  } catch (err) {
    if (isEnvsnapError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
}
