/**
 * Parses a page into a domhandler tree, once per page; every extractor shares it.
 *
 * htmlparser2 keeps its open-element stack in an array it `unshift`s and `shift`s, so
 * each tag costs O(depth): 100,000 nested `<div>`s take ~12 s (measured, htmlparser2
 * 12). The parser below refuses to open an element deeper than MAX_DEPTH; the content of
 * refused elements becomes children of the deepest open one. That keeps parsing linear,
 * every walk over the tree shallow, and changes nothing on real pages (the deepest
 * real-world documents are a few hundred levels).
 *
 * The tree is built by a small handler of plain objects shaped as domhandler's nodes
 * (type, name, attribs, children, parent, prev, next, data), which is all domutils and
 * css-select read. domhandler's own node classes spent more time in their class-field
 * initialisers than the tokenizer spent on the page (V8 profile over openjdk pages:
 * 4.3 s vs 1.4 s); plain object literals make the whole parse ~2x faster.
 */
import type { Document } from 'domhandler';
import { Parser, type Handler } from 'htmlparser2';

/** Deepest element nesting kept; deeper start tags are dropped (their text is kept). */
export const MAX_DEPTH = 512;

/** The parser's private state touched below (htmlparser2 12; see the module comment). */
interface ParserInternals {
  stack?: unknown;
  tagname: string;
  openTagStart: number;
  startIndex: number;
}

/** Elements that never have content (HTML's void elements, obsolete ones included). */
export const VOID_ELEMENTS: ReadonlySet<string> = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/**
 * Wraps the parser's own start-tag hook (an instance property shadows the prototype's
 * method, which htmlparser2 declares private, so TypeScript cannot see it). Setting
 * `tagname` to '' is how htmlparser2 itself ignores a start tag (a nested `<form>`): no
 * element and no attributes follow.
 */
function capDepth(parser: Parser): void {
  const self = parser as unknown as ParserInternals & { emitOpenTag?: (name: string) => void };
  const original = self.emitOpenTag;
  if (typeof original !== 'function' || !Array.isArray(self.stack)) return; // internals changed
  const stack = self.stack as unknown[];
  self.emitOpenTag = function (name: string): void {
    if (stack.length >= MAX_DEPTH && !VOID_ELEMENTS.has(name)) {
      self.openTagStart = self.startIndex;
      self.tagname = '';
      return;
    }
    original.call(parser, name);
  };
}

/** The document tree of `html` (HTML mode, entities decoded, names lower-cased). */
export function parseHtml(html: string): Document {
  const handler = new TreeBuilder();
  const parser = new Parser(handler, { decodeEntities: true });
  capDepth(parser);
  parser.end(html);
  // Shaped as domhandler's Document (see the module comment); only plain fields are read.
  return handler.root as unknown as Document;
}

/** A node as domhandler shapes it; the fields css-select, domutils and src/extract read. */
interface LightNode {
  type: string;
  parent: LightNode | null;
  prev: LightNode | null;
  next: LightNode | null;
  name?: string;
  attribs?: Record<string, string>;
  children?: LightNode[];
  data?: string;
}

class TreeBuilder implements Partial<Handler> {
  readonly root: LightNode = { type: 'root', parent: null, prev: null, next: null, children: [] };
  private current: LightNode = this.root;
  /** The last text node, while text continues (entities arrive as separate events). */
  private text: LightNode | null = null;
  private comment: LightNode | null = null;

  private add(node: LightNode): void {
    const siblings = this.current.children as LightNode[];
    const prev = siblings[siblings.length - 1];
    if (prev !== undefined) {
      prev.next = node;
      node.prev = prev;
    }
    siblings.push(node);
    this.text = null;
  }

  onopentag(name: string, attribs: Record<string, string>): void {
    const type = name === 'script' ? 'script' : name === 'style' ? 'style' : 'tag';
    const el: LightNode = {
      type,
      parent: this.current,
      prev: null,
      next: null,
      name,
      attribs,
      children: [],
    };
    this.add(el);
    this.current = el;
  }

  onclosetag(): void {
    this.text = null;
    this.current = this.current.parent ?? this.root;
  }

  ontext(data: string): void {
    if (this.text !== null) {
      this.text.data += data;
      return;
    }
    const node: LightNode = { type: 'text', parent: this.current, prev: null, next: null, data };
    this.add(node);
    this.text = node;
  }

  oncomment(data: string): void {
    if (this.comment !== null) {
      this.comment.data += data;
      return;
    }
    const node: LightNode = { type: 'comment', parent: this.current, prev: null, next: null, data };
    this.add(node);
    this.comment = node;
  }

  oncommentend(): void {
    this.comment = null;
    this.text = null;
  }
}
