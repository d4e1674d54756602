/** Entry paths of source files: relative, '/'-separated, no empty, '.' or '..' parts, no NUL. */
import { EnvsnapError } from '../core/errors.ts';

export function checkEntryPath(path: string): void {
  const parts = path.split('/');
  if (path.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new EnvsnapError('INVALID_ARGUMENT', `entry path ${JSON.stringify(path)} is not a safe relative path`);
  }
}
