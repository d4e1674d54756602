/**
 * Terminal output: the logger (stderr), the progress display (a redrawn line on a TTY, a plain line
 * every few seconds otherwise), tables and JSON (stdout).
 */
import { formatBytes } from '../core/bytes.ts';
import type { Logger, Progress, ProgressState } from '../core/logger.ts';
import type { Clock } from '../core/clock.ts';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

export function cliLogger(o: OutputOptions): Logger {
  return {
    info: (m) => {
      if (!o.quiet && !o.json) process.stderr.write(`${m}\n`);
    },
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
    debug: (m) => {
      if (o.verbose) process.stderr.write(`debug: ${m}\n`);
    },
  };
}

export function cliProgress(o: OutputOptions, clock: Clock): Progress {
  if (o.quiet) return { update() {}, done() {} };
  const tty = process.stderr.isTTY === true;
  const start = clock.now();
  // Nothing is printed for the first interval: short runs stay quiet, and the rate has meaning.
  let last = start;
  let drawn = false;
  let state: ProgressState | undefined;
  const line = (s: ProgressState) => {
    const secs = (clock.now() - start) / 1000;
    const rate = secs > 0 ? s.bytes / secs : 0;
    const parts = [`[${clockFmt(secs)}]`, s.phase];
    parts.push(s.totalBytes !== undefined ? `${formatBytes(s.bytes)} / ${formatBytes(s.totalBytes)}` : formatBytes(s.bytes));
    parts.push(`${s.files}${s.totalFiles !== undefined ? ` / ${s.totalFiles}` : ''} files`);
    parts.push(`${formatBytes(rate)}/s`);
    if (s.totalBytes && rate > 0 && s.bytes < s.totalBytes) parts.push(`ETA ${clockFmt((s.totalBytes - s.bytes) / rate)}`);
    if (s.addedBytes !== undefined) parts.push(`new ${formatBytes(s.addedBytes)}`);
    return parts.join('  ');
  };
  return {
    update(s) {
      state = s;
      const now = clock.now();
      if (now - last < (tty ? 200 : 5000)) return;
      last = now;
      if (tty) {
        process.stderr.write(`\r\x1b[K${line(s).slice(0, (process.stderr.columns ?? 100) - 1)}`);
        drawn = true;
      } else {
        process.stderr.write(`${line(s)}\n`);
      }
    },
    done() {
      if (tty && drawn) process.stderr.write('\r\x1b[K');
      else if (!tty && state && clock.now() - start > 5000) process.stderr.write(`${line(state)}\n`);
      drawn = false;
    },
  };
}

function clockFmt(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(`${fmt(headers)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${fmt(r)}\n`);
}

export function printLine(s: string): void {
  process.stdout.write(`${s}\n`);
}
