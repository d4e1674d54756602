/** Worker thread entry: enables the compile cache (as the CLI does), then runs the worker loop. */
import module from 'node:module';

module.enableCompileCache?.();
await import('./blob-worker-loop.ts');
