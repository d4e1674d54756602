/**
 * What S3Store's client does on the wire, seen by a scripted S3 server (node:http on loopback) that
 * counts the requests it gets: failed answers are retried or not as retry-strategy.ts says (5xx
 * again until it passes, 4xx once), and no more requests than the parallel-transfer limit are ever in
 * flight at once.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { isEnvsnapError } from '../../core/errors.ts';
import { S3Store } from './s3-store.ts';

/** One request as the server saw it. */
interface Seen {
  method: string;
  path: string;
}

/** Answers a request (after its body has arrived); `n` counts the requests so far, from 1. */
type Script = (req: IncomingMessage, res: ServerResponse, n: number) => void | Promise<void>;

/** A scripted S3 server on loopback, closed after the test; records every request and the most ever in flight at once. */
async function scriptedServer(t: { after(fn: () => unknown): void }, script: Script) {
  const seen: Seen[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer(async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    for await (const _ of req);
    seen.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] });
    await script(req, res, seen.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, seen, maxInFlight: () => maxInFlight };
}

function s3Error(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message><RequestId>test</RequestId></Error>`);
}

function ok(res: ServerResponse, body = ''): void {
  res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function storeOn(t: { after(fn: () => unknown): void }, endpoint: string, env: Record<string, string> = {}): S3Store {
  const store = new S3Store('s3://bucket/repo', {
    env: { AWS_ENDPOINT_URL_S3: endpoint, AWS_MAX_ATTEMPTS: '5', ...env },
    client: { region: 'us-east-1', credentials: { accessKeyId: 'key', secretAccessKey: 'secret' } },
  });
  t.after(() => store.destroy());
  return store;
}

describe('S3Store retries, as the server sees them', () => {
  it('a PUT answered 503 twice is sent a third time and succeeds', async (t) => {
    const server = await scriptedServer(t, (_req, res, n) => (n <= 2 ? s3Error(res, 503, 'ServiceUnavailable') : ok(res)));
    await storeOn(t, server.endpoint).put('data/ab', Buffer.from('pack'));
    assert.deepEqual(
      server.seen.map((r) => `${r.method} ${r.path}`),
      Array(3).fill('PUT /bucket/repo/data/ab'),
    );
  });

  it('a GET answered 503 SlowDown twice is sent a third time and returns the object', async (t) => {
    const server = await scriptedServer(t, (_req, res, n) => (n <= 2 ? s3Error(res, 503, 'SlowDown') : ok(res, 'the object')));
    assert.equal((await storeOn(t, server.endpoint).get('config')).toString(), 'the object');
    assert.equal(server.seen.length, 3);
  });

  const refusals: [number, string][] = [
    [403, 'AccessDenied'],
    [400, 'RequestTimeout'],
  ];
  for (const [status, code] of refusals) {
    it(`a PUT answered ${status} ${code} is sent once and fails`, async (t) => {
      const server = await scriptedServer(t, (_req, res) => s3Error(res, status, code));
      await assert.rejects(storeOn(t, server.endpoint).put('data/ab', Buffer.from('pack')), (err) => isEnvsnapError(err));
      assert.equal(server.seen.length, 1);
    });
  }
});

describe('S3Store parallel-transfer limit (ENVSNAP_S3_CONCURRENCY)', () => {
  for (const limit of [1, 3]) {
    it(`with a limit of ${limit}, the server never has more requests in flight than that`, async (t) => {
      // Each answer waits a little, so requests that the limit did not hold back would pile up.
      const server = await scriptedServer(t, async (_req, res) => {
        await new Promise((r) => setTimeout(r, 20));
        ok(res);
      });
      const store = storeOn(t, server.endpoint, { ENVSNAP_S3_CONCURRENCY: String(limit) });
      await Promise.all(Array.from({ length: 12 }, (_, i) => store.put(`data/${i}`, Buffer.from(`blob ${i}`))));
      assert.equal(server.seen.length, 12);
      assert.equal(server.maxInFlight(), limit);
    });
  }
});
