/**
 * The global -e/--env option holds one environment for most commands (the last one given wins), but
 * user:add limits a role to several: every value given is kept here in order. (A subcommand cannot
 * define its own --env: the program's global option takes it wherever it appears.)
 */
const given: string[] = [];

export function recordEnvArg(value: string): string {
  given.push(value);
  return value;
}

/** Every -e/--env value of this command line, in order, without repeats. */
export function allEnvArgs(): string[] {
  return [...new Set(given)];
}
