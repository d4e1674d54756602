/**
 * Entry point. Enables Node's on-disk compile cache before loading the CLI, so the TypeScript of
 * the program is stripped and compiled once, not on every run (startup drops from ~0.5 s to ~0.1 s).
 */
import module from 'node:module';

module.enableCompileCache?.();
await import('./program.ts');
