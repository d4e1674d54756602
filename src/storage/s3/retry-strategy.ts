/**
 * Retries of S3 requests, in one place: a retry strategy the SDK's retry middleware runs for every
 * request (it classifies each failure and sleeps the delay this strategy returns), whose delay
 * function the store reuses when a response body breaks off mid-download.
 *
 * Retried: throttling (503 SlowDown, 429 and the SDK's other throttling codes), other 5xx except 501
 * (a feature the server lacks, which no retry brings), and network failures (refused, reset, timed
 * out). Never retried: 4xx but 429, which say the request itself is wrong (missing object, refused
 * credentials) and would fail again — also those the SDK calls transient or throttling (400
 * RequestTimeout, 400 Throttling).
 * Delays grow exponentially with full jitter — uniformly random in [0, min(cap, base·2^n)] — so
 * many clients that failed together do not come back together; throttling starts from a longer base,
 * and a Retry-After answer is honoured up to the cap.
 */

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Base delay after a throttling answer (the server asked to slow down). */
  throttlingBaseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Omit<RetryPolicy, 'maxAttempts'> = {
  baseDelayMs: 200,
  throttlingBaseDelayMs: 1000,
  maxDelayMs: 15_000,
};

/** The SDK's classification of a failed attempt (RetryErrorType in @smithy/types). */
export type FailureKind = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';

/** What the SDK's retry middleware hands a strategy about a failed attempt (RetryErrorInfo). */
interface FailureInfo {
  errorType: FailureKind;
  error?: unknown;
  retryAfterHint?: Date;
}

/** The SDK's RetryToken: which retry this is and how long to wait before it. */
interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * Whether a failed attempt is worth another. The HTTP status decides where there is one: the SDK
 * also classes some 4xx answers as transient (400 RequestTimeout), and those are not retried.
 */
export function shouldRetry(kind: FailureKind, error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (kind === 'THROTTLING') return status === undefined || status === 429 || status >= 500;
  if (kind === 'TRANSIENT' || kind === 'SERVER_ERROR') return status === undefined || (status >= 500 && status !== 501);
  return false;
}

/** Delay before retry number `retry` (1 for the first retry): full jitter over an exponential ceiling. */
export function backoffDelay(policy: RetryPolicy, retry: number, throttled: boolean, random: () => number = Math.random): number {
  const base = throttled ? policy.throttlingBaseDelayMs : policy.baseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

function token(count: number, delay: number): Token {
  return { getRetryCount: () => count, getRetryDelay: () => delay };
}

/** A RetryStrategyV2 for the SDK client (`retryStrategy` of S3ClientConfig). */
export class BackoffRetryStrategy {
  readonly mode = 'standard';
  readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(policy: RetryPolicy, random: () => number = Math.random, now: () => number = Date.now) {
    this.policy = policy;
    this.random = random;
    this.now = now;
  }

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return token(0, 0);
  }

  /** The token for the next attempt, or a rejection when the failure is final (the SDK then throws the failure itself). */
  async refreshRetryTokenForRetry(previous: Token, info: FailureInfo): Promise<Token> {
    const retry = previous.getRetryCount() + 1;
    if (retry >= this.policy.maxAttempts || !shouldRetry(info.errorType, info.error)) throw new Error('no more retries');
    let delay = backoffDelay(this.policy, retry, info.errorType === 'THROTTLING', this.random);
    if (info.retryAfterHint instanceof Date) {
      delay = Math.max(delay, Math.min(this.policy.maxDelayMs, info.retryAfterHint.getTime() - this.now()));
    }
    return token(retry, delay);
  }

  recordSuccess(_token: Token): void {}

  async maxAttempts(): Promise<number> {
    return this.policy.maxAttempts;
  }
}
