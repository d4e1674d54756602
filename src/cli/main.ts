/**
 * Entry point (bin/envsnap.js loads it; `node src/cli/main.ts` works too). Enables Node's on-disk
 * compile cache before loading the CLI, so the TypeScript of the program is stripped and compiled
 * once, not on every run (startup drops from ~0.5 s to ~0.1 s).
 *
 * The young generation of the JavaScript heaps (this thread's and the workers') stays at its initial
 * size instead of doubling under allocation pressure: the hot path's garbage is short-lived and
 * small (buffers live outside the heap and are released explicitly), and a grown young generation
 * added ~60 MiB to peak memory for a few percent less collection work. File-tree snapshots and
 * restores on a local repository also have V8 optimize for size (core/v8-tuning.ts).
 *
 * A command that opens a repository starts deriving its key first, so that it is ready by the time
 * the program is loaded (key-prefetch.ts).
 */
import module from 'node:module';
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
module.enableCompileCache?.();
const args = process.argv.slice(2);
const { opensRepository } = await import('./command-table.ts');
if (opensRepository(args)) (await import('./key-prefetch.ts')).prefetchRepositoryKey(args);
await import('./program.ts');
