/**
 * Small DOM helpers over domhandler trees. Every walk is iterative: a hostile page can
 * nest thousands of levels (parse-html.ts caps it at MAX_DEPTH, but recursion over
 * 512 levels per node of a 10 MB page would still cost stack and time).
 */
import type { AnyNode, Element, Text } from 'domhandler';

/** Elements whose text is never page content. */
export const NON_CONTENT_TAGS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'head',
  'title',
  'iframe',
  'object',
  'embed',
  'canvas',
  'video',
  'audio',
  'select',
  'option',
  'textarea',
  'button',
  'input',
  'meta',
  'link',
]);

/** True for element nodes (tags, and script/style which domhandler types separately). */
export function isElement(node: AnyNode): node is Element {
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

/** An attribute, trimmed; null when absent or empty. */
export function attr(el: Element, name: string): string | null {
  const v = el.attribs[name];
  if (v === undefined) return null;
  const t = v.trim();
  return t === '' ? null : t;
}

/** Hidden from readers: `hidden`, `aria-hidden=true`, inline display:none/visibility:hidden. */
export function isHidden(el: Element): boolean {
  const a = el.attribs;
  if (a.hidden !== undefined) return true;
  if (a['aria-hidden'] === 'true') return true;
  const style = a.style;
  return style !== undefined && /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style);
}

/**
 * The text of a subtree, entities decoded, raw whitespace kept; script/style/etc. skipped
 * unless `all`. Iterative.
 */
export function textOf(root: AnyNode, all = false): string {
  if (root.type === 'text') return root.data;
  const out: string[] = [];
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode;
    if (node.type === 'text') {
      out.push(node.data);
      continue;
    }
    if (node.type === 'cdata' || node.type === 'root' || isElement(node)) {
      if (node !== root && !all && isElement(node) && NON_CONTENT_TAGS.has(node.name)) continue;
      const kids = node.children;
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as AnyNode);
    }
  }
  return out.join('');
}

/** Whitespace runs collapsed to one space, trimmed. */
export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Number of characters that are not whitespace (code units above U+0020 other than
 * U+00A0, no-break space): the unit of every text-length stat. A loop, not a regex: a
 * global match built an array holding every space, garbage for every text node (the
 * extraction of a synthetic page ~8 % faster without it, bench/extract-cost.ts).
 */
export function countNonSpace(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x20 && c !== 0xa0) n++;
  }
  return n;
}

/** A text node with its countNonSpace, computed once (text nodes never change). */
interface CountedText extends Text {
  nonSpace?: number;
}

/** countNonSpace of a text node's data, cached on the node: several extractors ask. */
export function textLengthOf(node: Text): number {
  const counted = node as CountedText;
  return (counted.nonSpace ??= countNonSpace(node.data));
}

/**
 * countNonSpace(textOf(root)) without building the text, from the text nodes' cached
 * counts; stops counting once it reaches `atLeast` (a caller that asks "at least 50?").
 */
export function visibleTextLength(root: AnyNode, atLeast = Infinity): number {
  let n = 0;
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode;
    if (node.type === 'text') {
      n += textLengthOf(node as Text);
      if (n >= atLeast) return n;
      continue;
    }
    if (node.type === 'cdata' || node.type === 'root' || isElement(node)) {
      if (node !== root && isElement(node) && NON_CONTENT_TAGS.has(node.name)) continue;
      const kids = (node as Element).children;
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as AnyNode);
    }
  }
  return n;
}

/** Nearest ancestor element (or the element itself) with this tag name. */
export function closest(el: Element, name: string): Element | null {
  for (let n: Element | null = el; n !== null; n = parentElement(n)) {
    if (n.name === name) return n;
  }
  return null;
}

/** The parent when it is an element. */
export function parentElement(node: AnyNode): Element | null {
  const p = node.parent;
  return p !== null && isElement(p) ? p : null;
}
