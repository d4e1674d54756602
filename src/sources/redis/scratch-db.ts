/**
 * The scratch database of a Redis restore: an empty logical database of the target server that the
 * snapshot's keys are loaded into, then exchanged with the target db by one `SWAPDB` — clients of
 * the target see all old keys or all new ones, never a partly loaded db, and a failed load leaves
 * the target untouched (the MySQL restore's staging schema, for Redis).
 *
 * A scratch db is taken by a marker key (`envsnap:restore-scratch`) set in the same MULTI that
 * counts the db's keys: a db counts as free only when the marker is the one key in it, so two
 * restores never share one and a db an application holds keys in is never chosen; nor is a db
 * another environment of the project is configured to use (it may be empty just then, as the
 * target of another restore). Dbs are tried from the highest number down, away from the low
 * numbers applications use.
 *
 * When SWAPDB cannot be used — Redis Cluster, a server with one database, the command renamed or
 * refused by ACL, no empty db, a user whose ACL refuses the marker key — takeScratchDb says why and
 * the sink restores in place instead.
 */
import { randomBytes } from 'node:crypto';
import { ReplyError, type Redis } from 'ioredis';
import { oneLine } from './connection.ts';

export const SCRATCH_MARKER = 'envsnap:restore-scratch';
/** Redis' default `databases`, tried when CONFIG is refused (managed services). */
const DEFAULT_DATABASES = 16;

export type ScratchChoice = { db: number } | { unavailable: string };

/**
 * Probes SWAPDB (`SWAPDB target target` changes nothing but fails where the command is unusable),
 * then takes the highest-numbered empty db. On success the client is left on the scratch db; on
 * `unavailable` it is back on the target. Rejects with the server's error when a command fails
 * for another reason (connection lost).
 */
export async function takeScratchDb(client: Redis, target: number, usedDbs: readonly number[] = []): Promise<ScratchChoice> {
  try {
    await client.swapdb(target, target);
  } catch (err) {
    return { unavailable: `SWAPDB cannot be used on this server (${oneLine(err)})` };
  }
  const count = await databaseCount(client);
  const token = randomBytes(8).toString('hex');
  for (let db = count - 1; db >= 0; db--) {
    if (db === target || usedDbs.includes(db)) continue;
    try {
      await client.select(db);
      const replies = ((await client.multi().set(SCRATCH_MARKER, token, 'NX').dbsize().exec()) ?? []) as [Error | null, unknown][];
      for (const [err] of replies) if (err) throw err;
      const [[, set], [, keys]] = replies;
      if (set === 'OK' && keys === 1) return { db };
      if (set === 'OK') await client.del(SCRATCH_MARKER);
    } catch (err) {
      if (/out of range/i.test((err as Error).message)) continue;
      // The server refused a command (an ACL limited to some keys or commands): no scratch db for this user.
      if (!isReplyError(err)) throw err;
      await client.select(target);
      // A command refused inside MULTI aborts it; ioredis keeps the refusal that says why.
      const why = (err as { previousErrors?: Error[] }).previousErrors?.[0] ?? err;
      return { unavailable: `no empty db can be taken as scratch db (${oneLine(why)})` };
    }
  }
  await client.select(target);
  return { unavailable: count <= 1 ? 'the server has a single database, so there is no scratch db to swap with' : `no db other than db ${target} is empty to serve as scratch db` };
}

/** An error reply of the server, as opposed to a connection that failed. */
function isReplyError(err: unknown): boolean {
  return err instanceof ReplyError || (err instanceof Error && /^(ERR|NOPERM|EXECABORT)\b/.test(err.message));
}

/**
 * Exchanges the loaded scratch db with the target after checking it holds the loaded keys and
 * nothing else: `loaded` records, of which `volatile` had a TTL and may have expired since. The
 * marker goes in the same MULTI as the swap. Afterwards the client is on the scratch index, which
 * now holds the target's old keys. Returns a reason (and swaps nothing) when the count is off.
 */
export async function swapScratchIn(client: Redis, scratch: number, target: number, loaded: { keys: number; volatile: number }): Promise<string | undefined> {
  const keys = (await client.dbsize()) - 1;
  if (keys > loaded.keys || keys < loaded.keys - loaded.volatile) return `the scratch db ${scratch} holds ${keys} keys after ${loaded.keys} were restored into it`;
  const replies = (await client.multi().del(SCRATCH_MARKER).swapdb(scratch, target).exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  return undefined;
}

/** `databases` from CONFIG GET, or Redis' default when CONFIG is refused. */
async function databaseCount(client: Redis): Promise<number> {
  try {
    const reply = (await client.config('GET', 'databases')) as string[];
    const n = Number(reply[1]);
    return Number.isInteger(n) && n > 0 ? n : DEFAULT_DATABASES;
  } catch {
    return DEFAULT_DATABASES;
  }
}
