/** What a mounts restore would replace, for the confirmation prompt; and include-path normalization. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvsnapError } from '../core/errors.ts';

/** Include paths relative to the environment root, '/'-separated; undefined for "everything". */
export function normalizeIncludes(include: string[] | undefined): string[] | undefined {
  if (!include || include.length === 0) return undefined;
  return include.map((p) => {
    const parts = p.split('/').filter((s) => s !== '' && s !== '.');
    if (parts.some((s) => s === '..')) throw new EnvsnapError('INVALID_ARGUMENT', `include path ${p} leaves the environment root: give a path inside it, like pub/media/catalog`);
    return parts.join('/') || '.';
  });
}

/** "files under /var/www/shop: var, pub/media (2 of 3 exist, not empty)" or '' when none holds anything. */
export async function describeFilesTarget(root: string, paths: string[] | undefined): Promise<string> {
  const present: string[] = [];
  for (const p of paths ?? ['.']) {
    const abs = join(root, p);
    try {
      const st = await stat(abs);
      if (!st.isDirectory() || (await readdir(abs)).length > 0) present.push(p);
    } catch {
      // missing: nothing to replace
    }
  }
  return present.length === 0 ? '' : `files under ${root}: ${present.join(', ')} (files in the snapshot replace them; other files stay)`;
}
