/**
 * Errors: one base class with a stable `code`. Every user-facing failure is an EnvsnapError whose
 * message names what is wrong and what to do next; the CLI maps codes to exit codes once
 * (cli/exit-codes.ts), the server to HTTP statuses once.
 */

export type ErrorCode =
  | 'INVALID_ARGUMENT' // the caller gave something unusable
  | 'NOT_FOUND' // a named snapshot, key, path or object does not exist
  | 'NO_REPOSITORY' // the repository location holds no envsnap repository
  | 'STORAGE_DENIED' // the repository's storage (an S3 bucket) refused the credentials or the access
  | 'FORMAT_TOO_NEW' // the repository was written by a newer envsnap
  | 'WRONG_PASSWORD' // no key of the repository opens with the given password
  | 'LOCKED' // another process holds a conflicting lock
  | 'CORRUPT' // stored data failed authentication or its hash check
  | 'NO_SPACE' // the storage is full
  | 'IO' // another storage or file-system failure
  | 'UNSAFE_PATH' // a manifest path would escape the restore target
  | 'PARTIAL' // the operation finished but skipped some items (reported as warnings)
  | 'INTERRUPTED' // the user interrupted the operation
  | 'CONFIG' // the project configuration (envsnap.yaml) is missing or invalid
  | 'SOURCE_UNAVAILABLE' // a database, Redis or file source cannot be reached or refuses access
  | 'SOURCE_FAILED' // a source failed during capture or restore (table vanished, server went away)
  | 'TARGET_NOT_EMPTY' // a restore target holds data and neither --yes nor an overwrite mode allows replacing it
  | 'FORBIDDEN' // the policy, plan or role does not allow the operation
  | 'UNAUTHENTICATED' // no credentials, or credentials the server does not accept
  | 'BUSY' // another activity is in progress on the environment
  | 'RATE_LIMITED' // too many attempts: wait and try again
  | 'TOO_LARGE' // a request body over the server's limit
  | 'ACTIVITY_FAILED'; // a server activity the CLI waited for failed (its error says why)

export class EnvsnapError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'EnvsnapError';
  }
}

export function isEnvsnapError(err: unknown, code?: ErrorCode): err is EnvsnapError {
  return err instanceof EnvsnapError && (code === undefined || err.code === code);
}

/** Node's errno code of a system error, or undefined. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;
}

/** An error's message for a log line (no "Error:" prefix, no stack). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
