/**
 * Realistic, internally consistent browser header sets: one is drawn per session (not per
 * request), so every request of a session looks like the same desktop Chrome, Edge,
 * Firefox or Safari: the User-Agent, the `sec-ch-ua*` client hints (Chromium only, brand
 * versions equal to the UA's major, platform equal to the UA's OS), `Accept*`,
 * `Upgrade-Insecure-Requests` and `Sec-Fetch-*` of a top-level navigation, in that
 * browser's order and spelling. `--user-agent` wins: given `userAgent`, the set carries
 * it verbatim and only the hints that agree with it.
 *
 * Why our own generator and not Apify's `header-generator` (the one Crawlee uses), looked
 * at in version 2.1.88 (published 2026-08-06, so well kept; engines node >=16 for it and
 * every dependency; no native addon; 0.29 ms a set after ~150 ms of loading): it was not
 * fit for three reasons. (1) It cannot be seeded: its Bayesian-network sampler and its
 * shuffle call Math.random, so the draw cannot be replayed in a test or a bug report.
 * (2) Its sets are not consistent enough to send as they come: of 5,000 HTTP/1 desktop
 * sets (Chrome/Edge >= 130, Firefox >= 130, Safari >= 17) 342 (6.8 %) were broken (Edge
 * without `sec-ch-ua`, Chrome without `sec-ch-ua-platform`, headers twice in two
 * spellings, UAs of embedded crawlers), none was Firefox, 92 % said `Sec-Fetch-Site:
 * same-site` for a first navigation (it is `none`), and 95 % offered zstd, which we cannot
 * decode, so we would re-validate and rewrite every set anyway. (3) It brings 21 packages
 * (browserslist with caniuse-lite 3.4 MB, ow 0.28, three majors behind, with its five
 * dependencies, adm-zip, …) for what a table of a few dozen lines says. So: the curated
 * table in browser-table.ts, Chromium's own brand algorithm in client-hints.ts.
 *
 * Using a set with undici 7 (checked in lib/core/request.js and lib/dispatcher/
 * client-h1.js): a flat array `[name, value, name, value]` (what headerArray gives), a
 * plain object (Object.keys order, which is insertion order for header names) or a
 * non-array iterable of pairs (a Map; read in the source, not tested) all reach the
 * wire in the order given and with the names' case kept; an array of pairs is NOT
 * accepted (an array is read as the flat form). undici writes `host` and `connection`
 * before them whatever is passed. A set never
 * holds `Host`, `Connection`, `Content-Length` or `Cookie`: cookies come from the
 * session's jar (headerArray puts its header where the browser would).
 */
import {
  ACCEPT_ENCODING,
  BROWSER_NAMES,
  BROWSER_WEIGHTS,
  HEADER_ORDER,
  NAVIGATION_ACCEPT,
  OTHER_HEADER_ORDER,
  PLATFORM_WEIGHTS,
  VERSION_WEIGHTS,
  userAgentFor,
} from './browser-table.js';
import type { BrowserName, Weighted } from './browser-table.js';
import { acceptLanguage, expandLocales, secChUa } from './client-hints.js';
import { describeUserAgent } from './user-agent.js';
import type { UaPlatform } from './user-agent.js';

export type { BrowserName, Platform } from './browser-table.js';
export { BROWSER_NAMES, HEADER_ORDER } from './browser-table.js';

export interface HeaderSet {
  /** The User-Agent header's value (also in `headers`). */
  readonly userAgent: string;
  /** Ordered name/value pairs in the browser's spelling, User-Agent included. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** The browser posed as; `other` for a given User-Agent we cannot place. */
  readonly browser: BrowserName | 'other';
  /** Chromium/Firefox major (`139`), Safari `major.minor` (`18.5`); '' for `other`. */
  readonly version: string;
  /** The OS the User-Agent claims, when it tells one. */
  readonly platform: UaPlatform | null;
}

export interface HeaderSetOptions {
  /** Uniform in [0, 1); defaults to Math.random. Seed it to replay a draw. */
  random?: () => number;
  /** The browsers to draw from (default all four), weighted by desktop share. */
  browsers?: readonly BrowserName[];
  /** The user's languages, most preferred first (default `['en-US']`). */
  locales?: readonly string[];
  /**
   * `--user-agent`: when given, the User-Agent header is exactly this, and the set is
   * the one of the browser it names (client hints only for a Chromium UA, derived from
   * its version and OS; none for a UA we cannot place).
   */
  userAgent?: string;
}

const DEFAULT_LOCALES = ['en-US'] as const;

/** Draws one header set. Cheap (a few table look-ups): call it once per new session. */
export function createHeaderSet(options: HeaderSetOptions = {}): HeaderSet {
  const random = options.random ?? Math.random;
  const tags = expandLocales(options.locales ?? DEFAULT_LOCALES);
  if (options.userAgent !== undefined) return forUserAgent(options.userAgent, tags);

  const allowed = options.browsers ?? BROWSER_NAMES;
  for (const name of allowed) {
    if (!BROWSER_NAMES.includes(name)) throw new RangeError(`unknown browser ${String(name)}`);
  }
  const browsers = BROWSER_WEIGHTS.filter(([name]) => allowed.includes(name));
  if (browsers.length === 0) throw new RangeError('no browser to draw a header set from');
  const browser = pick(browsers, random);
  const platform = pick(PLATFORM_WEIGHTS[browser], random);
  const version = pick(VERSION_WEIGHTS[browser], random);
  const userAgent = userAgentFor(browser, version, platform);
  return build(browser, version, platform, userAgent, tags, false);
}

/**
 * The set as undici's flat header array, with the session's `Cookie` header (when it
 * has one) where that browser sends it.
 */
export function headerArray(set: HeaderSet, extra: { cookie?: string | null } = {}): string[] {
  const order = set.browser === 'other' ? OTHER_HEADER_ORDER : HEADER_ORDER[set.browser];
  const cookieRank = order.indexOf('Cookie');
  const out: string[] = [];
  let cookie = extra.cookie ?? null;
  for (const [name, value] of set.headers) {
    if (cookie !== null && order.indexOf(name) > cookieRank) {
      out.push('Cookie', cookie);
      cookie = null;
    }
    out.push(name, value);
  }
  if (cookie !== null) out.push('Cookie', cookie);
  return out;
}

function forUserAgent(userAgent: string, tags: readonly string[]): HeaderSet {
  if (userAgent.trim() === '' || /[\r\n\0]/.test(userAgent)) {
    throw new RangeError('the User-Agent must be one non-empty line');
  }
  const facts = describeUserAgent(userAgent);
  return build(facts.browser, facts.version, facts.platform, userAgent, tags, facts.mobile);
}

function build(
  browser: BrowserName | 'other',
  version: string,
  platform: UaPlatform | null,
  userAgent: string,
  tags: readonly string[],
  mobile: boolean,
): HeaderSet {
  const values = new Map<string, string>([
    ['User-Agent', userAgent],
    ['Accept', NAVIGATION_ACCEPT[browser === 'other' ? 'firefox' : browser]],
    ['Accept-Language', acceptLanguage(tags, browser === 'firefox')],
    ['Accept-Encoding', ACCEPT_ENCODING],
  ]);
  if (browser !== 'other') {
    values.set('Sec-Fetch-Site', 'none');
    values.set('Sec-Fetch-Mode', 'navigate');
    values.set('Sec-Fetch-Dest', 'document');
  }
  if (browser === 'chrome' || browser === 'edge') {
    values.set(
      'sec-ch-ua',
      secChUa(Number(version), browser === 'edge' ? 'Microsoft Edge' : 'Google Chrome'),
    );
    values.set('sec-ch-ua-mobile', mobile ? '?1' : '?0');
    // A UA whose OS we cannot tell (or iOS, which has no Chromium) gets no platform hint.
    if (platform !== null && platform !== 'iOS') values.set('sec-ch-ua-platform', `"${platform}"`);
  }
  if (browser === 'chrome' || browser === 'edge' || browser === 'firefox') {
    values.set('Upgrade-Insecure-Requests', '1');
    values.set('Sec-Fetch-User', '?1');
  }
  if (browser === 'firefox') values.set('Priority', 'u=0, i');

  const order = browser === 'other' ? OTHER_HEADER_ORDER : HEADER_ORDER[browser];
  const headers: Array<readonly [string, string]> = [];
  for (const name of order) {
    const value = values.get(name);
    if (value !== undefined) headers.push([name, value]);
  }
  return Object.freeze({
    userAgent,
    headers: Object.freeze(headers),
    browser,
    version,
    platform,
  });
}

/** One value of a weighted table, by a uniform draw in [0, 1). */
function pick<T>(table: readonly Weighted<T>[], random: () => number): T {
  const total = table.reduce((sum, [, weight]) => sum + weight, 0);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON) * total;
  let acc = 0;
  for (const [value, weight] of table) {
    acc += weight;
    if (r < acc) return value;
  }
  const last = table[table.length - 1];
  if (last === undefined) throw new RangeError('empty table');
  return last[0];
}
