/**
 * Prompt release of large buffers. The hot path allocates a buffer per file or chunk and hands it to
 * another thread; V8 frees such (external) memory only at its next GC, and with a JS heap of a few
 * MiB that GC comes late — peak RSS then grows with the data volume instead of the work in flight.
 * A full GC of so small a heap costs about a millisecond, so every `everyBytes` of buffers that pass
 * through a thread we run one. Without `gc` available (it is enabled here through V8 flags), nothing
 * happens and memory is only less tightly bounded.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | undefined | null = null;

function gc(): (() => void) | undefined {
  if (gcFn === null) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = undefined;
    }
  }
  return gcFn;
}

export class BufferReleaser {
  private since = 0;
  private readonly everyBytes: number;
  constructor(everyBytes = 16 * 1024 * 1024) {
    this.everyBytes = everyBytes;
  }
  /** Notes `bytes` of buffers that became (or will soon be) garbage. */
  passed(bytes: number): void {
    this.since += bytes;
    if (this.since >= this.everyBytes) {
      this.since = 0;
      gc()?.();
    }
  }
}
