/**
 * Problems: what a validator found wrong with one value of user input, as a path below the value
 * and a message in the project's `what is wrong: what to do` form. Validators return problems rather
 * than throw so the same check serves both the zod schema (which turns a problem into an issue the
 * config loader can point at a line of envsnap.yaml) and the resolver (which throws it as a CONFIG
 * error naming the key and the layer it came from).
 */
import { EnvsnapError } from '../core/errors.ts';

export type ProblemPath = readonly (string | number)[];

export interface Problem {
  readonly path: ProblemPath;
  readonly message: string;
}

/** `automatic.tiers[1].every` */
export function joinKey(base: string, path: ProblemPath): string {
  let out = base;
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${seg}`;
  return out;
}

/** The one-line CONFIG error for a problem of the value at `key`. */
export function configError(key: string, problem: Problem): EnvsnapError {
  return new EnvsnapError('CONFIG', `${joinKey(key, problem.path)}: ${problem.message}`);
}
