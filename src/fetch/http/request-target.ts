import { TrawlError } from '../../core/errors.js';
import type { CanonicalUrl } from '../../core/url/canonicalize.js';

/** What undici needs to route a request: the pool key and the request line's target. */
export interface RequestTarget {
  /** "scheme://host[:port]", the per-origin pool key. */
  origin: string;
  /** Path and query, starting with "/". */
  path: string;
}

/**
 * Splits an http(s) URL into origin and path. Canonical URLs (the normal input) are
 * split by string scanning alone; anything unusual (upper-case scheme, userinfo, no
 * path, a fragment) goes through the WHATWG parser once.
 */
export function requestTarget(url: string): RequestTarget {
  const authorityAt = url.startsWith('https://') ? 8 : url.startsWith('http://') ? 7 : -1;
  if (authorityAt !== -1) {
    const pathAt = url.indexOf('/', authorityAt);
    if (
      pathAt > authorityAt &&
      isPlainAuthority(url, authorityAt, pathAt) &&
      url.indexOf('#', pathAt) === -1
    ) {
      return { origin: url.slice(0, pathAt), path: url.slice(pathAt) };
    }
  }
  const parsed = URL.parse(url);
  if (parsed === null) throw new TrawlError('invalid_url', `not a URL: ${url}`);
  const { protocol } = parsed;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new TrawlError(
      'unsupported_scheme',
      `only http: and https: are fetched, not ${protocol}`,
    );
  }
  if (parsed.host === '') throw new TrawlError('invalid_url', `no host in ${url}`);
  return { origin: `${protocol}//${parsed.host}`, path: parsed.pathname + parsed.search };
}

/** The target of a canonical URL, which is already known to be http(s). */
export function canonicalTarget(url: CanonicalUrl): RequestTarget {
  const { href, protocol } = url;
  // The authority of a parsed URL holds no raw '/', so the first one after "//" starts
  // the path (which the parser guarantees). Userinfo is left out of the origin.
  let pathAt = href.indexOf('/', protocol.length + 2);
  if (pathAt === -1) pathAt = href.length;
  return { origin: `${protocol}//${url.host}`, path: href.slice(pathAt) || '/' };
}

/** No userinfo, query, fragment or backslash: the text is "host[:port]" and nothing else. */
function isPlainAuthority(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    // '@', '?', '#', '\\'
    if (c === 0x40 || c === 0x3f || c === 0x23 || c === 0x5c) return false;
  }
  return true;
}
