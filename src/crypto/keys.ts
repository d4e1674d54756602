/**
 * Master keys and key files. A repository has one master key (an encryption key and an id key for
 * keyed chunk hashes); each key file wraps it under a password-derived key, so several passwords can
 * open one repository and a password can change without re-encrypting data.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { seal, open, adFor } from './aead.ts';
import { deriveKey, type KdfParams } from './kdf.ts';
import { EnvsnapError } from '../core/errors.ts';

export interface MasterKey {
  /** AES-256-GCM key for every stored object. */
  encrypt: Buffer;
  /** HMAC-SHA256 key for content ids: chunk ids reveal nothing about plaintext without it. */
  id: Buffer;
}

export interface KeyFile {
  version: 1;
  created: string;
  hostname: string;
  username: string;
  kdf: KdfParams;
  /** The sealed master key, base64. */
  data: string;
}

export function newMasterKey(): MasterKey {
  return { encrypt: randomBytes(32), id: randomBytes(32) };
}

export async function wrapMasterKey(master: MasterKey, password: string, kdf: KdfParams, keyId: string, now: Date): Promise<KeyFile> {
  const wrapping = await deriveKey(password, kdf);
  const plain = Buffer.from(JSON.stringify({ encrypt: master.encrypt.toString('base64'), id: master.id.toString('base64') }));
  return {
    version: 1,
    created: now.toISOString(),
    hostname: hostname(),
    username: safeUsername(),
    kdf,
    data: seal(wrapping, plain, adFor('key', keyId)).toString('base64'),
  };
}

/** Unwraps a key file; returns undefined when the password does not open it. */
export async function unwrapMasterKey(file: KeyFile, password: string, keyId: string): Promise<MasterKey | undefined> {
  const wrapping = await deriveKey(password, file.kdf);
  let plain: Buffer;
  try {
    plain = open(wrapping, Buffer.from(file.data, 'base64'), adFor('key', keyId), `key ${keyId}`);
  } catch (err) {
    if (err instanceof EnvsnapError && err.code === 'CORRUPT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(plain.toString('utf8')) as { encrypt: string; id: string };
  return { encrypt: Buffer.from(parsed.encrypt, 'base64'), id: Buffer.from(parsed.id, 'base64') };
}

export function parseKeyFile(bytes: Buffer, keyId: string): KeyFile {
  try {
    const f = JSON.parse(bytes.toString('utf8')) as KeyFile;
    if (f.version !== 1 || f.kdf?.name !== 'scrypt' || typeof f.data !== 'string') throw new Error('bad fields');
    return f;
  } catch (err) {
    throw new EnvsnapError('CORRUPT', `key file ${keyId} is unreadable: remove it with "envsnap key:remove" using another key`, { cause: err });
  }
}


function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
