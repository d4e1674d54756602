/**
 * V8 optimizing for size (slower heap growth, leaner compiled code), for work whose time goes into
 * native code — hashing, compression, encryption and file I/O — as in a file-tree snapshot or restore
 * on a local repository: peak memory of the benchmark's first snapshot 140-147 MiB instead of
 * 147-168 MiB, for about 3% more time. Not for code that spends its time in JavaScript of its own:
 * an S3 restore (the AWS SDK's request and stream handling) took 11.6-11.9 s of user CPU instead of
 * 7.0-7.3 s, and database dumps (rows serialized in JavaScript) slow down too. Process-wide. A
 * snapshot sets it when the data starts to flow (Repository.onWorkersStart): an unchanged re-snapshot,
 * which only walks the tree and reads trees, runs faster with V8's defaults. A restore, whose workers
 * always start, sets it before it loads the index (its peak memory is 15 MiB lower than when set at
 * the workers' start). Without it, the benchmark's restore took 4.74-4.85 s (4.7-4.8 s of user CPU)
 * instead of 4.93-5.02 s (5.0-5.2 s) in alternating runs, but peaked at 150-162 MiB instead of
 * 138 MiB: above the first snapshot's peak, so the highest peak of all phases would rise.
 */
import { setFlagsFromString } from 'node:v8';

export function optimizeForSize(): void {
  setFlagsFromString('--optimize-for-size');
}
