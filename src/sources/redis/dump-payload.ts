/**
 * DUMP payloads: what envsnap reads from the opaque value Redis' DUMP returns, without decoding
 * the value itself. A payload is `RDB type byte | value | u16 LE RDB version | u64 LE CRC64`; the
 * type byte gives the key's type for the capture's counts (no extra TYPE round trip per key), the
 * trailer the RDB version RESTORE will check against the target server's.
 */

const TRAILER_SIZE = 10;

/** The RDB version a payload was written with, or undefined for a payload too short to have one. */
export function rdbVersionOf(payload: Buffer): number | undefined {
  return payload.length >= TRAILER_SIZE + 1 ? payload.readUInt16LE(payload.length - TRAILER_SIZE) : undefined;
}

/**
 * The Redis type (as TYPE names it) of a payload's RDB object type. Encodings map to their type:
 * a small hash is a listpack, a large one a hash table, both "hash". Unknown bytes (a newer
 * Redis) are "other" rather than a failure: the counts are informational.
 */
export function redisTypeOf(payload: Buffer): string {
  return RDB_TYPES[payload[0]] ?? 'other';
}

// From Redis' rdb.h (RDB_TYPE_*); 22–25 are hashes with field expiry (Redis 7.4+; 22 is Valkey 9's
// HASH_2), 26–27 newer stream layouts.
const RDB_TYPES: Record<number, string> = {
  0: 'string',
  1: 'list',
  2: 'set',
  3: 'zset',
  4: 'hash',
  5: 'zset',
  6: 'module',
  7: 'module',
  9: 'hash',
  10: 'list',
  11: 'set',
  12: 'zset',
  13: 'hash',
  14: 'list',
  15: 'stream',
  16: 'hash',
  17: 'zset',
  18: 'list',
  19: 'stream',
  20: 'set',
  21: 'stream',
  22: 'hash',
  23: 'hash',
  24: 'hash',
  25: 'hash',
  26: 'stream',
  27: 'stream',
};
