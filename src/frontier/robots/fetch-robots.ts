/**
 * Fetching one origin's robots.txt and reading the answer the way RFC 9309 asks. The
 * worker holding a robots lease runs this; the frontier then stores the result and
 * decides from it (frontier/memory/robots-gate.ts, the Redis frontier's robots book).
 */
import { isTrawlError, type ErrorCode } from '../../core/errors.js';
import type { FetchResponse } from '../../core/types.js';
import type { RobotsFetch } from '../frontier.js';

/** The part of the fetcher's options robots.txt fetching uses (fetch/fetcher.ts FetchOptions). */
export interface RobotsFetchOptions {
  maxRedirects?: number;
  maxBodyBytes?: number;
  truncateBody?: boolean;
  onRedirect?: (target: string, from: string) => Promise<'follow'>;
  signal?: AbortSignal;
}

/** A fetcher's `fetch`: resolves with any status, throws TrawlError on failure. */
export type RobotsFetchFn = (url: string, options?: RobotsFetchOptions) => Promise<FetchResponse>;

export interface FetchRobotsOptions {
  /** Bytes of robots.txt read; the rest is ignored (RFC 9309 asks for at least 500 KiB). @default 524_288 */
  maxBytes?: number;
  /**
   * Awaited before each redirect hop is requested: the lease holder spaces the hops of
   * one host by its delay (a robots.txt redirect is a request to the host too).
   */
  beforeHop?: () => Promise<void>;
  signal?: AbortSignal;
}

/** RFC 9309 §2.3.1.2: follow at least five consecutive redirects. */
const ROBOTS_MAX_REDIRECTS = 5;
const ROBOTS_MAX_BYTES = 524_288;

/** Redirect failures mean "unavailable" (allow all) per RFC 9309, not "unreachable". */
// blocked_address: the address guard refused the host; its pages are refused the same
// way and should fail at once with that code, not wait on robots.txt retries.
const UNAVAILABLE_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'too_many_redirects',
  'redirect_loop',
  'blocked_address',
]);

/** Fetches `origin/robots.txt` and classifies the answer; never throws for robots trouble. */
export async function fetchRobots(
  fetch: RobotsFetchFn,
  origin: string,
  options: FetchRobotsOptions = {},
): Promise<RobotsFetch> {
  const maxBytes = options.maxBytes ?? ROBOTS_MAX_BYTES;
  const beforeHop = options.beforeHop;
  let response: FetchResponse;
  try {
    response = await fetch(`${origin}/robots.txt`, {
      maxRedirects: ROBOTS_MAX_REDIRECTS,
      maxBodyBytes: maxBytes,
      truncateBody: true,
      signal: options.signal,
      onRedirect:
        beforeHop === undefined
          ? undefined
          : async () => {
              await beforeHop();
              return 'follow';
            },
    });
  } catch (err) {
    const error: ErrorCode = isTrawlError(err) ? err.code : 'network';
    const unavailable = UNAVAILABLE_ERRORS.has(error);
    return {
      kind: unavailable ? 'allow-all' : 'disallow-all',
      status: null,
      error,
      text: null,
    };
  }
  const status = response.status;
  if (status >= 200 && status < 300) {
    return { kind: 'parsed', status, error: null, text: decodeRobots(response.body, maxBytes) };
  }
  // 429 is "slow down", not "no rules": treated as unreachable, as major crawlers do.
  if (status >= 500 || status === 429) {
    return { kind: 'disallow-all', status, error: null, text: null };
  }
  // 4xx (401 and 403 included, RFC 9309 §2.3.1.3) and unresolved 3xx: unavailable.
  return { kind: 'allow-all', status, error: null, text: null };
}

/** UTF-8 text of a robots.txt body: BOM dropped, a line cut at the size limit dropped. */
function decodeRobots(body: Buffer, maxBytes: number): string {
  let bytes = body;
  // A body cut at maxBytes ends mid-line; "Disallow: /private" cut to "Disallow: /p"
  // would block more than the site asked, so the partial line is dropped.
  if (bytes.length >= maxBytes) {
    const lastBreak = Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d));
    bytes = bytes.subarray(0, lastBreak + 1);
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
