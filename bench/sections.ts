/**
 * docs/BENCHMARKS.md is written by several benchmarks: `npm run bench` owns the file, and each other
 * benchmark (bench:db, bench:server) owns a section between `<!-- bench:NAME start/end -->` markers,
 * replaced in place and carried over when the main report is rewritten.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const SECTION_NAMES = ['db', 'server', 's3'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

const markers = (name: SectionName) => [`<!-- bench:${name} start -->`, `<!-- bench:${name} end -->`] as const;

/** The section's text, markers included, or undefined. */
export function readSection(text: string, name: SectionName): string | undefined {
  const [start, end] = markers(name);
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  return a >= 0 && b > a ? text.slice(a, b + end.length) : undefined;
}

/** Replaces the section in the file at `path` (appending it when there is none), keeping everything else. */
export function writeSection(path: string, section: string, name: SectionName): void {
  const [start, end] = markers(name);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const next = a >= 0 && b > a ? `${text.slice(0, a)}${section}${text.slice(b + end.length)}` : `${text.replace(/\n*$/, '\n\n')}${section}\n`;
  writeFileSync(path, next);
}

/** Wraps a section's lines in its markers. */
export function sectionText(name: SectionName, lines: readonly string[]): string {
  const [start, end] = markers(name);
  return [start, ...lines, end].join('\n');
}
