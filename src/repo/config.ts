/**
 * Repository config: the sealed settings every writer must share — the repository id, the chunker
 * seed and sizes, the target pack size (written once by init and never changed), and the safety
 * margins (`repo:settings` changes them; absent in repositories made before they existed).
 */
import { randomBytes } from 'node:crypto';
import { seal, open, adFor } from '../crypto/aead.ts';
import { EnvsnapError } from '../core/errors.ts';
import { DEFAULT_CHUNKER, type ChunkerParams } from './chunker.ts';
import { FORMAT_VERSION } from './format.ts';
import type { SafetyMargins } from './safety-margins.ts';

export interface RepoConfig {
  version: number;
  id: string;
  chunker: ChunkerParams & { seed: string };
  packSize: number;
  /** Absent or partial: the defaults fill in (see resolveMargins). */
  margins?: Partial<SafetyMargins>;
}

export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

export function newConfig(packSize = DEFAULT_PACK_SIZE): RepoConfig {
  return {
    version: FORMAT_VERSION,
    id: randomBytes(32).toString('hex'),
    chunker: { ...DEFAULT_CHUNKER, seed: randomBytes(32).toString('hex') },
    packSize,
  };
}

export function sealConfig(key: Uint8Array, config: RepoConfig): Buffer {
  return seal(key, Buffer.from(JSON.stringify(config)), adFor('config', 'config'));
}

export function openConfig(key: Uint8Array, sealed: Buffer): RepoConfig {
  const c = JSON.parse(open(key, sealed, adFor('config', 'config'), 'repository config').toString('utf8')) as RepoConfig;
  if (c.version > FORMAT_VERSION) {
    throw new EnvsnapError('FORMAT_TOO_NEW', `repository config has version ${c.version}: upgrade envsnap`);
  }
  return c;
}
