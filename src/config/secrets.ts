/**
 * Secrets of the project configuration. envsnap.yaml never holds a password itself: it names an
 * environment variable (`password_env`) or a file (`password_file`), read only when the password is
 * used (resolveSecret), so resolved configuration objects can be printed, logged and sent as JSON.
 *
 * The one exception is a Redis URL written with a password (`redis://:secret@host`). Its password
 * is moved out of the URL into an InlineSecret, which holds it in a private field: JSON.stringify,
 * util.inspect and console.log show `[redacted]`, only reveal() returns it.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { EnvsnapError, errnoCode } from '../core/errors.ts';

/** Where a password comes from: an environment variable or a file (absolute path). Neither = no password. */
export interface SecretRef {
  env?: string;
  file?: string;
}

/** A password that was written inline (in a Redis URL); kept out of every printed form. */
export class InlineSecret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): { inline: string } {
    return { inline: '[redacted]' };
  }
  [inspect.custom](): string {
    return 'InlineSecret [redacted]';
  }
}

export type Secret = SecretRef | InlineSecret;

/**
 * The password `ref` points to, read now. `what` names its use for error messages, e.g.
 * "the password of database default (environment production)". A file's trailing newline is
 * dropped. Throws CONFIG naming the variable or file — never its content — when it is not there.
 */
export function resolveSecret(ref: Secret, what: string): string {
  if (ref instanceof InlineSecret) return ref.reveal();
  if (ref.env !== undefined) {
    const value = process.env[ref.env];
    if (value === undefined) throw new EnvsnapError('CONFIG', `${what} comes from the environment variable ${ref.env}, which is not set: set it, or point password_env / password_file in envsnap.yaml elsewhere`);
    return value;
  }
  if (ref.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(ref.file, 'utf8');
    } catch (err) {
      const code = errnoCode(err);
      const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : `${code ?? 'read error'}`;
      throw new EnvsnapError('CONFIG', `${what} comes from the file ${ref.file}, which cannot be read (${why}): create it or fix password_file in envsnap.yaml`);
    }
    return text.replace(/\r?\n$/, '');
  }
  return '';
}

/** How a secret is provided, for display: `$VAR`, `file PATH`, `inline`, or `none`. Never the value. */
export function describeSecret(ref: Secret): string {
  if (ref instanceof InlineSecret) return 'inline';
  if (ref.env !== undefined) return `$${ref.env}`;
  if (ref.file !== undefined) return `file ${ref.file}`;
  return 'none';
}
