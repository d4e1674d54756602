/**
 * Reading a live Redis database key by key: the sorted set of key names (SCAN), then the keys'
 * values and expiry in pipelined batches (DUMP plus PEXPIRETIME). Redis has no consistent point
 * across keys, so each key is as it was when its batch ran; a key deleted between SCAN and its
 * batch is left out, one created after SCAN is not seen.
 */
import type { Redis } from 'ioredis';
import { EnvsnapError } from '../../core/errors.ts';
import { NO_EXPIRY, type KeyRecord } from './record-format.ts';

const SCAN_COUNT = 1000;

/**
 * Every key name of the selected database, sorted bytewise, each once (SCAN may return a key
 * twice while the table rehashes). Names only: a few million of them fit in memory, their values
 * are fetched later in batches.
 */
export async function scanKeyNames(client: Redis, name: string, signal?: AbortSignal): Promise<Buffer[]> {
  const names: Buffer[] = [];
  let cursor = '0';
  do {
    throwIfAborted(name, signal);
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', SCAN_COUNT);
    cursor = next.toString('latin1');
    for (const k of batch) names.push(k);
  } while (cursor !== '0');
  names.sort(Buffer.compare);
  let w = 0;
  for (let r = 0; r < names.length; r++) if (w === 0 || !names[r].equals(names[w - 1])) names[w++] = names[r];
  names.length = w;
  return names;
}

/**
 * How a key's absolute expiry is read: PEXPIRETIME (Redis 7+) gives it exactly, so unchanged keys
 * capture to the same bytes; older servers only have PTTL, and expiry = server time + PTTL is off
 * by the few milliseconds a batch takes (captures of TTL keys then differ slightly).
 */
export type ExpiryMode = 'pexpiretime' | 'pttl';

export function expiryModeFor(redisVersion: string): ExpiryMode {
  const major = Number(/^(\d+)\./.exec(redisVersion)?.[1] ?? NaN);
  return major >= 7 ? 'pexpiretime' : 'pttl';
}

/** The server's clock in Unix milliseconds (TIME), the reference for every expiry. */
export async function serverTimeMs(client: Redis): Promise<number> {
  return timeReplyMs(await client.time());
}

function timeReplyMs(reply: unknown): number {
  const [s, us] = reply as [string | number, string | number];
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/**
 * One pipeline reading `keys` (DUMP and expiry per key). Keys that no longer exist are left out.
 * Rejects with ioredis' error when the connection fails or a command is refused.
 */
export async function readKeys(client: Redis, keys: Buffer[], mode: ExpiryMode): Promise<KeyRecord[]> {
  const p = client.pipeline();
  if (mode === 'pttl') p.time();
  for (const k of keys) {
    p.dumpBuffer(k);
    if (mode === 'pexpiretime') p.pexpiretime(k);
    else p.pttl(k);
  }
  const replies = (await p.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  let at = 0;
  const now = mode === 'pttl' ? timeReplyMs(replies[at++][1]) : 0;
  const out: KeyRecord[] = [];
  for (const key of keys) {
    const payload = replies[at++][1] as Buffer | null;
    const expiry = replies[at++][1] as number;
    // -2: deleted between DUMP and the expiry read; null DUMP: deleted since SCAN.
    if (payload === null || expiry === -2) continue;
    const expireAt = expiry === -1 ? NO_EXPIRY : mode === 'pexpiretime' ? expiry : now + expiry;
    out.push({ key, expireAt, payload });
  }
  return out;
}

/** INTERRUPTED naming the source once `signal` has fired. */
export function throwIfAborted(name: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EnvsnapError('INTERRUPTED', `${name}: interrupted`);
}
