/** Exit codes, mapped once from error codes. Documented in `envsnap --help`. */
import type { ErrorCode } from '../core/errors.ts';

export const ExitCode = {
  ok: 0,
  error: 1,
  partial: 3,
  noRepository: 10,
  locked: 11,
  wrongPassword: 12,
  storageDenied: 13,
  config: 20,
  sourceUnavailable: 21,
  sourceFailed: 22,
  targetNotEmpty: 23,
  forbidden: 24,
  unauthenticated: 25,
  busy: 26,
  activityFailed: 27,
  interrupted: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'NO_REPOSITORY':
      return ExitCode.noRepository;
    case 'LOCKED':
      return ExitCode.locked;
    case 'WRONG_PASSWORD':
      return ExitCode.wrongPassword;
    case 'STORAGE_DENIED':
      return ExitCode.storageDenied;
    case 'PARTIAL':
      return ExitCode.partial;
    case 'CONFIG':
      return ExitCode.config;
    case 'SOURCE_UNAVAILABLE':
      return ExitCode.sourceUnavailable;
    case 'SOURCE_FAILED':
      return ExitCode.sourceFailed;
    case 'TARGET_NOT_EMPTY':
      return ExitCode.targetNotEmpty;
    case 'FORBIDDEN':
      return ExitCode.forbidden;
    case 'UNAUTHENTICATED':
    case 'RATE_LIMITED':
      return ExitCode.unauthenticated;
    case 'BUSY':
      return ExitCode.busy;
    case 'ACTIVITY_FAILED':
      return ExitCode.activityFailed;
    case 'INTERRUPTED':
      return ExitCode.interrupted;
    default:
      return ExitCode.error;
  }
}

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    error (the message says what is wrong and what to do)
  3    partial: finished, but some files could not be read (listed as warnings)
  10   no repository at the given location (or not an envsnap repository)
  11   the repository is locked by another process
  12   wrong password
  13   the repository's storage (S3) refused the credentials or the access
  20   the project configuration (envsnap.yaml) is missing or invalid
  21   a source (database, Redis) cannot be reached or refuses the credentials
  22   a source failed during the snapshot or restore
  23   the restore target holds data: confirm on the terminal or pass --yes
  24   not allowed by the environment's plan, type or your role
  25   the server refused the credentials (log in again, or check ENVSNAP_TOKEN)
  26   another activity is in progress on the environment (try again later, or use --wait)
  27   an activity on the server failed: "Activity ID failed: why" (see envsnap activity:log ID)
  130  interrupted (Ctrl-C / SIGINT, SIGTERM)`;
