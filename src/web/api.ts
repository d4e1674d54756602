/**
 * The console's client of the JSON API (/api/v1, same origin). The session is an HttpOnly cookie the
 * browser sends by itself; the CSRF token the server gave at login (or with GET /me) is kept in
 * memory only and sent as X-CSRF-Token on every state-changing request.
 *
 * Failures are one of two errors: `Unreachable` (no answer: the server is down or the network is) and
 * `ApiFailure` (an answer with the server's `{error: {code, message}}`). The app registers hooks to
 * show the "cannot reach" banner and to go back to the login form on a 401.
 */
import type { ApiError } from '../server/api-types.ts';

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
  }
}

export class Unreachable extends Error {
  constructor() {
    super('cannot reach the envsnap server');
    this.name = 'Unreachable';
  }
}

export interface ApiHooks {
  /** A request got no answer. */
  unreachable(): void;
  /** A request got an answer from envsnap. */
  reachable(): void;
  /** The session is gone (expired, logged out elsewhere, server restarted with new state). */
  unauthenticated(message: string): void;
}

let hooks: ApiHooks = { unreachable() {}, reachable() {}, unauthenticated() {} };
let csrfToken: string | undefined;

export function setApiHooks(h: ApiHooks): void {
  hooks = h;
}

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const SAFE = new Set(['GET', 'HEAD']);

export interface RequestOptions {
  /** A 401 is the answer to show (wrong password at login), not a lost session. */
  expectUnauthenticated?: boolean;
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!SAFE.has(method) && csrfToken !== undefined) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    hooks.unreachable();
    throw new Unreachable();
  }
  const text = await res.text().catch(() => '');
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const error = (data as Partial<ApiError> | null)?.error;
  // A proxy in front of a stopped server answers 502-504 with its own page, not envsnap's JSON.
  if (!res.ok && !error && (res.status === 502 || res.status === 503 || res.status === 504)) {
    hooks.unreachable();
    throw new Unreachable();
  }
  hooks.reachable();
  if (!res.ok) {
    const failure = new ApiFailure(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? `the server answered ${res.status} ${res.statusText}`);
    if (res.status === 401 && !opts.expectUnauthenticated) hooks.unauthenticated(failure.message);
    throw failure;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body, opts),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string, body?: unknown) => request<T>('DELETE', path, body),
};

/** A path segment from a name (environment, user, snapshot id). */
export const seg = (s: string) => encodeURIComponent(s);

/** What to tell the user about a failed call. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiFailure || err instanceof Unreachable) return err.message;
  return err instanceof Error ? err.message : String(err);
}
