/**
 * Whether a snapshot can be restored, as snapshot:list and the console show it: it is unexpired, every
 * tree and data chunk it references is in the index and in a pack the repository holds (its data is
 * present), and no check found it damaged (its data is verified).
 *
 * Presence is found by walking the snapshot's trees (snapshot/presence.ts) and cached on this host
 * with the index files and packs it was found with: while both only grow (new snapshots), a snapshot
 * found present stays present and is not walked again; once one of them is gone (prune, a lost pack)
 * every snapshot is walked again. What check finds damaged is recorded on this host too: a later
 * check replaces it, except that damage found by reading data is kept until a check reads all data.
 */
import type { Repository } from '../repo/repository.ts';
import type { CheckResult } from '../snapshot/check.ts';
import type { Snapshot } from '../snapshot/manifest.ts';
import { findAbsentData } from '../snapshot/presence.ts';
import type { AppContext } from './context.ts';
import { readLocalRecord, writeLocalRecord } from './local-records.ts';

/** Why a snapshot cannot be restored. */
export interface NotRestorable {
  cause: 'expired' | 'data missing' | 'damaged';
  /** What is missing or damaged (not for 'expired'). */
  detail?: string;
}

interface PresenceRecord {
  indexFiles: string[];
  packs: string[];
  /** Snapshot id → what is absent, or null when all its data is present. */
  snapshots: Record<string, string | null>;
}

interface DamageRecord {
  /** Snapshot id → what check found. */
  snapshots: Record<string, { detail: string; byReadingData: boolean; time: string }>;
}

const PRESENCE = 'presence';
const DAMAGE = 'damage';

/** Snapshot id → why it cannot be restored, for the given snapshots whose data is absent or damaged. */
export async function dataProblems(ctx: AppContext, repo: Repository, snapshots: readonly Snapshot[]): Promise<Map<string, NotRestorable>> {
  const out = new Map<string, NotRestorable>();
  const damage = await readLocalRecord<DamageRecord>(repo, DAMAGE);
  for (const [id, absent] of await absentData(ctx, repo, snapshots)) out.set(id, { cause: 'data missing', detail: absent });
  for (const s of snapshots) {
    const d = damage?.snapshots[s.id];
    if (d && !out.has(s.id)) out.set(s.id, { cause: 'damaged', detail: d.detail });
  }
  return out;
}

/** Snapshot id → what is absent, for the given snapshots that do not have all their data. */
async function absentData(ctx: AppContext, repo: Repository, snapshots: readonly Snapshot[]): Promise<Map<string, string>> {
  const indexFiles = new Set(await repo.listIndexFiles());
  const packs = new Set((await repo.listPacks()).keys());
  const cached = await readLocalRecord<PresenceRecord>(repo, PRESENCE);
  const grown = cached !== undefined && cached.indexFiles.every((n) => indexFiles.has(n)) && cached.packs.every((p) => packs.has(p));
  const same = grown && cached.indexFiles.length === indexFiles.size && cached.packs.length === packs.size;
  const known = new Map<string, string | null>();
  for (const s of snapshots) {
    const before = cached?.snapshots[s.id];
    if (before === null && grown) known.set(s.id, null);
    else if (before !== undefined && same) known.set(s.id, before);
  }
  const unwalked = snapshots.filter((s) => !known.has(s.id));
  if (unwalked.length > 0) {
    ctx.logger.debug(`checking that the data of ${unwalked.length} snapshot(s) is present`);
    await repo.loadIndex();
    const found = await findAbsentData(repo, unwalked.map((s) => s.tree), { index: repo.index, packs });
    for (const s of unwalked) known.set(s.id, found.get(s.tree)?.detail ?? null);
  }
  if (!same || unwalked.length > 0) {
    await writeLocalRecord(repo, PRESENCE, { indexFiles: [...indexFiles].sort(), packs: [...packs].sort(), snapshots: Object.fromEntries(known) } satisfies PresenceRecord, ctx.logger);
  }
  const out = new Map<string, string>();
  for (const [id, absent] of known) if (absent !== null) out.set(id, absent);
  return out;
}

/**
 * Records which snapshots a check found damaged, replacing what earlier checks found, except damage
 * found by reading data that this check could not have seen again (it did not read every pack).
 */
export async function recordCheckFindings(ctx: AppContext, repo: Repository, result: CheckResult, readAllData: boolean, snapshotIds: ReadonlySet<string>): Promise<void> {
  const before = await readLocalRecord<DamageRecord>(repo, DAMAGE);
  const snapshots: DamageRecord['snapshots'] = {};
  if (!readAllData) {
    for (const [id, d] of Object.entries(before?.snapshots ?? {})) if (d.byReadingData && snapshotIds.has(id)) snapshots[id] = d;
  }
  const time = new Date(ctx.clock.now()).toISOString();
  for (const d of result.damagedSnapshots) snapshots[d.id] = { detail: d.detail, byReadingData: d.byReadingData, time };
  if (before === undefined && Object.keys(snapshots).length === 0) return;
  await writeLocalRecord(repo, DAMAGE, { snapshots } satisfies DamageRecord, ctx.logger);
}
