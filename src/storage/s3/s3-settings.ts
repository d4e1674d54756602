/**
 * S3 settings: what the S3 store takes from the environment besides the location — the endpoint
 * (the SDK's standard AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), path-style addressing, the number of
 * parallel transfers and of attempts per request. Pure: it reads the environment record it is given.
 * Credentials and the region are left to the SDK's standard chain (environment, shared config and
 * credentials files, AWS_PROFILE) and never pass through here.
 */
import { isIP } from 'node:net';
import { EnvsnapError } from '../../core/errors.ts';

export interface S3Settings {
  /**
   * The endpoint URL from the environment, or undefined to let the SDK resolve it (AWS itself, or
   * `endpoint_url` in the shared config file).
   */
  endpoint: string | undefined;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`. */
  forcePathStyle: boolean;
  /** Requests in flight at once, per store. */
  concurrency: number;
  /** Attempts per request, the first included (see retry-strategy.ts). */
  maxAttempts: number;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_MAX_ATTEMPTS = 8;

type Env = Record<string, string | undefined>;

export function resolveS3Settings(env: Env): S3Settings {
  const endpoint = endpointFrom(env);
  const pathStyle = env.ENVSNAP_S3_PATH_STYLE?.trim().toLowerCase();
  let forcePathStyle: boolean;
  if (pathStyle === undefined || pathStyle === '') forcePathStyle = endpoint !== undefined && isLocalOrIpHost(new URL(endpoint).hostname);
  else if (pathStyle === 'true' || pathStyle === '1' || pathStyle === 'yes') forcePathStyle = true;
  else if (pathStyle === 'false' || pathStyle === '0' || pathStyle === 'no') forcePathStyle = false;
  else throw new EnvsnapError('INVALID_ARGUMENT', `ENVSNAP_S3_PATH_STYLE is "${env.ENVSNAP_S3_PATH_STYLE}": set it to true or false`);
  return {
    endpoint,
    forcePathStyle,
    concurrency: wholeNumber(env, 'ENVSNAP_S3_CONCURRENCY', DEFAULT_CONCURRENCY, 1, 256),
    maxAttempts: wholeNumber(env, 'AWS_MAX_ATTEMPTS', DEFAULT_MAX_ATTEMPTS, 1, 100),
  };
}

/** AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true (the SDK's own rules). */
function endpointFrom(env: Env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.trim().toLowerCase() === 'true') return undefined;
  for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
    const value = env[name]?.trim();
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new EnvsnapError('INVALID_ARGUMENT', `${name} is not a URL: set it like http://127.0.0.1:9000 or https://s3.example.com`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new EnvsnapError('INVALID_ARGUMENT', `${name} must start with http:// or https://, not ${url.protocol}//`);
    }
    return value;
  }
  return undefined;
}

/** Hosts that cannot carry the bucket as a subdomain: IP addresses and localhost. */
export function isLocalOrIpHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost');
}

/** An endpoint as it may appear in messages: scheme, host and port, without any user info or path. */
export function describeEndpoint(endpoint: string | undefined): string {
  if (endpoint === undefined) return 'the AWS S3 endpoint';
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}`;
  } catch {
    return 'the configured S3 endpoint';
  }
}

function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new EnvsnapError('INVALID_ARGUMENT', `${name} is "${raw}": set it to a whole number from ${min} to ${max}`);
  }
  return n;
}
