/** Identifiers: 32-byte content ids (hex) and random object ids, with parsing that names bad input. */
import { randomBytes } from 'node:crypto';
import { EnvsnapError } from './errors.ts';

/** A 32-byte id as 64 lowercase hex characters. */
export type HexId = string & { readonly __brand: 'HexId' };

export function randomId(): HexId {
  return randomBytes(32).toString('hex') as HexId;
}

export function toHexId(buf: Uint8Array): HexId {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('hex') as HexId;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function isHexId(s: string): s is HexId {
  return HEX64.test(s);
}

/** Accepts a full id or a unique prefix of at least 4 hex characters among `known`. */
export function resolveIdPrefix(prefix: string, known: Iterable<string>, what: string): HexId {
  const p = prefix.trim().toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(p)) {
    throw new EnvsnapError('INVALID_ARGUMENT', `"${prefix}" is not a ${what} id: give at least 4 hex characters of an id from the list`);
  }
  const matches: string[] = [];
  for (const id of known) if (id.startsWith(p)) matches.push(id);
  if (matches.length === 0) throw new EnvsnapError('NOT_FOUND', `no ${what} with id ${prefix}: list them to see the ids`);
  if (matches.length > 1) throw new EnvsnapError('INVALID_ARGUMENT', `${what} id prefix ${prefix} is ambiguous (${matches.length} match): give more characters`);
  return matches[0] as HexId;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}
