/**
 * FaultyStore: a BlobStore decorator for fault-injection tests. It passes every call through to an
 * inner store, except where a test armed a fault: a failing put (nothing reaches the inner store, as
 * the contract's "nothing partial remains" promises), a failing get, or a flipped bit in data read back
 * (what a damaged disk or a tampered repository looks like). It also counts calls, so tests can assert
 * how much I/O an operation did.
 *
 * Each kind of fault holds at most one rule; arming it again replaces the rule, reset() disarms all.
 */
import { EnvsnapError } from '../../core/errors.ts';
import type { BlobInfo, BlobStore, BlobData } from '../blob-store.ts';

export interface FailPutOptions {
  /** Fail only the nth matching put (1-based, counted from when this rule was set); omitted: every matching put. */
  nth?: number;
  /** Only names starting with this count as matching; omitted: every name. */
  namePrefix?: string;
  /** The error code to reject with; default IO. */
  code?: 'IO' | 'NO_SPACE';
}

export interface FlipBitOptions {
  namePrefix: string;
  /** Flip only the first read of a matching, non-empty object; later reads are clean. */
  once?: boolean;
}

export interface FailGetOptions {
  namePrefix: string;
  /** The error code to reject with; default IO. */
  code?: 'IO' | 'NOT_FOUND' | 'CORRUPT';
}

interface PutRule {
  nth: number | undefined;
  namePrefix: string;
  code: 'IO' | 'NO_SPACE';
  /** Matching puts seen since the rule was set. */
  seen: number;
}

export class FaultyStore implements BlobStore {
  readonly location: string;
  private readonly inner: BlobStore;

  /** Calls of put, including failed ones. */
  puts = 0;
  /** Calls of get and getRange, including failed ones. */
  gets = 0;
  /** Calls of delete. */
  deletes = 0;
  /** The name of every put call, in call order, including failed ones. */
  readonly putNames: string[] = [];

  private putRule: PutRule | undefined;
  private flipRule: FlipBitOptions | undefined;
  private getRule: FailGetOptions | undefined;
  private afterPutRule: { namePrefix: string; action: () => Promise<void> } | undefined;

  constructor(inner: BlobStore) {
    this.inner = inner;
    this.location = inner.location;
  }

  failPut(options: FailPutOptions = {}): void {
    if (options.nth !== undefined && (!Number.isInteger(options.nth) || options.nth < 1)) {
      throw new EnvsnapError('INVALID_ARGUMENT', `failPut nth must be a whole number from 1, not ${options.nth}`);
    }
    this.putRule = { nth: options.nth, namePrefix: options.namePrefix ?? '', code: options.code ?? 'IO', seen: 0 };
  }

  flipBitOnRead(options: FlipBitOptions): void {
    this.flipRule = { ...options };
  }

  failGet(options: FailGetOptions): void {
    this.getRule = { ...options };
  }

  /**
   * Runs `action` once, after the first successful put of a name starting with `namePrefix`; the put
   * resolves only when the action has finished (its failure is the put's).
   */
  afterPut(namePrefix: string, action: () => Promise<void>): void {
    this.afterPutRule = { namePrefix, action };
  }

  /** Disarms every fault; the counters and putNames are left alone (tests may zero them directly). */
  reset(): void {
    this.afterPutRule = undefined;
    this.putRule = undefined;
    this.flipRule = undefined;
    this.getRule = undefined;
  }

  /** Whether this put is the one the put rule fails; consumes an nth rule when it fires. */
  private putFails(name: string): PutRule | undefined {
    const rule = this.putRule;
    if (rule === undefined || !name.startsWith(rule.namePrefix)) return undefined;
    rule.seen++;
    if (rule.nth === undefined) return rule;
    if (rule.seen !== rule.nth) return undefined;
    this.putRule = undefined;
    return rule;
  }

  private checkGet(name: string): void {
    const rule = this.getRule;
    if (rule === undefined || !name.startsWith(rule.namePrefix)) return;
    const code = rule.code ?? 'IO';
    const what = code === 'NOT_FOUND' ? 'does not exist' : code === 'CORRUPT' ? 'is damaged' : 'could not be read';
    throw new EnvsnapError(code, `injected fault: object ${name} in ${this.location} ${what}`);
  }

  /** Flips the lowest bit of the middle byte of a copy, so the stored object stays intact even if the inner store shares buffers. */
  private maybeFlip(name: string, data: Buffer): Buffer {
    const rule = this.flipRule;
    if (rule === undefined || data.length === 0 || !name.startsWith(rule.namePrefix)) return data;
    if (rule.once === true) this.flipRule = undefined;
    const flipped = Buffer.from(data);
    flipped[flipped.length >> 1] ^= 0x01;
    return flipped;
  }

  async get(name: string): Promise<Buffer> {
    this.gets++;
    this.checkGet(name);
    return this.maybeFlip(name, await this.inner.get(name));
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    this.gets++;
    this.checkGet(name);
    return this.maybeFlip(name, await this.inner.getRange(name, offset, length));
  }

  async put(name: string, data: BlobData): Promise<void> {
    this.puts++;
    this.putNames.push(name);
    const rule = this.putFails(name);
    if (rule !== undefined) {
      if (rule.code === 'NO_SPACE') {
        throw new EnvsnapError('NO_SPACE', `injected fault: no space left in ${this.location} while writing ${name}: free space and run again`);
      }
      throw new EnvsnapError('IO', `injected fault: cannot write ${name} to ${this.location}`);
    }
    await this.inner.put(name, data);
    const after = this.afterPutRule;
    if (after === undefined || !name.startsWith(after.namePrefix)) return;
    this.afterPutRule = undefined;
    await after.action();
  }

  async delete(name: string): Promise<void> {
    this.deletes++;
    return this.inner.delete(name);
  }

  list(prefix: string): AsyncIterable<BlobInfo> {
    return this.inner.list(prefix);
  }

  stat(name: string): Promise<BlobInfo | undefined> {
    return this.inner.stat(name);
  }

  exists(): Promise<boolean> {
    return this.inner.exists();
  }

  create(): Promise<void> {
    return this.inner.create();
  }
}
