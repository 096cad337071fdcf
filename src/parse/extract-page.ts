/**
 * Extracts what the crawler needs from a decoded HTML document: title, out-links,
 * canonical URL and robots directives. The document is scanned once (page-scanner.ts);
 * all URL work happens afterwards, once per distinct href, against a base parsed once.
 */
import type { ParsedPage } from '../core/types.js';
import { canonicalize } from '../core/url/canonicalize.js';
import type { LinkFilter } from '../core/url/link-filter.js';
import { scanPage } from './page-scanner.js';

export interface ExtractContext {
  /** Which canonical links to keep. */
  filter: LinkFilter;
  /** Drop `rel=nofollow` links, and every link of a `<meta name=robots content=nofollow>` page. */
  respectNofollow: boolean;
  /** Canonicalization: sort query parameters. @default true */
  sortQuery?: boolean;
  /**
   * Links returned for earlier pages, to be dropped; links returned now are added.
   * Cleared when it reaches MAX_REMEMBERED_LINKS. Absent: no cross-page deduplication.
   */
  returnedLinks?: Set<string>;
  /** Memo of href resolutions (see LinkMemo). Absent: no memo. */
  resolved?: LinkMemo;
}

/**
 * Href resolutions remembered across pages: canonical href, or null for a link that is
 * dropped (not http(s), unparsable, filtered out). Pages repeat the same links (nav,
 * footers, indexes): a hit skips the URL parser and the filter. Keyed first by the part
 * of the base URL the href depends on (see baseKeys; one string per page, so its hash is
 * computed once), then by the raw href.
 */
export class LinkMemo {
  private readonly byBase = new Map<string, Map<string, string | null>>();
  private size = 0;

  /** @param maxEntries past this many the memo starts afresh */
  constructor(private readonly maxEntries = MAX_MEMOIZED_RESOLUTIONS) {}

  table(basePart: string): Map<string, string | null> {
    let table = this.byBase.get(basePart);
    if (table === undefined) {
      table = new Map();
      this.byBase.set(detached(basePart), table);
    }
    return table;
  }

  set(table: Map<string, string | null>, href: string, canonical: string | null): void {
    if (this.size >= this.maxEntries) {
      for (const t of this.byBase.values()) t.clear();
      this.size = 0;
    }
    table.set(detached(href), canonical);
    this.size++;
  }
}

/** Bound on ExtractContext.resolved; past it the memo starts afresh. */
export const MAX_MEMOIZED_RESOLUTIONS = 20_000;

/**
 * Bound on ExtractContext.returnedLinks (~150 bytes each): past it the memory starts
 * afresh, and a link seen before may be returned once more, which callers must accept.
 */
export const MAX_REMEMBERED_LINKS = 200_000;

export type ExtractedPage = Omit<ParsedPage, 'charset' | 'contentHash'>;

/** Longest title kept, in UTF-16 code units; longer ones are cut. */
export const MAX_TITLE_LENGTH = 1000;

/**
 * Extracts title, links, canonical URL and robots directives from a decoded document.
 *
 * Links are `<a href>` and `<area href>` resolved against the document's base URL,
 * canonicalized, deduplicated (first occurrence kept, document order) and kept only if
 * `ctx.filter` accepts them (and, with `ctx.returnedLinks`, were not returned before). Links that are not http(s) (javascript:, mailto:...) or do
 * not parse are dropped.
 *
 * @param html the decoded document
 * @param pageUrl the URL the document came from (after redirects): relative links, and
 *   `<base href>` itself, resolve against it
 * @param extractLinks false: leave `links` empty and skip all URL work for them (the
 *   caller will not follow them); `rawLinkCount` is still counted
 */
export function extractPage(
  html: string,
  pageUrl: string,
  ctx: ExtractContext,
  extractLinks = true,
): ExtractedPage {
  const scan = scanPage(html);
  const base = resolveBase(scan.baseHref, URL.parse(pageUrl)) ?? undefined;
  const options = ctx.sortQuery === false ? NO_SORT : undefined;
  const returned = ctx.returnedLinks;

  const links: string[] = [];
  if (extractLinks && !(ctx.respectNofollow && scan.nofollow)) {
    // Pages repeat links (nav, footer): skip repeats by raw href before any URL work,
    // and by canonical form after.
    const seenRaw = new Set<string>();
    const seen = new Set<string>();
    const { hrefs, nofollowHrefs } = scan;
    const memo = ctx.resolved;
    const keys = memo === undefined || base === undefined ? null : baseKeys(base);
    // Per page: the tables for this page's three base parts.
    const tables =
      keys === null
        ? null
        : {
            full: memo!.table(keys.full),
            origin: memo!.table(keys.origin),
            dir: memo!.table(keys.dir),
          };
    for (let i = 0; i < hrefs.length; i++) {
      if (ctx.respectNofollow && nofollowHrefs[i] === true) continue;
      const href = hrefs[i] as string;
      if (seenRaw.has(href)) continue;
      seenRaw.add(href);
      let canonical: string | null | undefined;
      let table: Map<string, string | null> | null = null;
      if (tables !== null) {
        table = tables[basePartOf(href)];
        canonical = table.get(href);
      }
      if (canonical === undefined) {
        const url = canonicalize(href, base, options);
        canonical = url === null || !ctx.filter(url) ? null : url.href;
        if (table !== null) memo!.set(table, href, canonical);
      }
      if (canonical === null) continue;
      if (seen.has(canonical)) continue;
      seen.add(canonical);
      if (returned !== undefined) {
        if (returned.has(canonical)) continue;
        if (returned.size >= MAX_REMEMBERED_LINKS) returned.clear();
        returned.add(canonical);
      }
      links.push(canonical);
    }
  }

  const canonical =
    scan.canonicalHref === null ? null : canonicalize(scan.canonicalHref, base, options);
  return {
    title: scan.title === null ? null : cleanTitle(scan.title),
    links,
    canonicalUrl: canonical === null ? null : canonical.href,
    noindex: scan.noindex,
    nofollow: scan.nofollow,
    rawLinkCount: scan.hrefs.length,
  };
}

const NO_SORT = { sortQuery: false } as const;

interface BaseKeys {
  /** "scheme://host" — all an absolute-path href ("/x") resolves against. */
  origin: string;
  /** The base up to the last "/" of its path — all a relative path ("../x") needs. */
  dir: string;
  /** The whole base: "?q", "#f" and "" resolve against its full path. */
  full: string;
}

function baseKeys(base: URL): BaseKeys {
  const full = base.href;
  const query = full.indexOf('?');
  const path = query === -1 ? full : full.slice(0, query);
  return { origin: base.origin, dir: path.slice(0, path.lastIndexOf('/') + 1), full };
}

/**
 * A copy of `s` that holds no reference to the string it was cut from. Hrefs are slices
 * of the whole document: a memo key that is one would keep the page's full text alive
 * (measured: 250 MB of worker heap on a 10,000-page documentation site). Slicing a
 * concatenation makes V8 flatten it into a new string of just these characters.
 */
function detached(s: string): string {
  return (' ' + s).slice(1);
}

/**
 * Which part of the base `canonicalize(href, base)` depends on: the whole base for "",
 * "?q" and "#f"; only the origin for "/x"; the directory for everything else ("x",
 * "../x"; an absolute URL depends on nothing, and any part will do).
 */
function basePartOf(href: string): keyof BaseKeys {
  const c = href.charCodeAt(0);
  if (href === '' || c === 0x3f /* ? */ || c === 0x23 /* # */) return 'full';
  if (c === 0x2f /* / */ && href.charCodeAt(1) !== 0x2f) return 'origin';
  return 'dir';
}

/**
 * The document's base URL: the first `<base href>` resolved against the page URL, or the
 * page URL when there is none or it is unusable (the spec also refuses data: and
 * javascript: bases). It applies to the whole document, links before it included.
 */
function resolveBase(baseHref: string | null, pageUrl: URL | null): URL | null {
  if (baseHref === null) return pageUrl;
  const base = pageUrl === null ? URL.parse(baseHref) : URL.parse(baseHref, pageUrl.href);
  if (base === null || base.protocol === 'data:' || base.protocol === 'javascript:') {
    return pageUrl;
  }
  return base;
}

/**
 * Whitespace collapsed and trimmed, cut at MAX_TITLE_LENGTH; null when nothing is left.
 * No-break spaces count as whitespace: in a title they are layout, not content.
 */
function cleanTitle(raw: string): string | null {
  let title = raw.replace(/\s+/g, ' ').trim();
  if (title.length > MAX_TITLE_LENGTH) {
    // Do not leave half of a surrogate pair at the end.
    const last = title.charCodeAt(MAX_TITLE_LENGTH - 1);
    const cut = last >= 0xd800 && last <= 0xdbff ? MAX_TITLE_LENGTH - 1 : MAX_TITLE_LENGTH;
    title = title.slice(0, cut).trimEnd();
  }
  return title === '' ? null : title;
}
