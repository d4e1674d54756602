/** Exit codes, mapped once from error codes. Documented in `envsnap --help`. */
import type { ErrorCode } from '../core/errors.ts';

export const ExitCode = {
  ok: 0,
  error: 1,
  partial: 3,
  noRepository: 10,
  locked: 11,
  wrongPassword: 12,
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
    case 'PARTIAL':
      return ExitCode.partial;
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
  130  interrupted (Ctrl-C / SIGINT, SIGTERM)`;
