/**
 * A few equal buffers, made on first need and handed out one at a time: a thread keeps several
 * reads or writes in flight without allocating (and faulting in) a buffer per operation. A taker
 * waits while all are out.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((b: Buffer) => void)[] = [];
  private made = 0;
  private readonly make: () => Buffer;
  private readonly size: number;

  constructor(make: () => Buffer, size: number) {
    this.make = make;
    this.size = size;
  }

  /** A buffer now, or once one is given back. */
  take(): Buffer | Promise<Buffer> {
    const b = this.free.pop();
    if (b) return b;
    if (this.made < this.size) {
      this.made++;
      return this.make();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(b: Buffer): void {
    const next = this.waiting.shift();
    if (next) next(b);
    else this.free.push(b);
  }
}
