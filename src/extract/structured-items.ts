/**
 * Microdata and RDFa-lite items, one algorithm for both: an item is an element
 * (itemscope / typeof); its properties are the elements below it (and, for microdata,
 * the elements its `itemref` names) carrying itemprop / property, without crossing into
 * nested items, whose own element is a property value of the outer item. Iterative:
 * nested items are queued, not recursed into.
 */
import type { AnyNode, Element } from 'domhandler';
import { attr, collapse, isElement, textOf } from './dom/dom-utils.js';
import type { UrlResolver } from './resolve-url.js';

/** A microdata or RDFa item as JSON. Property values are always arrays, as in the WHATWG JSON form. */
export interface StructuredItem {
  type: string[];
  id?: string;
  properties: Record<string, unknown[]>;
}

/** Which attributes make items and properties: the difference between the two syntaxes. */
export interface ItemSyntax {
  isItem: (el: Element) => boolean;
  types: (el: Element, vocab: string | null) => string[];
  id: (el: Element) => string | null;
  propNames: (el: Element) => string[];
  /** Element ids whose subtrees add properties (microdata itemref). */
  refs: (el: Element) => string[];
  value: (el: Element, urls: UrlResolver) => string;
}

/** Bound on items per page: a hostile page could declare millions. */
const MAX_ITEMS = 5000;

const URL_ATTR: Record<string, string> = {
  a: 'href',
  area: 'href',
  link: 'href',
  img: 'src',
  audio: 'src',
  embed: 'src',
  iframe: 'src',
  source: 'src',
  track: 'src',
  video: 'src',
  object: 'data',
};

/** The microdata value of a property element (HTML spec "property value"). */
export function microdataValue(el: Element, urls: UrlResolver): string {
  const n = el.name;
  // The spec reads `content` on <meta> only; schema.org and every major consumer read it on
  // any element (`<span itemprop=price content="129.90">$129.90</span>`).
  const content = el.attribs.content;
  if (content !== undefined) return content.trim();
  const urlAttr = URL_ATTR[n];
  if (urlAttr !== undefined) {
    const v = attr(el, urlAttr);
    return v === null ? '' : (urls.resolve(v) ?? '');
  }
  if (n === 'data' || n === 'meter') return el.attribs.value ?? '';
  if (n === 'time') return attr(el, 'datetime') ?? collapse(textOf(el));
  return collapse(textOf(el));
}

const tokens = (v: string | undefined): string[] =>
  v === undefined
    ? []
    : v
        .trim()
        .split(/\s+/)
        .filter((t) => t !== '');

export const MICRODATA: ItemSyntax = {
  isItem: (el) => el.attribs.itemscope !== undefined,
  types: (el) => tokens(el.attribs.itemtype),
  id: (el) => attr(el, 'itemid'),
  propNames: (el) => tokens(el.attribs.itemprop),
  refs: (el) => tokens(el.attribs.itemref),
  value: microdataValue,
};

export const RDFA_LITE: ItemSyntax = {
  isItem: (el) => el.attribs.typeof !== undefined,
  types: (el, vocab) =>
    tokens(el.attribs.typeof).map((t) => (vocab !== null && !t.includes(':') ? vocab + t : t)),
  // A typeof element with href/src is about that resource (RDFa's new subject).
  id: (el) => attr(el, 'resource') ?? attr(el, 'href') ?? attr(el, 'src'),
  propNames: (el) => tokens(el.attribs.property),
  refs: () => [],
  value: (el, urls) => {
    const content = el.attribs.content;
    if (content !== undefined) return content;
    const res = attr(el, 'resource') ?? attr(el, 'href') ?? attr(el, 'src');
    if (res !== null) return urls.resolve(res) ?? res;
    return microdataValue(el, urls);
  },
};

/**
 * The items rooted at `roots`, with nested items as property values.
 * @param byId elements by id, for itemref (built by the caller only when a page uses it)
 */
export function extractItems(
  roots: readonly Element[],
  syntax: ItemSyntax,
  urls: UrlResolver,
  byId: (id: string) => Element | undefined,
): StructuredItem[] {
  const out: StructuredItem[] = [];
  const queue: { el: Element; item: StructuredItem }[] = [];
  const seen = new Set<Element>();
  let count = 0;
  const makeItem = (el: Element): StructuredItem => {
    count++;
    seen.add(el);
    const item: StructuredItem = { type: syntax.types(el, vocabOf(el)), properties: {} };
    const id = syntax.id(el);
    if (id !== null) item.id = syntax === MICRODATA ? id : (urls.resolve(id) ?? id);
    queue.push({ el, item });
    return item;
  };
  for (const r of roots) if (count < MAX_ITEMS && !seen.has(r)) out.push(makeItem(r));
  while (queue.length > 0) {
    const { el, item } = queue.shift() as { el: Element; item: StructuredItem };
    const pending: AnyNode[] = [...el.children].reverse();
    for (const id of syntax.refs(el)) {
      const ref = byId(id);
      if (ref !== undefined && ref !== el) pending.push(ref);
    }
    while (pending.length > 0) {
      const node = pending.pop() as AnyNode;
      if (!isElement(node)) continue;
      const names = syntax.propNames(node);
      const nested = syntax.isItem(node);
      if (names.length > 0) {
        let value: unknown;
        if (nested) {
          // An item cannot be a property of itself (spec: skip cycles through itemref).
          value = seen.has(node) || count >= MAX_ITEMS ? undefined : makeItem(node);
        } else value = syntax.value(node, urls);
        if (value !== undefined) for (const n of names) (item.properties[n] ??= []).push(value);
      }
      if (nested) continue; // its properties are its own
      const kids = node.children;
      for (let i = kids.length - 1; i >= 0; i--) pending.push(kids[i] as AnyNode);
    }
  }
  return out;
}

/** The nearest `vocab` (RDFa) in scope. */
function vocabOf(el: Element): string | null {
  for (let n: AnyNode | null = el; n !== null; n = n.parent) {
    if (isElement(n) && n.attribs.vocab !== undefined) return n.attribs.vocab.trim();
  }
  return null;
}

/** Top-level RDFa items: `typeof` elements with no `typeof` ancestor. */
export function rdfaRoots(typed: readonly Element[]): Element[] {
  const set = new Set(typed);
  return typed.filter((el) => {
    for (let p = el.parent; p !== null; p = p.parent) if (set.has(p as Element)) return false;
    return true;
  });
}

/** Every element with an id, for itemref; one iterative walk. */
export function indexIds(root: AnyNode): Map<string, Element> {
  const ids = new Map<string, Element>();
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop() as AnyNode;
    if (n.type !== 'root' && !isElement(n)) continue;
    if (isElement(n)) {
      const id = n.attribs.id;
      if (id !== undefined && !ids.has(id)) ids.set(id, n);
    }
    for (const c of n.children) stack.push(c);
  }
  return ids;
}
