/**
 * Which part of a page is its content: the elements the Markdown and text renderers
 * start from, and which elements below them they skip.
 *
 * Order of preference: `includeSelectors` (when given), else with `onlyMainContent`
 * the first `<main>`, `[role=main]`, `<article>` holding text, else the best block by a
 * Readability-like score; without `onlyMainContent`, `<body>`.
 */
import type { AnyNode, Document, Element } from 'domhandler';
import { isBoilerplate } from './boilerplate.js';
import {
  NON_CONTENT_TAGS,
  countNonSpace,
  isElement,
  isHidden,
  textOf,
  visibleTextLength,
} from './dom/dom-utils.js';
import type { PageIndex } from './dom/page-index.js';
import { selectEach } from './selectors.js';

/** The content's roots and the filter a renderer applies to every element below them. */
export interface ContentChoice {
  roots: (Element | Document)[];
  /** True: leave the element and everything in it out. Never true for a root. */
  skip: (el: Element) => boolean;
}

/** The options main-content detection reads (see ExtractOptions). */
export interface ContentOptions {
  onlyMainContent?: boolean;
  includeSelectors?: readonly string[];
  excludeSelectors?: readonly string[];
}

/** Fewer non-space characters than this in a `<main>`/`<article>` means an empty shell. */
const MIN_LANDMARK_TEXT = 50;

/** Chooses the content of an indexed page. */
export function chooseContent(index: PageIndex, options: ContentOptions): ContentChoice {
  const onlyMain = options.onlyMainContent !== false;
  const excluded =
    options.excludeSelectors !== undefined && options.excludeSelectors.length > 0
      ? new Set(selectEach(options.excludeSelectors, index.doc, 'excludeSelectors'))
      : null;
  let roots: (Element | Document)[];
  if (options.includeSelectors !== undefined && options.includeSelectors.length > 0) {
    roots = outermost(selectEach(options.includeSelectors, index.doc, 'includeSelectors'));
  } else {
    const top = onlyMain ? findMain(index) : null;
    // htmlparser2 does not invent <html>/<body>: a fragment is rendered from the document.
    roots = [top ?? index.body ?? index.html ?? index.doc];
  }
  if (excluded !== null) roots = roots.filter((r) => r.type === 'root' || !excluded.has(r));
  const rootSet = new Set<AnyNode>(roots);
  const skip = (el: Element): boolean => {
    if (NON_CONTENT_TAGS.has(el.name) || isHidden(el)) return true;
    if (excluded !== null && excluded.has(el)) return true;
    return onlyMain && !rootSet.has(el) && isBoilerplate(el);
  };
  return { roots, skip };
}

function findMain(index: PageIndex): Element | null {
  for (const list of [index.mains, index.roleMains]) {
    for (const el of list) if (!isHidden(el) && holdsText(el)) return el;
  }
  const articles = index.articles.filter((a) => !isHidden(a));
  if (articles.length === 1) {
    const only = articles[0] as Element;
    if (holdsText(only)) return only;
  } else if (articles.length > 1) {
    // One article much longer than the rest is the page's; comparable ones (a listing
    // of teasers) are all content: take their nearest common ancestor.
    const sized = articles
      .map((el) => ({ el, n: visibleTextLength(el) }))
      .sort((a, b) => b.n - a.n);
    const [first, second] = sized as [{ el: Element; n: number }, { el: Element; n: number }];
    if (first.n >= MIN_LANDMARK_TEXT) {
      return first.n >= 2 * second.n ? first.el : commonAncestor(articles);
    }
  }
  return index.body === null ? null : bestScored(index.body);
}

/** A landmark with at least MIN_LANDMARK_TEXT characters of text (not an empty shell). */
function holdsText(el: Element): boolean {
  return visibleTextLength(el, MIN_LANDMARK_TEXT) >= MIN_LANDMARK_TEXT;
}

/** Drops matches inside other matches (their content is already rendered). */
function outermost(els: Element[]): Element[] {
  const set = new Set(els);
  return els.filter((el) => {
    for (let p = el.parent; p !== null; p = p.parent) if (set.has(p as Element)) return false;
    return true;
  });
}

function commonAncestor(els: Element[]): Element | null {
  const chain = (el: Element): Element[] => {
    const out: Element[] = [];
    for (let n: AnyNode | null = el; n !== null; n = n.parent) if (isElement(n)) out.push(n);
    return out.reverse();
  };
  let common = chain(els[0] as Element);
  for (const el of els.slice(1)) {
    const c = chain(el);
    let i = 0;
    while (i < common.length && i < c.length && common[i] === c[i]) i++;
    common = common.slice(0, i);
  }
  return common[common.length - 1] ?? null;
}

const PARAGRAPH_TAGS = new Set(['p', 'pre', 'td', 'blockquote', 'dd', 'li']);
const BLOCK_CHILD = new Set([
  'p',
  'div',
  'section',
  'article',
  'table',
  'ul',
  'ol',
  'dl',
  'pre',
  'blockquote',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'form',
  'header',
  'footer',
  'nav',
  'aside',
  'main',
  'figure',
]);
const POSITIVE = /article|body|content|entry|main|page|post|text|blog|story/i;
const NEGATIVE =
  /hidden|banner|combx|comment|com-|contact|foot|footer|footnote|masthead|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget/i;

/**
 * Readability's scoring, simplified: every paragraph-like block of 25+ characters scores
 * 1 + its commas + 1 per 100 characters (at most 3), credited fully to its parent and
 * half to its grandparent; a candidate's score is then scaled by 1 − its link density.
 * Returns null when no block scores (the caller falls back to `<body>`).
 */
function bestScored(body: Element): Element | null {
  const scores = new Map<Element, number>();
  const stack: Element[] = [body];
  while (stack.length > 0) {
    const el = stack.pop() as Element;
    if (el !== body && (NON_CONTENT_TAGS.has(el.name) || isHidden(el) || isBoilerplate(el))) {
      continue;
    }
    let hasBlockChild = false;
    for (const c of el.children) {
      if (!isElement(c)) continue;
      if (BLOCK_CHILD.has(c.name)) hasBlockChild = true;
      stack.push(c);
    }
    const paragraphLike = PARAGRAPH_TAGS.has(el.name) || (el.name === 'div' && !hasBlockChild);
    if (!paragraphLike) continue;
    const text = textOf(el);
    const len = countNonSpace(text);
    if (len < 25) continue;
    const score = 1 + (text.split(',').length - 1) + Math.min(Math.floor(len / 100), 3);
    const parent = el.parent !== null && isElement(el.parent) ? el.parent : null;
    if (parent === null) continue;
    scores.set(parent, (scores.get(parent) ?? initialScore(parent)) + score);
    const grand = parent.parent !== null && isElement(parent.parent) ? parent.parent : null;
    if (grand !== null) scores.set(grand, (scores.get(grand) ?? initialScore(grand)) + score / 2);
  }
  const scaled = new Map<Element, number>();
  let best: Element | null = null;
  let bestScore = 0;
  for (const [el, raw] of scores) {
    const s = raw * (1 - linkDensity(el));
    scaled.set(el, s);
    if (s > bestScore) {
      best = el;
      bestScore = s;
    }
  }
  // Readability's sibling step, simplified: content split into sibling sections (DocBook,
  // texinfo) scores per section; while a sibling scores a fifth of the best, take the parent.
  // A parent with no other element child is a mere wrapper: step through it for free.
  for (let up = 0; up < 3 && best !== null && best !== body;) {
    const parent: Element | null =
      best.parent !== null && isElement(best.parent) ? best.parent : null;
    if (parent === null) break;
    const siblings = parent.children.filter((c) => c !== best && isElement(c));
    if (siblings.length > 0) {
      if (!siblings.some((c) => (scaled.get(c as Element) ?? 0) >= 0.2 * bestScore)) break;
      up++;
    }
    best = parent;
  }
  return best;
}

function initialScore(el: Element): number {
  let s = 0;
  if (el.name === 'div') s += 5;
  else if (el.name === 'pre' || el.name === 'td' || el.name === 'blockquote') s += 3;
  else if (/^(?:address|ol|ul|dl|dd|dt|li|form)$/.test(el.name)) s -= 3;
  else if (/^(?:h[1-6]|th)$/.test(el.name)) s -= 5;
  const tokens = `${el.attribs.class ?? ''} ${el.attribs.id ?? ''}`;
  if (NEGATIVE.test(tokens)) s -= 25;
  if (POSITIVE.test(tokens)) s += 25;
  return s;
}

/** Share of the element's text inside links. */
function linkDensity(el: Element): number {
  const total = visibleTextLength(el);
  if (total === 0) return 1;
  let linked = 0;
  const stack: AnyNode[] = [el];
  while (stack.length > 0) {
    const n = stack.pop() as AnyNode;
    if (!isElement(n)) continue;
    if (n.name === 'a') linked += visibleTextLength(n);
    else for (const c of n.children) stack.push(c);
  }
  return Math.min(1, linked / total);
}
