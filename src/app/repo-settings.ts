/**
 * Repository settings: the safety margins stored in the repository config (see
 * repo/safety-margins.ts), shown and changed by `repo:settings`. A change takes the exclusive lock,
 * so no process is running with the old margins when the new ones are stored.
 */
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { DEFAULT_MARGINS, MARGIN_SETTINGS, applyMarginSettings, formatSpan } from '../repo/safety-margins.ts';
import type { AppContext } from './context.ts';

export interface SettingRow {
  name: string;
  /** As users write it: 2h, 30m, 0s. */
  value: string;
  ms: number;
  isDefault: boolean;
  meaning: string;
}

export function repositorySettings(repo: Repository): SettingRow[] {
  const m = repo.margins;
  return MARGIN_SETTINGS.map(({ name, field, meaning }) => ({ name, value: formatSpan(m[field]), ms: m[field], isDefault: m[field] === DEFAULT_MARGINS[field], meaning }));
}

/** Applies `NAME=DURATION` assignments (validated together) and stores them; returns the settings now in force. */
export async function changeRepositorySettings(ctx: AppContext, repo: Repository, assignments: readonly string[]): Promise<SettingRow[]> {
  const margins = applyMarginSettings(repo.margins, assignments);
  await withLock(repo, { exclusive: true, operation: 'repo:settings', logger: ctx.logger }, () => repo.saveMargins(margins));
  return repositorySettings(repo);
}
