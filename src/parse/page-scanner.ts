/**
 * One pass of htmlparser2's tokenizer over a document, collecting the raw material of a
 * ParsedPage: link hrefs (with their rel=nofollow), the first `<base href>`, the first
 * `<link rel=canonical>`, robots directives and the title.
 *
 * This runs for every fetched page, so it sits directly on the Tokenizer rather than on
 * htmlparser2's Parser: tokenizer events are index ranges into the document, and the
 * scanner turns a range into a string only for the handful of tags and attributes it
 * keeps (the Parser slices and lower-cases every tag and attribute name and value).
 * Entity decoding is also deferred to those kept strings (see decode-entities.ts). The
 * Parser's tree-building (implied end tags, element stack) is not needed for these facts.
 */
import type { TokenizerCallbacks } from 'htmlparser2';
import { decodeAttribute, decodeText } from './decode-entities.js';
import { ScanTokenizer } from './scan-tokenizer.js';

/** What a scan of one document found, before any URL resolution. */
export interface ScanResult {
  /** Raw (entity-decoded) href of every `<a href>` and `<area href>`, in document order. */
  hrefs: string[];
  /** Parallel to `hrefs`: the element's rel holds "nofollow". */
  nofollowHrefs: boolean[];
  baseHref: string | null;
  canonicalHref: string | null;
  /** Text of the first `<title>` outside SVG/MathML, decoded but not yet cleaned up. */
  title: string | null;
  noindex: boolean;
  nofollow: boolean;
}

// The tag whose attributes are arriving; OTHER means "ignore its attributes".
const OTHER = 0;
const ANCHOR = 1;
const BASE = 2;
const LINK = 3;
const META = 4;
const TITLE = 5;
const FOREIGN = 6; // <svg> or <math>

/** Raw title text decoded at most (UTF-16 units): far above any title worth keeping. */
const MAX_RAW_TITLE = 65_536;

// The attribute whose value is arriving.
const IGNORED = 0;
const HREF = 1;
const REL = 2;
const NAME = 3;
const CONTENT = 4;

class PageScanner implements TokenizerCallbacks {
  private html = '';
  /** Turns a kept slice of `html` into text (see scanPage); identity for decoded text. */
  private transcode: (raw: string) => string = identity;
  private result!: ScanResult;
  private tag = OTHER;
  private attr = IGNORED;
  private valueStart = -1;
  private valueEnd = -1;
  /** Open `<svg>`/`<math>` elements: a `<title>` there names a graphic, not the page. */
  private foreignDepth = 0;
  private titleSeen = false;
  private inTitle = false;
  private titleStart = -1;
  private titleEnd = -1;
  // Attributes of the current tag of interest; the first occurrence wins, as in HTML.
  private href: string | null = null;
  private rel: string | null = null;
  private hrefIndex = -1;
  private metaName: string | null = null;
  private metaContent: string | null = null;
  private readonly tokenizer = new ScanTokenizer({ decodeEntities: false }, this);

  scan(html: string, transcode: (raw: string) => string = identity): ScanResult {
    this.html = html;
    this.transcode = transcode;
    this.result = {
      hrefs: [],
      nofollowHrefs: [],
      baseHref: null,
      canonicalHref: null,
      title: null,
      noindex: false,
      nofollow: false,
    };
    this.tag = OTHER;
    this.attr = IGNORED;
    this.foreignDepth = 0;
    this.titleSeen = false;
    this.inTitle = false;
    this.tokenizer.reset();
    this.tokenizer.write(html);
    this.tokenizer.end();
    const result = this.result;
    this.html = '';
    return result;
  }

  isInForeignContext(): boolean {
    return this.foreignDepth > 0;
  }

  onopentagname(start: number, end: number): void {
    this.tag = OTHER;
    const h = this.html;
    const c0 = h.charCodeAt(start) | 0x20;
    // Dispatch on length and first letter: most tags are rejected in two compares.
    switch (end - start) {
      case 1:
        if (c0 === 0x61) this.startTag(ANCHOR);
        break;
      case 3:
        if (c0 === 0x73 && this.is(start, 'svg')) this.openForeign();
        break;
      case 4:
        if (c0 === 0x61) {
          if (this.is(start, 'area')) this.startTag(ANCHOR);
        } else if (c0 === 0x62) {
          if (this.is(start, 'base')) this.startTag(BASE);
        } else if (c0 === 0x6c) {
          if (this.is(start, 'link')) this.startTag(LINK);
        } else if (c0 === 0x6d) {
          if (this.is(start, 'meta')) this.startTag(META);
          else if (this.is(start, 'math')) this.openForeign();
        }
        break;
      case 5:
        if (c0 === 0x74 && !this.titleSeen && this.foreignDepth === 0 && this.is(start, 'title')) {
          this.titleSeen = true;
          this.tag = TITLE;
        }
        break;
    }
  }

  /** The document at `at` spells `lower`, ASCII case-insensitively. */
  private is(at: number, lower: string): boolean {
    const h = this.html;
    for (let i = 0; i < lower.length; i++) {
      if ((h.charCodeAt(at + i) | 0x20) !== lower.charCodeAt(i)) return false;
    }
    return true;
  }

  private startTag(tag: number): void {
    this.tag = tag;
    this.href = null;
    this.rel = null;
    this.hrefIndex = -1;
    this.metaName = null;
    this.metaContent = null;
  }

  private openForeign(): void {
    this.tag = FOREIGN;
    this.foreignDepth++;
  }

  onattribname(start: number, end: number): void {
    this.attr = IGNORED;
    const tag = this.tag;
    if (tag === OTHER || tag >= TITLE) return;
    switch (end - start) {
      case 3:
        if (this.is(start, 'rel')) this.attr = REL;
        break;
      case 4:
        if (this.is(start, 'href')) this.attr = HREF;
        else if (tag === META && this.is(start, 'name')) this.attr = NAME;
        break;
      case 7:
        if (tag === META && this.is(start, 'content')) this.attr = CONTENT;
        break;
    }
    this.valueStart = -1;
  }

  onattribdata(start: number, end: number): void {
    if (this.attr === IGNORED) return;
    if (this.valueStart === -1) this.valueStart = start;
    this.valueEnd = end;
  }

  onattribentity(): void {
    // Never called: the tokenizer does not decode entities (decodeEntities: false).
  }

  onattribend(): void {
    const attr = this.attr;
    if (attr === IGNORED) return;
    this.attr = IGNORED;
    const value =
      this.valueStart === -1
        ? ''
        : decodeAttribute(this.transcode(this.html.slice(this.valueStart, this.valueEnd)));
    const r = this.result;
    const tag = this.tag;
    if (attr === HREF) {
      if (this.href !== null) return;
      this.href = value;
      if (tag === ANCHOR) {
        this.hrefIndex = r.hrefs.length;
        r.hrefs.push(value);
        r.nofollowHrefs.push(this.rel !== null && hasToken(this.rel, 'nofollow'));
      } else if (tag === BASE) {
        r.baseHref ??= value;
      } else if (tag === LINK) {
        this.checkCanonical();
      }
    } else if (attr === REL) {
      if (this.rel !== null) return;
      this.rel = value;
      if (tag === ANCHOR) {
        if (this.hrefIndex !== -1) r.nofollowHrefs[this.hrefIndex] = hasToken(value, 'nofollow');
      } else if (tag === LINK) {
        this.checkCanonical();
      }
    } else if (attr === NAME) {
      this.metaName ??= value;
      this.checkRobots();
    } else if (this.metaContent === null) {
      this.metaContent = value;
      this.checkRobots();
    }
  }

  private checkCanonical(): void {
    if (this.result.canonicalHref !== null || this.href === null || this.rel === null) return;
    if (hasToken(this.rel, 'canonical')) this.result.canonicalHref = this.href;
  }

  private checkRobots(): void {
    const name = this.metaName;
    const content = this.metaContent;
    if (name === null || content === null) return;
    if (name.length < 6 || name.trim().toLowerCase() !== 'robots') return;
    const r = this.result;
    if (hasToken(content, 'none')) {
      r.noindex = true;
      r.nofollow = true;
    }
    if (hasToken(content, 'noindex')) r.noindex = true;
    if (hasToken(content, 'nofollow')) r.nofollow = true;
  }

  onopentagend(): void {
    // RCDATA: the tokenizer now reports the title's text until "</title".
    if (this.tag === TITLE) {
      this.inTitle = true;
      this.titleStart = -1;
    }
    this.tag = OTHER;
  }

  onselfclosingtag(): void {
    // "/>" only closes an element in foreign content, e.g. "<svg/>".
    if (this.tag === FOREIGN) this.foreignDepth--;
    else if (this.tag === TITLE) this.onopentagend();
    this.tag = OTHER;
  }

  ontext(start: number, end: number): void {
    if (!this.inTitle) return;
    if (this.titleStart === -1) this.titleStart = start;
    this.titleEnd = end;
  }

  onclosetag(start: number, end: number): void {
    const length = end - start;
    if (length === 5) {
      if (this.inTitle && this.is(start, 'title')) this.endTitle();
    } else if (length === 3 || length === 4) {
      if (this.foreignDepth > 0 && (this.is(start, 'svg') || this.is(start, 'math'))) {
        this.foreignDepth--;
      }
    }
  }

  private endTitle(): void {
    this.inTitle = false;
    if (this.titleStart === -1) {
      this.result.title = '';
      return;
    }
    // An unclosed <title> swallows the rest of the page; only its start can be kept.
    const end = Math.min(this.titleEnd, this.titleStart + MAX_RAW_TITLE);
    this.result.title = decodeText(this.transcode(this.html.slice(this.titleStart, end)));
  }

  onend(): void {
    // An unclosed <title> runs to the end of the document.
    if (this.inTitle) this.endTitle();
  }

  ontextentity(): void {}
  oncdata(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}
}

/**
 * True when `list` (a rel or robots content: tokens separated by whitespace or commas)
 * holds `token`, ASCII case-insensitively. `token` must be lower-case.
 */
export function hasToken(list: string, token: string): boolean {
  if (findToken(list, token)) return true;
  // Upper-case spellings are rare: only then pay for lower-casing.
  return /[A-Z]/.test(list) && findToken(list.toLowerCase(), token);
}

function findToken(list: string, token: string): boolean {
  for (let at = list.indexOf(token); at !== -1; at = list.indexOf(token, at + 1)) {
    const end = at + token.length;
    if (
      (at === 0 || isSeparator(list.charCodeAt(at - 1))) &&
      (end === list.length || isSeparator(list.charCodeAt(end)))
    ) {
      return true;
    }
  }
  return false;
}

function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x2c || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

// One scanner per thread, reused: scans are synchronous and never overlap, and scan()
// resets all state (also after a scan that threw).
const scanner = new PageScanner();

function identity(raw: string): string {
  return raw;
}

/**
 * Scans an HTML document. `html` is either decoded text, or — for ASCII-compatible
 * encodings — the body's bytes as a latin1 string, with `transcode` turning each kept
 * slice (attribute value, title) into text before entities are decoded. Every byte
 * below 0x40 of such an encoding is the ASCII character, so the tokenizer sees the same
 * structure either way, and decoding only the kept slices is much cheaper than
 * decoding the whole page (and keeps the scanned string one byte per character).
 */
export function scanPage(html: string, transcode?: (raw: string) => string): ScanResult {
  return scanner.scan(html, transcode);
}
