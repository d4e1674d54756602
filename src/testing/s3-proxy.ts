/**
 * A refusing S3 proxy for tests: forwards every request to a test S3 server unchanged (the Host
 * header too, so SigV4 signatures stay valid) except those `refuse` picks, which it answers itself
 * with 403 AccessDenied, as S3 answers a user whose policy lacks that permission (e.g. may write but
 * not delete — a rule Swift's own ACLs cannot express: their write grant includes delete).
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RefusingProxy {
  /** The endpoint to point a client at instead of the server's. */
  endpoint: string;
  /** Requests refused so far, as "METHOD /path". */
  refused: string[];
  close(): Promise<void>;
}

export async function startRefusingProxy(target: string, refuse: (method: string, path: string) => boolean): Promise<RefusingProxy> {
  const to = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?')[0];
    if (refuse(method, path)) {
      refused.push(`${method} ${path}`);
      req.resume();
      const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
      return;
    }
    const up = request({ host: to.hostname, port: to.port, method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
