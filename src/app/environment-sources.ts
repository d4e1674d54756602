/**
 * Source specs: the sources of one environment as the use cases see them — kind, id, a display
 * name, and factories for a Source (capture) and a Sink (restore). Built from the project
 * configuration with secrets resolved at this point, so a missing password is a configuration
 * error before anything connects or maintenance mode goes on.
 */
import type { Sink, Source, SourceKind } from '../sources/source.ts';

export interface SourceSpec {
  kind: SourceKind;
  /** Unique per kind within the environment: "default", "checkout", "cache". */
  id: string;
  /** For messages: "database default", "redis cache". */
  name: string;
  role?: string;
  create(): Source;
  createSink(): Sink;
}
