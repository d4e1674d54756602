/**
 * Exclude patterns (globs, gitignore-like): a pattern with a slash matches the path relative to the
 * snapshot root, one without matches the base name at any depth. `dir/**` excludes a directory's
 * contents but keeps the (empty) directory, `dir` excludes the directory itself. Lines of an exclude file: one pattern each, `#` comments.
 */
import picomatch from 'picomatch';
import { readFileSync } from 'node:fs';
import { EnvsnapError } from '../../core/errors.ts';

export type ExcludeMatcher = (relPath: string) => boolean;

export function compileExcludes(patterns: readonly string[]): ExcludeMatcher {
  const cleaned = patterns.map((p) => p.trim()).filter((p) => p.length > 0 && !p.startsWith('#'));
  if (cleaned.length === 0) return () => false;
  const withSlash = cleaned.filter((p) => p.replace(/\/+$/, '').includes('/')).map((p) => p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/\*\*$/, '/**/*'));
  const baseOnly = cleaned.filter((p) => !p.replace(/\/+$/, '').includes('/')).map((p) => p.replace(/\/+$/, ''));
  const full = withSlash.length ? picomatch(withSlash, { dot: true }) : () => false;
  const base = baseOnly.length ? picomatch(baseOnly, { dot: true }) : () => false;
  return (rel) => {
    const slash = rel.lastIndexOf('/');
    return full(rel) || base(slash < 0 ? rel : rel.slice(slash + 1));
  };
}

export function readExcludeFile(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/);
  } catch (err) {
    throw new EnvsnapError('INVALID_ARGUMENT', `cannot read exclude file ${path}: ${(err as Error).message}`);
  }
}
