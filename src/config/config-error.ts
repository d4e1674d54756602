/**
 * One-line CONFIG errors about envsnap.yaml: `FILE line N: KEY.PATH: what is wrong: what to do`.
 * The line comes from the parsed YAML document, so schema problems (zod issues) and the resolver's
 * own checks point at the same place. Messages name keys and types, never a value that could be a
 * secret (values are shown only for names and enumerations).
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { EnvsnapError } from '../core/errors.ts';
import { allowedKeys } from './schema.ts';

export type KeyPath = readonly PropertyKey[];

/** `environments.production.redis[1].url` */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${String(seg)}`;
  return out;
}

export class ConfigErrors {
  readonly file: string;
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #data: unknown;

  constructor(file: string, doc: Document, lines: LineCounter, data: unknown) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
    this.#data = data;
  }

  /** The error for the key at `path`: `problem` says what is wrong, `fix` what to do. */
  at(path: KeyPath, problem: string, fix: string): EnvsnapError {
    const line = this.#lineOf(path);
    const where = `${this.file}${line !== undefined ? ` line ${line}` : ''}`;
    return new EnvsnapError('CONFIG', `${where}: ${path.length ? `${formatPath(path)}: ` : ''}${problem}: ${fix}`);
  }

  /** The error for the first schema problem. */
  fromIssues(issues: readonly z.core.$ZodIssue[]): EnvsnapError {
    return this.#issue(issues[0], []);
  }

  #issue(issue: z.core.$ZodIssue, prefix: KeyPath): EnvsnapError {
    const path = [...prefix, ...issue.path];
    const value = valueAt(this.#data, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const key = issue.keys[0];
        const at = [...path, key];
        if (key === 'password') return this.at(at, 'passwords are not stored in envsnap.yaml', 'use password_env (the name of an environment variable) or password_file instead');
        const allowed = allowedKeys(path, value);
        return this.at(at, 'unknown key', `remove it or fix its spelling${allowed ? ` (allowed here: ${allowed.join(', ')})` : ''}`);
      }
      case 'invalid_type':
        if (value === undefined) return this.at(path, 'missing required key', 'add it');
        return this.at(path, `expected ${describeExpected(issue.expected)}, got ${describeValue(value)}`, 'fix the value');
      case 'invalid_value': {
        const choices = issue.values.length === 1 ? String(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`;
        if (value === undefined) return this.at(path, 'missing required key', `add it: ${choices}`);
        return this.at(path, `invalid value${showScalar(value)}`, `use ${choices}`);
      }
      case 'invalid_union': {
        const disc = issue as { note?: string; discriminator?: string; options?: unknown[] };
        if (disc.note === 'No matching discriminator' && disc.discriminator) {
          const options = (disc.options ?? []).map((o) => `${disc.discriminator}: ${String(o)}`).join(' or ');
          const at = path.at(-1) === disc.discriminator ? path : [...path, disc.discriminator];
          const got = valueAt(this.#data, at);
          return this.at(at, got === undefined ? 'missing required key' : `invalid value${showScalar(got)}`, `write ${options}`);
        }
        // A union of "one X or a list of X": report the branch that got past the shape check.
        const branches = issue.errors.filter((b) => b.length > 0);
        const best = branches.find((b) => !b.some((i) => i.path.length === 0 && i.code === 'invalid_type')) ?? branches[0];
        return best ? this.#issue(best[0], path) : this.at(path, 'invalid value', 'fix the value');
      }
      case 'too_small':
        if (issue.origin === 'string') return this.at(path, 'must not be empty', 'give a value or remove the key');
        return this.at(path, `must be at least ${String(issue.minimum)}`, 'fix the value');
      case 'too_big':
        return this.at(path, `must be at most ${String(issue.maximum)}`, 'fix the value');
      case 'custom': {
        // Custom checks (policy durations, schedules, tiers) write "problem: what to do" themselves.
        const cut = issue.message.lastIndexOf(': ');
        return cut < 0 ? this.at(path, issue.message, 'fix the value') : this.at(path, issue.message.slice(0, cut), issue.message.slice(cut + 2));
      }
      case 'invalid_format':
        return this.at(path, `invalid value${showScalar(value)} (${issue.message})`, 'fix the value');
      default:
        return this.at(path, issue.message, 'fix the value');
    }
  }

  /** The line of the deepest key of `path` that exists in the document (1-based). */
  #lineOf(path: KeyPath): number | undefined {
    const lineAt = (n: unknown) => {
      const range = (n as { range?: [number, number, number] } | null)?.range;
      return range ? this.#lines.linePos(range[0]).line : undefined;
    };
    let node: unknown = this.#doc.contents;
    let line = lineAt(node);
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.#doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        line = lineAt(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        line = lineAt(node) ?? line;
      } else {
        break;
      }
    }
    return line;
  }
}

/** A YAML syntax error as a one-line CONFIG error with the file and line. */
export function yamlSyntaxError(file: string, err: YAMLError): EnvsnapError {
  const line = err.linePos?.[0]?.line;
  const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return new EnvsnapError('CONFIG', `${file}${line ? ` line ${line}` : ''}: not valid YAML (${what}): fix the syntax`);
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping (key: value)';
    default:
      return expected;
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  if (typeof v === 'boolean') return 'true/false';
  return `a ${typeof v}`;
}

/** ` "value"` for short scalars (names and enumerations, where no secret can appear), else ''. */
function showScalar(v: unknown): string {
  if (typeof v === 'string' && v.length <= 60 && !/[\r\n]/.test(v)) return ` ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return ` ${String(v)}`;
  return '';
}
