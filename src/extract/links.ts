/** Every `<a href>` of a page, absolute, with its text and rel, in document order. */
import { attr, collapse, textOf } from './dom/dom-utils.js';
import type { PageIndex } from './dom/page-index.js';
import type { UrlResolver } from './resolve-url.js';

/** One link. Repeated links are all listed (their texts differ). */
export interface ExtractedLink {
  url: string;
  /** The visible text, else aria-label, title or an image's alt; '' when none. */
  text: string;
  rel: string | null;
}

/** The page's links; `javascript:` and unparsable hrefs are left out. */
export function extractLinks(index: PageIndex, urls: UrlResolver): ExtractedLink[] {
  const out: ExtractedLink[] = [];
  for (const a of index.anchors) {
    const url = urls.resolve(a.attribs.href as string);
    if (url === null) continue;
    let text = collapse(textOf(a));
    if (text === '') text = attr(a, 'aria-label') ?? attr(a, 'title') ?? imageAlt(a) ?? '';
    out.push({ url, text, rel: attr(a, 'rel') });
  }
  return out;
}

function imageAlt(a: Parameters<typeof attr>[0]): string | null {
  for (const c of a.children) {
    if (c.type === 'tag' && c.name === 'img') return attr(c, 'alt');
  }
  return null;
}
