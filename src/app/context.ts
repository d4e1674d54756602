/**
 * What every use case receives: the clock, where words and progress go, and how to reach the
 * repository. The CLI and the server build one of these; use cases never read the environment.
 */
import type { Clock } from '../core/clock.ts';
import type { Logger, Progress } from '../core/logger.ts';

export interface AppContext {
  clock: Clock;
  logger: Logger;
  progress: Progress;
}

export interface RepoRef {
  /** A directory path (S3 URLs come later). */
  location: string;
  password: string;
}
