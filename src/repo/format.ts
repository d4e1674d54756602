/**
 * Repository format version and the plaintext marker object. The marker lets envsnap tell "no
 * repository here", "another tool's directory" and "a newer format" apart before asking for a password.
 */
import { EnvsnapError } from '../core/errors.ts';
import { Names, type BlobStore } from '../storage/blob-store.ts';

export const FORMAT_VERSION = 1;

export interface Marker {
  repository: 'envsnap';
  version: number;
}

export function encodeMarker(): Buffer {
  return Buffer.from(JSON.stringify({ repository: 'envsnap', version: FORMAT_VERSION } satisfies Marker) + '\n');
}

/** Throws NO_REPOSITORY or FORMAT_TOO_NEW with a message naming the location; returns the version. */
export async function checkMarker(store: BlobStore): Promise<number> {
  const where = store.location;
  if (!(await store.exists())) {
    throw new EnvsnapError('NO_REPOSITORY', `no repository at ${where}: create one with "envsnap init" or check --repo / ENVSNAP_REPO`);
  }
  let raw: Buffer;
  try {
    raw = await store.get(Names.marker);
  } catch (err) {
    if (err instanceof EnvsnapError && err.code === 'NOT_FOUND') {
      throw new EnvsnapError('NO_REPOSITORY', `${where} is not an envsnap repository: check --repo / ENVSNAP_REPO, or run "envsnap init" on an empty directory`);
    }
    throw err;
  }
  let marker: Marker;
  try {
    marker = JSON.parse(raw.toString('utf8')) as Marker;
  } catch {
    throw new EnvsnapError('NO_REPOSITORY', `${where} is not an envsnap repository (unreadable marker): check --repo / ENVSNAP_REPO`);
  }
  if (marker.repository !== 'envsnap' || typeof marker.version !== 'number') {
    throw new EnvsnapError('NO_REPOSITORY', `${where} is not an envsnap repository: check --repo / ENVSNAP_REPO`);
  }
  if (marker.version > FORMAT_VERSION) {
    throw new EnvsnapError(
      'FORMAT_TOO_NEW',
      `repository ${where} has format version ${marker.version}, this envsnap reads up to ${FORMAT_VERSION}: upgrade envsnap`,
    );
  }
  return marker.version;
}
