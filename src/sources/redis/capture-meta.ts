/**
 * meta.json of a Redis capture: what was captured (server and RDB version, db number, key counts
 * by type), next to keys.bin. Deterministic — no timestamps — so an unchanged database captures to
 * the same bytes; the capture time goes into the capture's details instead.
 */

export const META_FILE = 'meta.json';

export interface RedisCaptureMeta {
  /** Version of the keys.bin format (record-format.ts). */
  format: number;
  /** The captured server's version ("7.0.15"). */
  redis_version: string;
  /** Highest RDB version among the DUMP payloads (absent for an empty database); a sink refuses a target that reads less. */
  rdb_version?: number;
  db: number;
  keys: number;
  /** Keys by type as TYPE names them, sorted by type. */
  keys_by_type: Record<string, number>;
}

export function encodeMeta(meta: RedisCaptureMeta): Buffer {
  return Buffer.from(`${JSON.stringify(meta, null, 2)}\n`);
}
