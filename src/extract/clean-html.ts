/**
 * The cleaned HTML of a page's content: the same elements the Markdown is rendered from
 * (main-content detection, include/exclude selectors, boilerplate and hidden elements
 * dropped), serialised back to HTML. Scripts, styles, comments, forms' controls and
 * event-handler attributes are left out; `href` and `src` are made absolute, so the
 * fragment stands on its own. This is what Firecrawl's `html` format means; the raw body
 * is its `rawHtml`.
 */
import type { AnyNode, Element } from 'domhandler';
import { isElement } from './dom/dom-utils.js';
import { indexPage } from './dom/page-index.js';
import { parseHtml, VOID_ELEMENTS } from './dom/parse-html.js';
import { chooseContent, type ContentOptions } from './main-content.js';
import { documentBase, UrlResolver } from './resolve-url.js';

/** Attributes holding one URL, made absolute. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'poster', 'cite', 'action']);

/**
 * The cleaned HTML of `html`'s content (see the module comment).
 * @param pageUrl the URL the page came from (after redirects): URLs resolve against it
 * @throws SelectorError for an invalid include/exclude selector
 */
export function cleanHtml(html: string, pageUrl: string, options: ContentOptions = {}): string {
  const index = indexPage(parseHtml(html));
  const urls = new UrlResolver(documentBase(pageUrl, index.baseHref));
  const content = chooseContent(index, options);
  const out: string[] = [];
  for (const root of content.roots) {
    const start = root.type === 'root' ? root.children : [root as AnyNode];
    serialize(start, content.skip, urls, out);
  }
  return out.join('');
}

/** Iterative: a page may nest hundreds of levels. */
function serialize(
  nodes: readonly AnyNode[],
  skip: (el: Element) => boolean,
  urls: UrlResolver,
  out: string[],
): void {
  // Entries are nodes still to write, or closing tags.
  const stack: (AnyNode | string)[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) stack.push(nodes[i] as AnyNode);
  while (stack.length > 0) {
    const item = stack.pop() as AnyNode | string;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    if (item.type === 'text') {
      out.push(escapeText(item.data));
      continue;
    }
    if (item.type === 'cdata') {
      for (const child of item.children)
        if (child.type === 'text') out.push(escapeText(child.data));
      continue;
    }
    if (!isElement(item)) continue; // comments, directives
    // skip() spares the roots; these never belong in a fragment, roots included.
    if (item.type !== 'tag' || skip(item)) continue;
    out.push(openTag(item, urls));
    if (VOID_ELEMENTS.has(item.name)) continue;
    stack.push(`</${item.name}>`);
    const kids = item.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as AnyNode);
  }
}

function openTag(el: Element, urls: UrlResolver): string {
  let tag = `<${el.name}`;
  for (const [name, raw] of Object.entries(el.attribs)) {
    if (name.startsWith('on') || !/^[A-Za-z_:][-A-Za-z0-9_:.]*$/.test(name)) continue;
    let value = raw;
    if (URL_ATTRIBUTES.has(name)) {
      const resolved = urls.resolve(raw);
      if (resolved === null) continue; // javascript: and unparsable URLs
      value = resolved;
    }
    tag += value === '' ? ` ${name}` : ` ${name}="${escapeAttribute(value)}"`;
  }
  return tag + '>';
}

function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function escapeAttribute(s: string): string {
  return s.replace(/[&"]/g, (c) => (c === '&' ? '&amp;' : '&quot;'));
}
