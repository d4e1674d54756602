/**
 * The CLI as a client of `envsnap serve` (global --server URL or $ENVSNAP_SERVER): JSON requests with
 * the API token from $ENVSNAP_TOKEN or --token-file (never from argv), the server's error codes
 * turned back into EnvsnapErrors (so exit codes match local runs), and waiting for an activity with
 * a progress display, ending in "Activity ID succeeded" or "... failed: why".
 */
import { readFileSync } from 'node:fs';
import { EnvsnapError, type ErrorCode } from '../core/errors.ts';
import type { Activity } from '../server/api-types.ts';
import type { Session } from './session.ts';
import { printLine } from './render.ts';

export class ServerClient {
  readonly base: string;
  readonly #token: string;

  constructor(base: string, token: string) {
    this.base = base.replace(/\/+$/, '');
    this.#token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new EnvsnapError('IO', `cannot reach the envsnap server at ${this.base}: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}; is "envsnap serve" running?`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EnvsnapError('IO', `the server at ${this.base} answered ${res.status} without JSON: is it an envsnap server?`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } }).error;
      throw new EnvsnapError((e?.code as ErrorCode) ?? 'IO', e?.message ?? `the server answered ${res.status}`);
    }
    return json as T;
  }

  /** Polls the activity until it is finished, feeding the progress display; throws when it did not succeed. */
  async waitFor(s: Session, id: string, everyMs = 500): Promise<Activity> {
    for (;;) {
      const a = await this.request<Activity>('GET', `/activities/${id}`);
      if (a.progress) s.ctx.progress.update({ phase: a.progress.phase, files: a.progress.files, bytes: a.progress.bytes, totalFiles: a.progress.totalFiles, totalBytes: a.progress.totalBytes });
      if (a.state === 'succeeded' || a.state === 'failed' || a.state === 'cancelled') {
        s.ctx.progress.done();
        if (a.state === 'succeeded') {
          if (!s.out.quiet && !s.out.json) printLine(`Activity ${a.id} succeeded`);
          return a;
        }
        if (a.state === 'cancelled') throw new EnvsnapError('INTERRUPTED', `Activity ${a.id} cancelled`);
        throw new EnvsnapError('ACTIVITY_FAILED', `Activity ${a.id} failed: ${a.error ?? 'see envsnap activity:log'}`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/** The client of --server / $ENVSNAP_SERVER, or undefined when the CLI works locally. */
export function serverClient(globals: { server?: string; tokenFile?: string }): ServerClient | undefined {
  const url = globals.server ?? process.env.ENVSNAP_SERVER;
  if (!url) return undefined;
  if (!/^https?:\/\/[^/]+/.test(url)) throw new EnvsnapError('INVALID_ARGUMENT', `--server ${url} is not an http(s):// URL: use e.g. http://127.0.0.1:7420`);
  let token = process.env.ENVSNAP_TOKEN;
  if (globals.tokenFile) {
    try {
      token = readFileSync(globals.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new EnvsnapError('INVALID_ARGUMENT', `cannot read token file ${globals.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (!token) throw new EnvsnapError('UNAUTHENTICATED', 'no API token for the server: set ENVSNAP_TOKEN or pass --token-file FILE (create one with envsnap token:create --user NAME)');
  return new ServerClient(url, token);
}
