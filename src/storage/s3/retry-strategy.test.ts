import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackoffRetryStrategy, backoffDelay, shouldRetry, type FailureKind, type RetryPolicy } from './retry-strategy.ts';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, throttlingBaseDelayMs: 1000, maxDelayMs: 3000 };
const status = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('shouldRetry', () => {
  const table: [FailureKind, unknown, boolean][] = [
    ['THROTTLING', status(503), true],
    ['THROTTLING', status(429), true],
    ['THROTTLING', undefined, true],
    ['THROTTLING', status(400), false],
    ['TRANSIENT', undefined, true],
    ['TRANSIENT', status(503), true],
    ['TRANSIENT', status(400), false],
    ['TRANSIENT', status(408), false],
    ['SERVER_ERROR', status(500), true],
    ['SERVER_ERROR', status(507), true],
    ['SERVER_ERROR', status(501), false],
    ['CLIENT_ERROR', status(403), false],
    ['CLIENT_ERROR', status(404), false],
  ];
  for (const [kind, error, expected] of table) {
    it(`${expected ? 'retries' : 'does not retry'} ${kind} ${JSON.stringify(error ?? null)}`, () => {
      assert.equal(shouldRetry(kind, error), expected);
    });
  }
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const top = () => 0.999999;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, false, top)),
      [199, 399, 799, 1599, 2999, 2999],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelay(policy, n, true, top)),
      [999, 1999, 2999],
    );
    assert.equal(backoffDelay(policy, 3, false, () => 0), 0);
    assert.equal(backoffDelay(policy, 3, false, () => 0.5), 400);
  });
});

describe('BackoffRetryStrategy', () => {
  it('hands out tokens until maxAttempts, then refuses', async () => {
    const s = new BackoffRetryStrategy(policy, () => 0.5);
    let token = await s.acquireInitialRetryToken('');
    assert.equal(token.getRetryCount(), 0);
    const delays: number[] = [];
    for (let i = 0; i < policy.maxAttempts - 1; i++) {
      token = await s.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT' });
      delays.push(token.getRetryDelay());
    }
    assert.deepEqual(delays, [100, 200, 400]);
    await assert.rejects(s.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT' }));
  });

  it('refuses at once for a client error', async () => {
    const s = new BackoffRetryStrategy(policy);
    await assert.rejects(s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(''), { errorType: 'CLIENT_ERROR', error: status(403) }));
  });

  it('waits at least as long as Retry-After asks, up to the cap', async () => {
    const now = 1_000_000;
    const s = new BackoffRetryStrategy(policy, () => 0, () => now);
    const first = await s.acquireInitialRetryToken('');
    assert.equal((await s.refreshRetryTokenForRetry(first, { errorType: 'THROTTLING', retryAfterHint: new Date(now + 2000) })).getRetryDelay(), 2000);
    assert.equal((await s.refreshRetryTokenForRetry(first, { errorType: 'THROTTLING', retryAfterHint: new Date(now + 60_000) })).getRetryDelay(), 3000);
  });
});
