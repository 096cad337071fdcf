/**
 * The curated table behind the header sets: which desktop browsers, versions and
 * operating systems we pose as, how often, and what each sends, in which order, on a
 * top-level navigation over HTTP/1.1 (the only protocol our HTTP engine speaks).
 *
 * Sources: captures of real navigations (Chrome 136, Firefox 135, Safari 18.4, as kept by
 * the curl-impersonate project), Chromium's user_agent_utils.cc for the `sec-ch-ua`
 * GREASE brand (see client-hints.ts), and the browsers' own release notes. Bump the
 * version tables below when a browser ships; everything else follows from them.
 *
 * Deliberate differences from the real browsers:
 * - `Accept-Encoding` never offers `zstd` (Chrome, Edge and Firefox do): our engine
 *   decodes gzip, deflate and br only.
 * - no `Priority` header from Chromium or Safari: they send it on HTTP/2 and HTTP/3 only;
 *   Firefox sends it whatever the protocol.
 * - `Host` and `Connection` are written by undici, always first and lower-case.
 */

export type BrowserName = 'chrome' | 'edge' | 'firefox' | 'safari';

/** The operating systems a set may claim (the values `sec-ch-ua-platform` uses). */
export type Platform = 'Windows' | 'macOS' | 'Linux';

export const BROWSER_NAMES: readonly BrowserName[] = ['chrome', 'edge', 'firefox', 'safari'];

/** A value and its relative weight in a draw. */
export type Weighted<T> = readonly [value: T, weight: number];

/**
 * Desktop share of each browser (rough 2025 desktop figures, rounded): the chance a new
 * session poses as it when every browser is allowed.
 */
export const BROWSER_WEIGHTS: readonly Weighted<BrowserName>[] = [
  ['chrome', 64],
  ['edge', 13],
  ['safari', 12],
  ['firefox', 11],
];

/** Operating systems per browser, weighted. Safari is macOS only; Edge on Linux is rare. */
export const PLATFORM_WEIGHTS: Readonly<Record<BrowserName, readonly Weighted<Platform>[]>> = {
  chrome: [
    ['Windows', 68],
    ['macOS', 24],
    ['Linux', 8],
  ],
  edge: [
    ['Windows', 92],
    ['macOS', 8],
  ],
  firefox: [
    ['Windows', 66],
    ['macOS', 17],
    ['Linux', 17],
  ],
  safari: [['macOS', 1]],
};

/**
 * Versions in the wild, newest weighted most (users trail a release by a few weeks;
 * Firefox 153 is also an ESR). Chromium majors: Chrome and Edge ship the same majors.
 */
export const VERSION_WEIGHTS: Readonly<Record<BrowserName, readonly Weighted<string>[]>> = {
  // Stable Chromium was 156 in November 2026 (Debian's chromium package).
  chrome: [
    ['156', 30],
    ['155', 26],
    ['154', 17],
    ['153', 11],
    ['152', 8],
    ['151', 5],
    ['150', 3],
  ],
  edge: [
    ['156', 28],
    ['155', 27],
    ['154', 18],
    ['153', 12],
    ['152', 8],
    ['151', 4],
    ['150', 3],
  ],
  firefox: [
    ['159', 30],
    ['158', 25],
    ['157', 18],
    ['156', 10],
    ['153', 12],
    ['152', 5],
  ],
  // Safari's version follows the OS year since 26 (2025).
  safari: [
    ['27.1', 32],
    ['27.0', 26],
    ['26.6', 16],
    ['26.5', 10],
    ['26.4', 8],
    ['26.2', 8],
  ],
};

/** The platform part of the User-Agent string, per engine family. */
const CHROMIUM_OS_TOKEN: Readonly<Record<Platform, string>> = {
  Windows: 'Windows NT 10.0; Win64; x64',
  // Frozen by every browser since macOS 11: the real macOS version is never sent.
  macOS: 'Macintosh; Intel Mac OS X 10_15_7',
  Linux: 'X11; Linux x86_64',
};

const FIREFOX_OS_TOKEN: Readonly<Record<Platform, string>> = {
  Windows: 'Windows NT 10.0; Win64; x64',
  macOS: 'Macintosh; Intel Mac OS X 10.15',
  Linux: 'X11; Linux x86_64',
};

/** The User-Agent a browser of that version sends on that OS (Chromium's reduced form). */
export function userAgentFor(browser: BrowserName, version: string, platform: Platform): string {
  switch (browser) {
    case 'chrome':
      return `Mozilla/5.0 (${CHROMIUM_OS_TOKEN[platform]}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36`;
    case 'edge':
      return `Mozilla/5.0 (${CHROMIUM_OS_TOKEN[platform]}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36 Edg/${version}.0.0.0`;
    case 'firefox':
      return `Mozilla/5.0 (${FIREFOX_OS_TOKEN[platform]}; rv:${version}.0) Gecko/20100101 Firefox/${version}.0`;
    case 'safari':
      return `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${version} Safari/605.1.15`;
  }
}

/** The `Accept` of a top-level navigation. */
export const NAVIGATION_ACCEPT: Readonly<Record<BrowserName, string>> = {
  chrome:
    'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  edge: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  firefox: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  safari: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
};

/** What every set offers: the real browsers' list less `zstd` (see the module header). */
export const ACCEPT_ENCODING = 'gzip, deflate, br';

/**
 * Each browser's header order on an HTTP/1.1 navigation, in its own spelling. `Cookie`
 * marks where the jar's header goes when a request has one; the other names are those
 * a set carries (a set may leave some out, never reorder them).
 */
export const HEADER_ORDER: Readonly<Record<BrowserName, readonly string[]>> = {
  chrome: [
    'sec-ch-ua',
    'sec-ch-ua-mobile',
    'sec-ch-ua-platform',
    'Upgrade-Insecure-Requests',
    'User-Agent',
    'Accept',
    'Sec-Fetch-Site',
    'Sec-Fetch-Mode',
    'Sec-Fetch-User',
    'Sec-Fetch-Dest',
    'Accept-Encoding',
    'Accept-Language',
    'Cookie',
  ],
  edge: [
    'sec-ch-ua',
    'sec-ch-ua-mobile',
    'sec-ch-ua-platform',
    'Upgrade-Insecure-Requests',
    'User-Agent',
    'Accept',
    'Sec-Fetch-Site',
    'Sec-Fetch-Mode',
    'Sec-Fetch-User',
    'Sec-Fetch-Dest',
    'Accept-Encoding',
    'Accept-Language',
    'Cookie',
  ],
  firefox: [
    'User-Agent',
    'Accept',
    'Accept-Language',
    'Accept-Encoding',
    'Cookie',
    'Upgrade-Insecure-Requests',
    'Sec-Fetch-Dest',
    'Sec-Fetch-Mode',
    'Sec-Fetch-Site',
    'Sec-Fetch-User',
    'Priority',
  ],
  safari: [
    'Sec-Fetch-Dest',
    'User-Agent',
    'Accept',
    'Sec-Fetch-Site',
    'Sec-Fetch-Mode',
    'Accept-Language',
    'Accept-Encoding',
    'Cookie',
  ],
};

/**
 * The order for a User-Agent we do not recognise (a `--user-agent` naming a bot, say):
 * the plain content-negotiation headers, no client hints, no fetch metadata.
 */
export const OTHER_HEADER_ORDER: readonly string[] = [
  'User-Agent',
  'Accept',
  'Accept-Language',
  'Accept-Encoding',
  'Cookie',
];
