/**
 * FakeSource / FakeSink: in-memory drivers for use-case tests — a source that writes a fixed set of
 * files and can be told to fail at a given step, and a sink that keeps what it was given. They
 * record the order of calls so tests can check what happened inside maintenance mode.
 */
import { EnvsnapError } from '../core/errors.ts';
import type { CaptureOptions, CaptureResult, EntryReader, EntryWriter, PinResult, RestoreOptions, Sink, Source, SourceKind } from '../sources/source.ts';

export type FakeStep = 'open' | 'pin' | 'capture' | 'restore';

export class FakeSource implements Source {
  readonly kind: SourceKind;
  readonly name: string;
  readonly files: Map<string, Buffer>;
  readonly calls: string[];
  private readonly failAt?: FakeStep;
  private readonly consistent: boolean;
  private readonly during?: (step: FakeStep) => void | Promise<void>;

  /**
   * `consistent: false` pins like a live source (Redis); `during` runs inside pin() and capture(),
   * after the step is recorded — a test drives its clock there to say how long the step takes.
   */
  constructor(opts: {
    kind?: SourceKind;
    name: string;
    files: Record<string, Buffer | string>;
    calls: string[];
    failAt?: FakeStep;
    consistent?: boolean;
    during?: (step: FakeStep) => void | Promise<void>;
  }) {
    this.kind = opts.kind ?? 'mysql';
    this.name = opts.name;
    this.files = new Map(Object.entries(opts.files).map(([k, v]) => [k, Buffer.from(v)]));
    this.calls = opts.calls;
    this.failAt = opts.failAt;
    this.consistent = opts.consistent ?? true;
    this.during = opts.during;
  }

  private step(s: FakeStep): void {
    this.calls.push(`${this.name}:${s}`);
    if (this.failAt === s) {
      throw new EnvsnapError(s === 'open' ? 'SOURCE_UNAVAILABLE' : 'SOURCE_FAILED', `${this.name} failed at ${s} (injected)`);
    }
  }

  async open(_opts: CaptureOptions): Promise<void> {
    this.step('open');
  }

  async pin(): Promise<PinResult> {
    this.step('pin');
    await this.during?.('pin');
    return { consistent: this.consistent, details: { position: 42 } };
  }

  async capture(out: EntryWriter, _opts: CaptureOptions): Promise<CaptureResult> {
    this.step('capture');
    await this.during?.('capture');
    let bytes = 0;
    for (const [p, b] of this.files) bytes += (await out.writeFile(p, b)).size;
    return { bytes, details: { files: this.files.size } };
  }

  async close(): Promise<void> {
    this.calls.push(`${this.name}:close`);
  }
}

export class FakeSink implements Sink {
  readonly kind: SourceKind;
  readonly name: string;
  readonly calls: string[];
  /** What the target holds: path → bytes. */
  target: Map<string, Buffer>;
  private readonly failAt?: FakeStep;

  constructor(opts: { kind?: SourceKind; name: string; calls: string[]; target?: Map<string, Buffer>; failAt?: FakeStep }) {
    this.kind = opts.kind ?? 'mysql';
    this.name = opts.name;
    this.calls = opts.calls;
    this.target = opts.target ?? new Map();
    this.failAt = opts.failAt;
  }

  async open(_opts: CaptureOptions): Promise<void> {
    this.calls.push(`${this.name}:open-sink`);
  }

  async describeTarget(): Promise<string> {
    return this.target.size === 0 ? '' : `${this.name}: ${this.target.size} entries`;
  }

  async restore(input: EntryReader, _opts: RestoreOptions): Promise<void> {
    this.calls.push(`${this.name}:restore`);
    const next = new Map<string, Buffer>();
    for (const { path } of input.list()) {
      const parts: Buffer[] = [];
      for await (const p of input.read(path)) parts.push(p);
      next.set(path, Buffer.concat(parts));
      if (this.failAt === 'restore') throw new EnvsnapError('SOURCE_FAILED', `${this.name} failed at restore (injected)`);
    }
    this.target = next;
  }

  async close(): Promise<void> {
    this.calls.push(`${this.name}:close-sink`);
  }
}
