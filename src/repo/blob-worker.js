// Worker thread entry. Plain JavaScript on purpose: the compile cache goes on before the first
// TypeScript file loads, so a thread whose code is cached never loads Node's type stripper (that
// stripper costs each worker ~10 MiB of memory).
import module from 'node:module';

module.enableCompileCache?.();
await import('./blob-worker-loop.ts');
