/**
 * What every use case receives: the clock, where words and progress go, and how to reach the
 * repository. The CLI and the server build one of these; use cases never read the environment.
 */
import type { Clock } from '../core/clock.ts';
import type { Logger, Progress } from '../core/logger.ts';
import type { S3Config } from '../config/project-config.ts';

export interface AppContext {
  clock: Clock;
  logger: Logger;
  progress: Progress;
}

export interface RepoRef {
  /** A directory path or an s3://BUCKET/PREFIX URL. */
  location: string;
  password: string;
  /** How to reach an s3:// location (envsnap.yaml's `s3:` block); unset: the AWS SDK's standard chain. */
  s3?: S3Config;
}
