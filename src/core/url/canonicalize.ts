/**
 * URL canonicalisation: the crawl's dedup key. Equivalent spellings of one http(s) URL
 * map to one string; anything that is not an absolute http(s) URL maps to null.
 * The policy is documented for users in docs/url-policy.md.
 *
 * Runs about 30 times per fetched page, so the URL is parsed once (WHATWG, via
 * `URL.parse`) and the extra passes only run when the string needs them.
 */

export interface CanonicalUrl {
  /** The canonical URL string: the dedup key. */
  href: string;
  /** Lower-case host with port when not the scheme's default (URL.host). */
  host: string;
  /** Lower-case hostname without port (URL.hostname). */
  hostname: string;
  /** "http:" or "https:" */
  protocol: string;
}

export interface CanonicalizeOptions {
  /** Sort query parameters by name (stable). @default true */
  sortQuery?: boolean;
}

/**
 * The canonical form of `input` resolved against `base`, or null when the result is not
 * a valid absolute http(s) URL (other schemes, garbage, empty or blank input).
 *
 * WHATWG parsing lower-cases scheme and host, converts IDNs to punycode, drops default
 * ports, resolves dot segments and strips whitespace; on top of that the fragment and
 * an empty "?" are dropped, percent-escapes are upper-cased and escapes of unreserved
 * characters decoded, a literal '%' is escaped as "%25", and query parameters sorted by
 * name unless `sortQuery` is false.
 */
export function canonicalize(
  input: string,
  base?: string | URL,
  options?: CanonicalizeOptions,
): CanonicalUrl | null {
  if (typeof base === 'object') {
    const fast = resolvePathOnly(input, base);
    if (fast !== null) return fast;
  }
  if (isBlank(input) || hasForeignScheme(input)) return null;
  const url =
    base === undefined
      ? URL.parse(input)
      : URL.parse(input, typeof base === 'string' ? base : base.href);
  if (url === null) return null;
  const protocol = url.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') return null;

  let href = url.href;
  const hashAt = href.indexOf('#');
  if (hashAt !== -1) href = href.slice(0, hashAt);
  return finish(href, url.host, url.hostname, protocol, options);
}

/**
 * The post-parse passes on an absolute http(s) URL without its fragment: escapes
 * normalised, an empty "?" dropped, the query sorted.
 */
function finish(
  href: string,
  host: string,
  hostname: string,
  protocol: string,
  options: CanonicalizeOptions | undefined,
): CanonicalUrl {
  // The authority of a parsed http(s) URL cannot hold a raw '/', so the first '/' after
  // "scheme://" starts the path (which the parser guarantees to be at least "/").
  const pathAt = href.indexOf('/', protocol.length + 2);
  const queryAt = href.indexOf('?', pathAt);
  if (queryAt === -1) {
    if (href.indexOf('%', pathAt) !== -1) {
      href = href.slice(0, pathAt) + normalizeEscapes(href.slice(pathAt));
    }
  } else {
    let query = href.slice(queryAt + 1);
    if (query.indexOf('%') !== -1) query = normalizeEscapes(query);
    if (options?.sortQuery !== false && query.indexOf('&') !== -1) query = sortQuery(query);
    let path = href.slice(pathAt, queryAt);
    if (path.indexOf('%') !== -1) path = normalizeEscapes(path);
    href = href.slice(0, pathAt) + path + (query === '' ? '' : '?' + query);
  }
  return { href, host, hostname, protocol };
}

/*
 * Fast path for the commonest links on real pages, relative paths such as
 * "../../java/lang/String.html#equals(java.lang.Object)", "page.html" or "/docs/".
 * WHATWG parsing of base + href costs ~1.5 µs per link and pages carry hundreds; for an
 * href made only of characters the parser copies verbatim into a path, the result is
 * the base's "scheme://authority" plus the base's directory with the href's dot
 * segments applied — string work only. Anything else (a scheme, "//", "?", "%", "\\",
 * whitespace, ":", a dot segment after the first name) takes the parser's road.
 * test/core/url/canonicalize.test.ts checks this path against the parser, link for link.
 */

/** Characters of an href path the WHATWG parser keeps as they are (indexed by code). */
const VERBATIM_PATH = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=@") {
  VERBATIM_PATH[c.charCodeAt(0)] = 1;
}

/** The last base seen and what the fast path needs of it (one page = one base). */
let lastBaseHref = '';
let lastBase: {
  origin: string;
  dir: string;
  host: string;
  hostname: string;
  protocol: string;
} | null = null;

function baseParts(base: URL): typeof lastBase {
  const href = base.href;
  if (href === lastBaseHref) return lastBase;
  lastBaseHref = href;
  const protocol = base.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    lastBase = null;
    return null;
  }
  const pathAt = href.indexOf('/', protocol.length + 2);
  const pathname = base.pathname;
  lastBase = {
    origin: href.slice(0, pathAt),
    dir: pathname.slice(0, pathname.lastIndexOf('/') + 1),
    host: base.host,
    hostname: base.hostname,
    protocol,
  };
  return lastBase;
}

function resolvePathOnly(input: string, base: URL): CanonicalUrl | null {
  let end = input.indexOf('#');
  if (end === -1) end = input.length;
  if (end === 0) return null;
  const first = input.charCodeAt(0);
  // "//host/..." is scheme-relative: the parser's job.
  if (first === 0x2f && end > 1 && input.charCodeAt(1) === 0x2f) return null;
  for (let i = 0; i < end; i++) {
    const c = input.charCodeAt(i);
    if (c >= 128 || VERBATIM_PATH[c] !== 1) return null;
  }
  const b = baseParts(base);
  if (b === null) return null;

  let dir = first === 0x2f ? '' : b.dir;
  let at = 0;
  // Leading "./" and "../" move within the base's directory ("/a/b/" → "/a/"; the root
  // stays the root); a bare "." or ".." ends in that directory with its trailing "/".
  for (;;) {
    if (input.startsWith('../', at) || (at + 2 === end && input.startsWith('..', at))) {
      dir = dir.length <= 1 ? dir : dir.slice(0, dir.lastIndexOf('/', dir.length - 2) + 1);
      at += 3;
    } else if (input.startsWith('./', at) || (at + 1 === end && input.charCodeAt(at) === 0x2e)) {
      at += 2;
    } else break;
    if (at >= end) {
      at = end;
      break;
    }
  }
  const rest = input.slice(at, end);
  if (hasDotSegment(rest)) return null;
  return finish(b.origin + dir + rest, b.host, b.hostname, b.protocol, undefined);
}

/** A "." or ".." segment after the first name ("a/./b", "a/..", "/.."). */
function hasDotSegment(path: string): boolean {
  for (let i = path.indexOf('/.'); i !== -1; i = path.indexOf('/.', i + 1)) {
    const next = path.charCodeAt(i + 2); // NaN at the end
    if (Number.isNaN(next) || next === 0x2f) return true;
    if (next === 0x2e) {
      const after = path.charCodeAt(i + 3);
      if (Number.isNaN(after) || after === 0x2f) return true;
    }
  }
  return false;
}

/** True when the input is empty once the parser's whitespace stripping is done. */
function isBlank(input: string): boolean {
  for (let i = 0; i < input.length; i++) if (input.charCodeAt(i) > 0x20) return false;
  return true;
}

/**
 * Cheap early exit for "javascript:", "mailto:", "tel:", "data:"... which are common in
 * pages. Only a clean leading scheme is recognised; anything unusual (leading spaces,
 * tabs inside the scheme) falls through to the parser, which reaches the same verdict.
 */
function hasForeignScheme(input: string): boolean {
  const first = input.charCodeAt(0) | 0x20;
  if (first < 0x61 || first > 0x7a) return false;
  for (let i = 1; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x3a) {
      // "http" and "https" (any case): 4 or 5 letters starting with "http".
      if (i !== 4 && i !== 5) return true;
      if ((input.charCodeAt(0) | 0x20) !== 0x68) return true;
      if ((input.charCodeAt(1) | 0x20) !== 0x74) return true;
      if ((input.charCodeAt(2) | 0x20) !== 0x74) return true;
      if ((input.charCodeAt(3) | 0x20) !== 0x70) return true;
      return i === 5 && (input.charCodeAt(4) | 0x20) !== 0x73;
    }
    if (!isSchemeChar(c)) return false;
  }
  return false;
}

function isSchemeChar(c: number): boolean {
  const l = c | 0x20;
  return (
    (l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e
  );
}

/** RFC 3986 unreserved: ALPHA DIGIT - . _ ~ (indexed by char code). */
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const l = c | 0x20;
  const alnum = (l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39);
  UNRESERVED[c] = alnum || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e ? 1 : 0;
}

const HEX_DIGITS = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * Upper-cases the hex of every escape and decodes escapes of unreserved characters. A
 * '%' not followed by two hex digits ("%zz", "100%", a trailing "%") is a literal
 * percent sign: it is sent as "%25", as GNU Wget does, because servers decode "%" plus
 * whatever follows and answer 400 (or another file) when it is not an escape.
 */
function normalizeEscapes(s: string): string {
  let out = '';
  let copied = 0;
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', i + 1)) {
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    // charCodeAt past the end is NaN, which hexValue rejects.
    const hi = hexValue(c1);
    const lo = hexValue(c2);
    if (hi < 0 || lo < 0) {
      out += s.slice(copied, i) + '%25';
      copied = i + 1;
      continue;
    }
    const code = hi * 16 + lo;
    if (UNRESERVED[code] === 1) {
      out += s.slice(copied, i) + String.fromCharCode(code);
    } else if (c1 >= 0x61 || c2 >= 0x61) {
      out += s.slice(copied, i) + '%' + HEX_DIGITS[hi] + HEX_DIGITS[lo];
    } else {
      i += 2;
      continue;
    }
    copied = i + 3;
    i += 2;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/**
 * Sorts "&"-separated parameters by name (the raw text before the first "="), stable so
 * repeated names keep their order. Empty parameters ("a=1&&b=2", a trailing "&") carry
 * nothing and are dropped. Most queries are already in order: that is checked in place,
 * without allocating, before anything is split.
 */
function sortQuery(query: string): string {
  if (isSortedAndDense(query)) return query;
  const params = query.split('&').filter((p) => p !== '');
  const names = params.map(nameOf);
  if (params.length > INSERTION_SORT_MAX) {
    const order = params.map((_, i) => i);
    // Ties fall back to the original position: stable whatever the engine's sort.
    order.sort((a, b) => compare(names[a] as string, names[b] as string) || a - b);
    return order.map((i) => params[i]).join('&');
  }
  // Typical queries are short: insertion sort (stable) is about twice as fast as
  // Array#sort here. Names and params move together to stay paired.
  for (let i = 1; i < params.length; i++) {
    const name = names[i] as string;
    const param = params[i] as string;
    let j = i - 1;
    for (; j >= 0 && (names[j] as string) > name; j--) {
      names[j + 1] = names[j] as string;
      params[j + 1] = params[j] as string;
    }
    names[j + 1] = name;
    params[j + 1] = param;
  }
  return params.join('&');
}

/** Above this many parameters insertion sort's O(n²) would hurt (hostile pages). */
const INSERTION_SORT_MAX = 32;

/** No empty parameter and every name >= the previous one. */
function isSortedAndDense(query: string): boolean {
  let prevStart = 0;
  let prevEnd = -1; // no previous name yet
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    if (end === start) return false;
    // Scanned by hand: indexOf('=') could run far past this parameter, every time.
    let nameEnd = start;
    while (nameEnd < end && query.charCodeAt(nameEnd) !== 0x3d) nameEnd++;
    if (prevEnd !== -1 && compareRanges(query, prevStart, prevEnd, start, nameEnd) > 0) {
      return false;
    }
    prevStart = start;
    prevEnd = nameEnd;
    start = end + 1;
  }
  return true;
}

/** compare(s.slice(a, aEnd), s.slice(b, bEnd)) without the slices. */
function compareRanges(s: string, a: number, aEnd: number, b: number, bEnd: number): number {
  for (; a < aEnd && b < bEnd; a++, b++) {
    const d = s.charCodeAt(a) - s.charCodeAt(b);
    if (d !== 0) return d;
  }
  return aEnd - a - (bEnd - b);
}

function nameOf(param: string): string {
  const eq = param.indexOf('=');
  return eq === -1 ? param : param.slice(0, eq);
}

/** Code-unit order: locale-independent, so every process builds the same key. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
