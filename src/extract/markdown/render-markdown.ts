/**
 * Renders content roots as Markdown (or, with `markup: false`, as plain text with the
 * same block structure). One iterative walk with an explicit stack of frames: each
 * element collects its children's output and wraps it when it closes, so nesting depth
 * costs heap, never call stack (hostile pages nest 100,000 levels).
 *
 * Inline whitespace is collapsed across element boundaries as a browser does (the walk
 * visits text in document order and carries a pending space), and leading/trailing
 * spaces are moved outside emphasis, code and link delimiters.
 */
import type { AnyNode, Document, Element } from 'domhandler';
import { isElement, textLengthOf } from '../dom/dom-utils.js';
import type { UrlResolver } from '../resolve-url.js';
import {
  codeFence,
  codeSpan,
  escapeText,
  flank,
  linkDestination,
  normalizeMarkdown,
} from './escape.js';
import { renderTable, type TableRow } from './table.js';

type Kind =
  | 'root'
  | 'inline'
  | 'block'
  | 'heading'
  | 'list'
  | 'li'
  | 'quote'
  | 'pre'
  | 'code'
  | 'em'
  | 'strong'
  | 'del'
  | 'link'
  | 'table'
  | 'tr'
  | 'cell'
  | 'dt';

const KINDS: Record<string, Kind> = {
  p: 'block',
  div: 'block',
  section: 'block',
  article: 'block',
  main: 'block',
  header: 'block',
  footer: 'block',
  aside: 'block',
  nav: 'block',
  address: 'block',
  figure: 'block',
  figcaption: 'block',
  details: 'block',
  summary: 'block',
  fieldset: 'block',
  legend: 'block',
  center: 'block',
  hgroup: 'block',
  form: 'block',
  dl: 'block',
  dd: 'block',
  body: 'block',
  html: 'block',
  search: 'block',
  caption: 'block',
  h1: 'heading',
  h2: 'heading',
  h3: 'heading',
  h4: 'heading',
  h5: 'heading',
  h6: 'heading',
  ul: 'list',
  ol: 'list',
  menu: 'list',
  dir: 'list',
  li: 'li',
  blockquote: 'quote',
  pre: 'pre',
  listing: 'pre',
  xmp: 'pre',
  plaintext: 'pre',
  code: 'code',
  kbd: 'code',
  samp: 'code',
  tt: 'code',
  em: 'em',
  i: 'em',
  cite: 'em',
  dfn: 'em',
  var: 'em',
  strong: 'strong',
  b: 'strong',
  del: 'del',
  s: 'del',
  strike: 'del',
  a: 'link',
  table: 'table',
  tr: 'tr',
  td: 'cell',
  th: 'cell',
  dt: 'dt',
};

interface Frame {
  kind: Kind;
  el: Element | null;
  parts: string[];
  /** list: ordered, and the next item's number */
  ordered?: boolean;
  next?: number;
  /** table / tr */
  rows?: TableRow[];
  cells?: string[];
  allTh?: boolean;
  href?: string | null;
}

/** What the renderer needs from the caller. */
export interface RenderOptions {
  /** Markdown (true) or plain text (false). */
  markup: boolean;
  /** Keep images (Markdown only). @default true */
  images: boolean;
  skip: (el: Element) => boolean;
  urls: UrlResolver;
}

/** The rendering and the number of non-space characters of text it holds. */
export interface Rendered {
  output: string;
  textLength: number;
}

/**
 * A link inside inline code cannot nest in a code span: it is passed up between these
 * control characters and the code span is split around it (`[`Thread`](url)`).
 */
const LINK_OPEN = '\u0001';
const LINK_MID = '\u0002';
const LINK_CLOSE = '\u0003';

const LANGUAGE = /(?:^|\s)(?:language|lang)-([\w+#.-]+)/;

/** Renders `roots` (in order, separated as blocks). */
export function renderContent(
  roots: readonly (Element | Document)[],
  options: RenderOptions,
): Rendered {
  const { markup, skip, urls } = options;
  const images = markup && options.images;
  const frames: Frame[] = [{ kind: 'root', el: null, parts: [] }];
  const nodes: AnyNode[] = [];
  const exits: boolean[] = [];
  for (let i = roots.length - 1; i >= 0; i--) {
    nodes.push(roots[i] as AnyNode);
    exits.push(false);
  }
  const rootSet = new Set<AnyNode>(roots);
  let inPre = 0;
  let inCode = 0;
  let boundary = true; // at a block start: leading whitespace is dropped
  let pendingSpace = false;
  let textLength = 0;

  const top = (): Frame => frames[frames.length - 1] as Frame;
  const nearest = (kind: Kind, stopAt: Kind): Frame | null => {
    for (let i = frames.length - 1; i > 0; i--) {
      const f = frames[i] as Frame;
      if (f.kind === kind) return f;
      if (f.kind === stopAt) return null;
    }
    return null;
  };
  /** Appends inline output, with the pending space before it unless at a block start. */
  const emit = (s: string): void => {
    top().parts.push(pendingSpace && !boundary ? ` ${s}` : s);
    pendingSpace = false;
    boundary = false;
  };
  const blockBreak = (): void => {
    boundary = true;
    pendingSpace = false;
  };

  while (nodes.length > 0) {
    const node = nodes.pop() as AnyNode;
    const exit = exits.pop() as boolean;
    if (node.type === 'text') {
      const data = node.data;
      const length = textLengthOf(node);
      if (inPre > 0) {
        top().parts.push(data);
        textLength += length;
        boundary = false;
        continue;
      }
      const kind = top().kind;
      const collapsed = length === 0 ? '' : collapse(data);
      if (collapsed === ' ' || collapsed === '') {
        if (kind !== 'list' && kind !== 'table' && kind !== 'tr' && !boundary) pendingSpace = true;
        continue;
      }
      const [lead, core, trail] = flank(collapsed);
      if (lead !== '') pendingSpace = true;
      // The text's own count (collapsing changes only spaces), as the page index has it.
      textLength += length;
      emit(markup && inCode === 0 ? escapeText(core, boundary) : core);
      pendingSpace = trail !== '';
      continue;
    }
    if (node.type === 'root') {
      for (let i = node.children.length - 1; i >= 0; i--) {
        nodes.push(node.children[i] as AnyNode);
        exits.push(false);
      }
      continue;
    }
    if (!isElement(node)) continue;
    const el = node;
    const name = el.name;
    if (!exit) {
      if (!rootSet.has(el) && skip(el)) continue;
      // Void elements: no frame.
      if (name === 'br') {
        if (inPre > 0) top().parts.push('\n');
        else {
          top().parts.push(markup ? '\\\n' : '\n');
          blockBreak();
        }
        continue;
      }
      if (name === 'hr') {
        if (inPre === 0) top().parts.push(markup ? '\n\n---\n\n' : '\n\n');
        blockBreak();
        continue;
      }
      if (name === 'img') {
        if (images && inPre === 0) {
          const img = image(el, urls);
          if (img !== null) emit(img);
        }
        continue;
      }
      const kind: Kind = inPre > 0 ? 'inline' : (KINDS[name] ?? 'inline');
      const frame: Frame = { kind, el, parts: [] };
      switch (kind) {
        case 'list':
          frame.ordered = name === 'ol';
          frame.next = Number.parseInt(el.attribs.start ?? '1', 10) || 1;
          break;
        case 'table':
          frame.rows = [];
          break;
        case 'tr':
          frame.cells = [];
          frame.allTh = true;
          break;
        case 'pre':
          inPre++;
          break;
        case 'code':
          inCode++;
          break;
        case 'link': {
          const href = el.attribs.href;
          frame.href = href === undefined ? null : urls.resolve(href);
          break;
        }
      }
      if (isBlockKind(kind)) blockBreak();
      frames.push(frame);
      nodes.push(el);
      exits.push(true);
      const kids = el.children;
      for (let i = kids.length - 1; i >= 0; i--) {
        nodes.push(kids[i] as AnyNode);
        exits.push(false);
      }
      continue;
    }
    // Closing an element.
    const frame = frames.pop() as Frame;
    // Most frames hold one part (a link's text, a cell's paragraph): no copy for those.
    const content = frame.parts.length === 1 ? frame.parts[0]! : frame.parts.join('');
    const parent = top();
    let out = '';
    switch (frame.kind) {
      case 'inline':
      case 'root':
        out = content;
        break;
      case 'block':
      case 'dt':
        // A term already holding emphasis stays plain: `**` cannot nest.
        out = block(
          frame.kind === 'dt' && markup && !content.includes('*')
            ? strongOf(trimBlock(content))
            : content,
        );
        break;
      case 'heading': {
        // Block syntax is inert after `## `: undo the block-start escape.
        const text = oneLine(content)
          .replace(/^(\d+)\\([.)])/, '$1$2')
          .replace(/^\\([>+=-])/, '$1');
        out =
          text === ''
            ? ''
            : markup
              ? `\n\n${'#'.repeat(Number(name[1]))} ${text}\n\n`
              : block(text);
        break;
      }
      case 'list': {
        const body = trimBlock(content);
        out = body === '' ? '' : parent.kind === 'li' ? `\n${body}\n` : `\n\n${body}\n\n`;
        break;
      }
      case 'li': {
        const list = parent.kind === 'list' ? parent : null;
        const marker = list?.ordered === true ? `${list.next ?? 1}. ` : '- ';
        if (list !== null) list.next = (list.next ?? 1) + 1;
        const body = trimBlock(content);
        // Items holding headings are page layout (javadoc's summary lists), not a list.
        if (/(?:^|\n)#{1,6} /.test(body)) {
          out = block(body);
          break;
        }
        const pad = markup ? ' '.repeat(marker.length) : '';
        const text = body.replace(/\n(?=.)/g, `\n${pad}`);
        out = body === '' ? '' : `${markup ? marker : ''}${text}\n`;
        break;
      }
      case 'quote': {
        const body = trimBlock(content).replace(/\n(?:[ \t]*\n)+/g, '\n\n');
        out = !markup
          ? block(body)
          : body === ''
            ? ''
            : `\n\n${body.replace(/^/gm, '> ').replace(/^> $/gm, '>')}\n\n`;
        break;
      }
      case 'pre': {
        inPre--;
        const code = content.replace(/^\n/, '').trimEnd();
        if (code.trim() === '') break;
        if (!markup) {
          out = `\n\n${code}\n\n`;
          break;
        }
        const lang = LANGUAGE.exec(el.attribs.class ?? '') ?? codeLanguage(el);
        const fence = codeFence(code);
        out = `\n\n${fence}${lang?.[1] ?? ''}\n${code}\n${fence}\n\n`;
        break;
      }
      case 'code':
        inCode--;
        out = !markup
          ? content
          : content.includes(LINK_OPEN)
            ? codeWithLinks(content)
            : wrapInline(content, codeSpan, true);
        break;
      case 'em':
        out = markup ? wrapInline(content, (s) => `*${s}*`) : content;
        break;
      case 'strong':
        out = markup ? wrapInline(content, strongOf) : content;
        break;
      case 'del':
        out = markup ? wrapInline(content, (s) => `~~${s}~~`) : content;
        break;
      case 'link': {
        const href = frame.href;
        if (!markup || href === null || href === undefined || content.includes('\n')) out = content;
        else if (inCode > 0)
          out = `${LINK_OPEN}${content}${LINK_MID}${linkDestination(href)}${LINK_CLOSE}`;
        else out = wrapInline(content, (s) => `[${s}](${linkDestination(href)})`);
        break;
      }
      case 'cell': {
        const row = nearest('tr', 'table');
        const cell = trimBlock(content);
        if (row === null) {
          out = block(cell);
          break;
        }
        row.cells?.push(cell);
        if (name !== 'th') row.allTh = false;
        const span = Math.min(Number.parseInt(el.attribs.colspan ?? '1', 10) || 1, 50);
        for (let i = 1; i < span; i++) row.cells?.push('');
        break;
      }
      case 'tr': {
        const table = nearest('table', 'root');
        if (table === null || frame.cells?.length === 0) {
          out = block(content);
          break;
        }
        table.rows?.push({ cells: frame.cells ?? [], header: frame.allTh === true });
        out = content.trim() === '' ? '' : block(content);
        break;
      }
      case 'table': {
        const layout = el.attribs.role === 'presentation' || parent.kind === 'cell';
        out = block(content) + renderTable(frame.rows ?? [], layout, markup);
        break;
      }
    }
    if (isBlockKind(frame.kind)) blockBreak();
    if (out !== '') parent.parts.push(out);
  }
  const output = (frames[0] as Frame).parts.join('');
  return { output: normalizeMarkdown(markup ? output : output.replace(/\\\n/g, '\n')), textLength };
}

/** Whitespace that collapsing changes: any but a lone space (\s includes U+00A0). */
const COLLAPSIBLE = /[^\S ]| {2}/;

/**
 * Runs of whitespace as one space. Most text needs no change: a test is cheaper than a
 * replace that rebuilds the string, which was two thirds of the renderer's own time on
 * the synthetic site's pages.
 */
function collapse(data: string): string {
  return COLLAPSIBLE.test(data) ? data.replace(/\s+/g, ' ') : data;
}

function isBlockKind(kind: Kind): boolean {
  return (
    kind !== 'inline' &&
    kind !== 'code' &&
    kind !== 'em' &&
    kind !== 'strong' &&
    kind !== 'del' &&
    kind !== 'link' &&
    kind !== 'root'
  );
}

/**
 * A block's content trimmed, without a trailing hard break (`\` + newline, whose newline
 * the trim has taken). From the ends only: a block's content holds its nested blocks, so
 * a scan of the whole of it at every level of nesting added up on deep pages.
 */
function trimBlock(s: string): string {
  const t = s.trim();
  return t.endsWith('\\') ? t.slice(0, -1).trim() : t;
}

function block(content: string): string {
  const body = trimBlock(content);
  return body === '' ? '' : `\n\n${body}\n\n`;
}

function oneLine(s: string): string {
  return trimBlock(s)
    .replace(/\\\n/g, ' ')
    .replace(/\s*\n\s*/g, ' ');
}

function strongOf(s: string): string {
  return s === '' ? '' : `**${s}**`;
}

/**
 * Wraps inline content in delimiters, keeping its outer spaces outside (`** x**` is not
 * emphasis). Content holding blocks is left unwrapped: delimiters cannot span them.
 */
function wrapInline(content: string, wrap: (inner: string) => string, code = false): string {
  const [lead, inner, trail] = flank(content);
  if (inner === '') return content;
  if (inner.includes('\n\n')) return content;
  return lead + wrap(code ? inner.replace(/\s*\n\s*/g, ' ') : inner) + trail;
}

function codeLanguage(pre: Element): RegExpExecArray | null {
  for (const c of pre.children) {
    if (isElement(c) && c.name === 'code') return LANGUAGE.exec(c.attribs.class ?? '');
  }
  return null;
}

/** `![alt](src)`, src from src, lazy-loading data-src, or the first srcset candidate. */
function image(el: Element, urls: UrlResolver): string | null {
  const a = el.attribs;
  let src = a.src;
  if (src === undefined || src.trim() === '' || src.startsWith('data:')) {
    src = a['data-src'] ?? a['data-lazy-src'] ?? a.srcset?.trim().split(/\s+/)[0] ?? src;
  }
  if (src === undefined || src.trim() === '') return null;
  const url = urls.resolve(src);
  if (url === null) return null;
  const alt = (a.alt ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[[\]\\]/g, '\\$&');
  return `![${alt}](${linkDestination(url)})`;
}

/** Inline code holding links: code spans around the plain parts, linked code spans for the links. */
function codeWithLinks(content: string): string {
  let out = '';
  let i = 0;
  while (i < content.length) {
    const open = content.indexOf(LINK_OPEN, i);
    const plain = open === -1 ? content.slice(i) : content.slice(i, open);
    if (plain !== '') out += wrapInline(plain, codeSpan, true);
    if (open === -1) break;
    const mid = content.indexOf(LINK_MID, open);
    const close = content.indexOf(LINK_CLOSE, mid);
    if (mid === -1 || close === -1) break;
    const text = content.slice(open + 1, mid);
    const url = content.slice(mid + 1, close);
    out += wrapInline(text, (s) => `[${codeSpan(s)}](${url})`);
    i = close + 1;
  }
  return out;
}
