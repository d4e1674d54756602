/**
 * Repeated phases for a fair comparison on a shared machine: the tools run in rounds whose order
 * rotates, each restored tree is evicted from the page cache once verified, and a tool's fastest
 * verified run counts.
 */
import { spawnSync } from 'node:child_process';

/** The tools' order in each round: as listed, reversed, then rotated by one, and so on. */
export function roundOrders<T>(tools: readonly T[], rounds: number): T[][] {
  return Array.from({ length: rounds }, (_, round) => {
    const rotated = [...tools.slice(round >> 1), ...tools.slice(0, round >> 1)];
    return round % 2 === 1 ? rotated.reverse() : rotated;
  });
}

/**
 * Drops a restored tree's pages from the page cache (`vmtouch -e`; the data stays on disk), so the
 * next restore finds memory as this one did instead of a page cache grown by the trees before it.
 */
export function evictFromPageCache(dir: string): void {
  const r = spawnSync('vmtouch', ['-q', '-e', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vmtouch -e ${dir} failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

/**
 * A phase's runs as one result: the fastest verified run (else the first that failed verification),
 * with every run's wall time and the highest value of `peak` (peak memory) among them.
 */
export function combineRuns<R extends { wallS: number; verified?: boolean; runs?: number[] }>(runs: readonly R[], peak: { [K in keyof R]: R[K] extends number ? K : never }[keyof R]): R {
  const failed = runs.find((r) => r.verified === false);
  const counted = failed ?? runs.reduce((best, r) => (r.wallS < best.wallS ? r : best));
  return { ...counted, runs: runs.map((r) => r.wallS), [peak]: Math.max(...runs.map((r) => r[peak] as number)) };
}
