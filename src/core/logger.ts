/**
 * Logger and Progress: how library code reports. Only the CLI (and later the server) decides where the
 * words go; library code never writes to the console.
 */

export interface Logger {
  info(message: string): void;
  /** Something the user must see, that did not stop the operation (an unreadable file, a stale lock). */
  warn(message: string): void;
  debug(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, debug() {} };

/** A logger that keeps every line; for tests. */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'info' | 'warn' | 'debug'; message: string }[] = [];
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  warnings(): string[] {
    return this.lines.filter((l) => l.level === 'warn').map((l) => l.message);
  }
}

/** Counters of a running snapshot or restore; totals may be unknown (undefined) while scanning. */
export interface ProgressState {
  phase: string;
  files: number;
  bytes: number;
  totalFiles?: number;
  totalBytes?: number;
  /** Bytes newly stored in the repository (after dedup, before compression). */
  addedBytes?: number;
  currentPath?: string;
}

export interface Progress {
  update(state: ProgressState): void;
  done(): void;
}

export const noProgress: Progress = { update() {}, done() {} };
