/**
 * ConnectionPool: a fixed set of open connections lent out one task at a time, so N connections
 * (each pinned in the snapshot, or each loading a table) work through a list of tasks together.
 * The first failure stops the hand-out of further tasks (and calls onFirstFailure, which may cut the
 * running ones short); the promise settles once no task runs, with that first failure.
 */
import type { MysqlConnection } from './connection.ts';

export async function runOnPool<T, R>(
  conns: readonly MysqlConnection[],
  items: readonly T[],
  fn: (conn: MysqlConnection, item: T, i: number) => Promise<R>,
  opts: {
    onFirstFailure?: (err: unknown) => void;
    /** Which waiting item to start next (an index into `waiting`, in list order); default the first. */
    choose?: (waiting: readonly T[], running: ReadonlySet<T>) => number;
  } = {},
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  const waiting = items.map((item, i) => ({ item, i }));
  const running = new Set<T>();
  let failed = false;
  const errors: unknown[] = [];
  await Promise.all(
    conns.map(async (conn) => {
      while (!failed && waiting.length > 0) {
        const pick = opts.choose ? Math.max(0, opts.choose(waiting.map((w) => w.item), running)) : 0;
        const { item, i } = waiting.splice(pick, 1)[0];
        running.add(item);
        try {
          out[i] = await fn(conn, item, i);
          running.delete(item);
        } catch (err) {
          if (!failed) opts.onFirstFailure?.(err);
          failed = true;
          errors.push(err);
          return;
        }
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
  return out;
}
