/**
 * A counting HTTPS proxy in a worker thread, between a backup tool and the S3 server: it forwards every
 * request unchanged (the Host header too, so SigV4 signatures stay valid) and counts requests by
 * method and bytes each way. In a worker because the benchmark's main thread blocks on spawnSync
 * while a tool runs. Messages: {reset} → {counts} of the period since the last reset.
 */
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const target = workerData as { host: string; port: number; cert: string; key: string };
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let counts: Record<string, number> = {};
let bytesUp = 0;
let bytesDown = 0;

// HTTPS towards the tools: over plain HTTP restic's S3 client signs uploads as aws-chunked streams,
// which Swift's s3api refuses; over TLS it sends whole bodies, as both tools would to a real server.
const server = createServer({ cert: target.cert, key: target.key }, (req: IncomingMessage, res: ServerResponse) => {
  counts[req.method ?? '?'] = (counts[req.method ?? '?'] ?? 0) + 1;
  const up = request({ host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.on('data', (d: Buffer) => (bytesDown += d.length));
    ur.pipe(res);
  });
  up.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.on('data', (d: Buffer) => (bytesUp += d.length));
  req.pipe(up);
});

server.listen(0, '127.0.0.1', () => {
  parentPort!.postMessage({ port: (server.address() as AddressInfo).port });
});

parentPort!.on('message', (m: { reset?: boolean; stop?: boolean }) => {
  if (m.stop) {
    server.close();
    agent.destroy();
    parentPort!.close();
    return;
  }
  parentPort!.postMessage({ counts, bytesUp, bytesDown });
  counts = {};
  bytesUp = 0;
  bytesDown = 0;
});
