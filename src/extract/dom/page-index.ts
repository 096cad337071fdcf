/**
 * One walk over the whole document that finds every element an extractor asks for
 * (meta, link, JSON-LD, anchors, microdata and RDFa roots, main-content candidates),
 * so the metadata, structured-data and links extractors never walk the tree themselves.
 */
import type { AnyNode, Document, Element } from 'domhandler';
import { NON_CONTENT_TAGS, attr, isElement, isHidden, textLengthOf } from './dom-utils.js';

/** What the walk found, in document order. */
export interface PageIndex {
  doc: Document;
  html: Element | null;
  body: Element | null;
  /** Text of the first `<title>` outside `<svg>`, raw. */
  title: string | null;
  baseHref: string | null;
  metas: Element[];
  linkTags: Element[];
  /** Text of each `<script type="application/ld+json">`. */
  jsonLd: string[];
  anchors: Element[];
  /** Elements with `itemscope` and no `itemprop`: the top-level microdata items. */
  itemRoots: Element[];
  /** Whether any element has `itemref` (then microdata needs ids). */
  hasItemref: boolean;
  /** Elements with `typeof` (RDFa): top-level ones are those with no `typeof` ancestor. */
  rdfaTyped: Element[];
  times: Element[];
  mains: Element[];
  roleMains: Element[];
  articles: Element[];
  /** Non-space characters of visible text outside `<head>` (script, style, hidden excluded). */
  bodyTextLength: number;
}

/** Walks `doc` once. Iterative (explicit stack). */
export function indexPage(doc: Document): PageIndex {
  const index: PageIndex = {
    doc,
    html: null,
    body: null,
    title: null,
    baseHref: null,
    metas: [],
    linkTags: [],
    jsonLd: [],
    anchors: [],
    itemRoots: [],
    hasItemref: false,
    rdfaTyped: [],
    times: [],
    mains: [],
    roleMains: [],
    articles: [],
    bodyTextLength: 0,
  };
  // Parallel stacks: the node, and whether its text counts (inside <body>, not hidden).
  const nodes: AnyNode[] = [];
  const counted: boolean[] = [];
  for (let i = doc.children.length - 1; i >= 0; i--) {
    nodes.push(doc.children[i] as AnyNode);
    counted.push(true); // pages without <body> (fragments) count from the top
  }
  while (nodes.length > 0) {
    const node = nodes.pop() as AnyNode;
    let count = counted.pop() as boolean;
    if (node.type === 'text') {
      if (count) index.bodyTextLength += textLengthOf(node);
      continue;
    }
    if (!isElement(node)) continue;
    const name = node.name;
    switch (name) {
      case 'html':
        index.html ??= node;
        break;
      case 'head':
        count = false;
        break;
      case 'body':
        if (index.body === null) {
          index.body = node;
          count = true;
        }
        break;
      case 'title':
        if (index.title === null) {
          index.title = textOfShallow(node);
        }
        continue;
      case 'base':
        if (index.baseHref === null) index.baseHref = attr(node, 'href');
        break;
      case 'meta':
        index.metas.push(node);
        break;
      case 'link':
        index.linkTags.push(node);
        break;
      case 'script':
        if ((node.attribs.type ?? '').trim().toLowerCase() === 'application/ld+json') {
          index.jsonLd.push(textOfShallow(node));
        }
        continue;
      case 'a':
        if (node.attribs.href !== undefined) index.anchors.push(node);
        break;
      case 'time':
        index.times.push(node);
        break;
      case 'main':
        index.mains.push(node);
        break;
      case 'article':
        index.articles.push(node);
        break;
    }
    const a = node.attribs;
    if (a.itemscope !== undefined && a.itemprop === undefined) index.itemRoots.push(node);
    if (a.itemref !== undefined) index.hasItemref = true;
    if (a.typeof !== undefined) index.rdfaTyped.push(node);
    if (a.role === 'main') index.roleMains.push(node);
    // Nothing indexed lives inside these (links in <svg>/<template> are not page links).
    if (name !== 'head' && NON_CONTENT_TAGS.has(name)) continue;
    if (count && isHidden(node)) count = false;
    const kids = node.children;
    for (let i = kids.length - 1; i >= 0; i--) {
      nodes.push(kids[i] as AnyNode);
      counted.push(count);
    }
  }
  return index;
}

/** Text of an element whose children are only text (title, script). */
function textOfShallow(el: Element): string {
  let s = '';
  for (const c of el.children) if (c.type === 'text') s += c.data;
  return s;
}
