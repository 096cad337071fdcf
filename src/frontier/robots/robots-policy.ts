import { createRequire } from 'node:module';
import type { ErrorCode } from '../../core/errors.js';
import { canonicalize } from '../../core/url/canonicalize.js';

/** The part of robots-parser's API used here. */
interface ParsedRobotsTxt {
  isAllowed(url: string, userAgent?: string): boolean | undefined;
  getCrawlDelay(userAgent?: string): number | undefined;
  getSitemaps(): string[];
}

// robots-parser is CommonJS (`module.exports = fn`) but its typings declare an ES default
// export, which under NodeNext type-checks as the module object rather than the function.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (
  url: string,
  text: string,
) => ParsedRobotsTxt;

/**
 * How robots.txt was settled for an origin: `parsed` (a 2xx body, its rules apply),
 * `allow-all` (4xx or too many redirects: RFC 9309 "unavailable") or `disallow-all`
 * (5xx, 429, network failure: "unreachable", until the retry window passes).
 */
export type RobotsPolicyKind = 'parsed' | 'allow-all' | 'disallow-all';

/** The robots.txt rules of one origin for our agent, as of one fetch. */
export interface RobotsPolicy {
  /** "scheme://host[:port]" (URL.origin). */
  readonly origin: string;
  readonly kind: RobotsPolicyKind;
  /** Status of the final robots.txt response; null when none arrived. */
  readonly status: number | null;
  /** Why no response arrived (timeout, network, ...); null when one did. */
  readonly error: ErrorCode | null;
  /** Epoch ms when the fetch completed. */
  readonly fetchedAt: number;
  /** Epoch ms after which robots.txt is fetched again. */
  readonly expiresAt: number;
  /** Crawl-delay of the group that applies to our agent, ms; null when none. */
  readonly crawlDelayMs: number | null;
  /** Absolute http(s) Sitemap URLs listed in the file (any group), deduplicated. */
  readonly sitemaps: readonly string[];
  /**
   * Whether our agent may fetch `url`: an absolute URL of this origin or a path
   * ("/a?b"). Only path and query are matched; "/robots.txt" itself is always allowed.
   */
  isAllowed(url: string): boolean;
}

export interface RobotsPolicyInit {
  origin: string;
  kind: RobotsPolicyKind;
  status: number | null;
  error: ErrorCode | null;
  fetchedAt: number;
  expiresAt: number;
  /** Lower-case product token (see robotsAgentToken). */
  agentToken: string;
  /** The robots.txt text, for `parsed` (BOM already removed). */
  text?: string;
}

export function createRobotsPolicy(init: RobotsPolicyInit): RobotsPolicy {
  const { origin, kind, status, error, fetchedAt, expiresAt, agentToken } = init;
  const base = { origin, kind, status, error, fetchedAt, expiresAt };
  if (kind !== 'parsed') {
    const verdict = kind === 'allow-all';
    return {
      ...base,
      crawlDelayMs: null,
      sitemaps: [],
      isAllowed: (url) => verdict || pathOf(url) === '/robots.txt',
    };
  }

  const robotsUrl = `${origin}/robots.txt`;
  const robot = robotsParser(robotsUrl, init.text ?? '');
  const delaySeconds = robot.getCrawlDelay(agentToken);
  const sitemaps = new Set<string>();
  for (const s of robot.getSitemaps()) {
    const href = canonicalize(s, robotsUrl, { sortQuery: false })?.href;
    if (href !== undefined) sitemaps.add(href);
  }
  return {
    ...base,
    crawlDelayMs:
      typeof delaySeconds === 'number' && Number.isFinite(delaySeconds) && delaySeconds >= 0
        ? Math.round(delaySeconds * 1000)
        : null,
    sitemaps: [...sitemaps],
    isAllowed(url) {
      const path = pathOf(url);
      if (path === '/robots.txt') return true;
      // Queried on our own origin so that the parser's same-origin check always passes.
      return robot.isAllowed(origin + path, agentToken) !== false;
    },
  };
}

/** "/a?b" from "https://h/a?b#c" or from "/a?b"; "/" for a bare origin. */
function pathOf(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f) {
    const authority = url.indexOf('//');
    start = authority === -1 ? -1 : url.indexOf('/', authority + 2);
    if (start === -1) return '/';
  }
  const hash = url.indexOf('#', start);
  return hash === -1 ? url.slice(start) : url.slice(start, hash);
}
