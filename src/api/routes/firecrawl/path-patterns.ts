/**
 * Firecrawl's path patterns as Trawl link-filter regexes. Firecrawl matches
 * `includePaths`/`excludePaths` against a URL's path (`blog/.*` keeps
 * https://site/blog/post), while Trawl's include/exclude regexes test the whole
 * canonical URL. pathRegex rewrites a path pattern so that, tested on the whole URL, it
 * matches where the original matches the path: the match may only start inside the
 * path, `^` means the start of the path and `$` its end (before any query).
 */
import type { CanonicalUrl } from '../../../core/url/canonicalize.js';

const AUTHORITY = '^[a-z][a-z0-9+.-]*://[^/?#]*';
/** At the path's first character (its leading '/'). */
const PATH_START = `(?<=${AUTHORITY})(?=/)`;
/** At the path's start or anywhere after it within the path. */
const IN_PATH = `(?:${PATH_START}|(?<=${AUTHORITY}/[^?#]*))`;
/** At the end of the path: a query, a fragment or the end of the URL follows. */
const PATH_END = '(?=[?#]|$)';

/** The URL regex matching where the path regex `source` matches the path. */
export function pathRegex(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      out += c + (source[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '^') {
      out += PATH_START;
    } else if (c === '$') {
      out += PATH_END;
    } else {
      out += c;
    }
  }
  return `${IN_PATH}(?:${out})`;
}

/**
 * An exclude regex keeping a crawl under its start URL's path (Firecrawl's default
 * without crawlEntireDomain): URLs of the start host whose path is not the start path
 * or below it. null when the start path is `/` (everything is below it).
 */
export function underPath(seed: CanonicalUrl): string | null {
  const href = seed.href;
  const pathAt = href.indexOf('/', seed.protocol.length + 2);
  const path = href.slice(pathAt).split(/[?#]/)[0]!;
  if (path === '/' || path === '') return null;
  const below = path.endsWith('/') ? escape(path) : `${escape(path)}(?:[/?#]|$)`;
  // (?=/): the host ends there (not a longer name that starts with it).
  return `^https?://${escape(seed.host)}(?=/)(?!${below})`;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
