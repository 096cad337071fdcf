/** Resolving hrefs against a page's base URL, as the browser does. */

/**
 * The document's base URL: `<base href>` resolved against the page URL, or the page URL
 * when there is none or it is unusable (the spec refuses data: and javascript: bases).
 */
export function documentBase(pageUrl: string, baseHref: string | null): URL | null {
  const page = URL.parse(pageUrl);
  if (baseHref === null) return page;
  const base = page === null ? URL.parse(baseHref) : URL.parse(baseHref, page.href);
  if (base === null || base.protocol === 'data:' || base.protocol === 'javascript:') return page;
  return base;
}

/** Resolves hrefs against one base, remembering results (pages repeat links). */
export class UrlResolver {
  private readonly cache = new Map<string, string | null>();
  constructor(readonly base: URL | null) {}

  /**
   * The absolute URL of `href`, or null when it does not parse or is `javascript:`.
   * Keeps data: and mailto: URLs (they are links, just not crawlable ones).
   */
  resolve(href: string): string | null {
    const raw = href.trim();
    let out = this.cache.get(raw);
    if (out !== undefined) return out;
    const url = this.base === null ? URL.parse(raw) : URL.parse(raw, this.base.href);
    out = url === null || url.protocol === 'javascript:' ? null : url.href;
    if (this.cache.size < 10_000) this.cache.set(raw, out);
    return out;
  }
}
