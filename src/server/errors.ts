/**
 * Errors to HTTP, mapped once: an EnvsnapError's code picks the status, its message (which never
 * holds secrets) goes into a JSON body `{ error: { code, message } }`. Anything else is a 500 with a
 * generic message; its details go to the server's log only.
 */
import type { ErrorCode } from '../core/errors.ts';

export function httpStatusFor(code: ErrorCode): 400 | 401 | 403 | 404 | 409 | 413 | 423 | 429 | 500 | 502 | 507 {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'CONFIG':
    case 'UNSAFE_PATH':
      return 400;
    case 'UNAUTHENTICATED':
    case 'WRONG_PASSWORD':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'BUSY':
    case 'TARGET_NOT_EMPTY':
      return 409;
    case 'TOO_LARGE':
      return 413;
    case 'LOCKED':
      return 423;
    case 'RATE_LIMITED':
      return 429;
    case 'SOURCE_UNAVAILABLE':
    case 'SOURCE_FAILED':
    case 'STORAGE_DENIED':
      return 502;
    case 'NO_SPACE':
      return 507;
    default:
      return 500;
  }
}
