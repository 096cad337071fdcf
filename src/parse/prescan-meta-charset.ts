/**
 * The WHATWG "prescan a byte stream to determine its encoding" algorithm
 * (https://html.spec.whatwg.org/#prescan-a-byte-stream-to-determine-its-encoding), run on
 * a lower-cased latin1 view of the first bytes, so every char code is the byte it came
 * from and no decoding is needed to find a declaration.
 */

/** Bytes the prescan looks at, per the spec's recommendation. */
export const PRESCAN_BYTES = 1024;

/**
 * The charset label declared by a `<meta charset>` or `<meta http-equiv=content-type
 * content="...; charset=...">` in `head`, or null. `head` must be the latin1 view of the
 * document's first bytes, lower-cased. The label is returned as written (trimmed, not
 * yet validated): the caller resolves it and, when it names no known encoding, treats
 * it as absent.
 */
export function prescanMetaCharset(head: string): string | null {
  // Almost every page either declares early or not at all; skip the scan when no
  // "<meta" is present.
  if (head.indexOf('<meta') === -1) return null;
  const scanner = new Scanner(head);
  return scanner.run();
}

const TAB = 0x09;
const LF = 0x0a;
const FF = 0x0c;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const SLASH = 0x2f;
const SEMICOLON = 0x3b;
const LT = 0x3c;
const EQ = 0x3d;
const GT = 0x3e;
const QMARK = 0x3f;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === FF || c === CR;
}

function isLetter(c: number): boolean {
  // The input is lower-cased, but A-Z may still appear if the caller forgot; accept both.
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

const END_OF_INPUT = Symbol('end of input');

interface Attribute {
  name: string;
  value: string;
}

class Scanner {
  private pos = 0;
  /** Set when an attribute ran into the end of the input: the spec then aborts. */
  private eof = false;
  constructor(private readonly s: string) {}

  run(): string | null {
    const s = this.s;
    while (this.pos < s.length) {
      if (s.startsWith('<!--', this.pos)) {
        // The "-->" may share its dashes with the opening "<!--" ("<!-->" is a whole comment).
        const end = s.indexOf('-->', this.pos + 2);
        if (end === -1) return null;
        this.pos = end + 3;
        continue;
      }
      if (s.startsWith('<meta', this.pos)) {
        const after = s.charCodeAt(this.pos + 5);
        if (isSpace(after) || after === SLASH) {
          this.pos += 6;
          const found = this.meta();
          if (found !== null) return found;
          continue;
        }
      }
      const c = s.charCodeAt(this.pos);
      if (c === LT) {
        const next = s.charCodeAt(this.pos + 1);
        if (isLetter(next) || (next === SLASH && isLetter(s.charCodeAt(this.pos + 2)))) {
          this.skipTag();
          continue;
        }
        if (next === BANG || next === SLASH || next === QMARK) {
          const end = s.indexOf('>', this.pos + 1);
          if (end === -1) return null;
          this.pos = end + 1;
          continue;
        }
      }
      this.pos++;
    }
    return null;
  }

  /** After "<meta" and one space or slash: the declared label, or null to keep scanning. */
  private meta(): string | null {
    const seen = new Set<string>();
    let gotPragma = false;
    let needPragma: boolean | null = null;
    let charset: string | null = null;
    for (let attr = this.attribute(); attr !== null; attr = this.attribute()) {
      if (seen.has(attr.name)) continue;
      seen.add(attr.name);
      if (attr.name === 'http-equiv') {
        if (attr.value === 'content-type') gotPragma = true;
      } else if (attr.name === 'content') {
        if (charset === null) {
          const fromContent = charsetFromMetaContent(attr.value);
          if (fromContent !== null) {
            charset = fromContent;
            needPragma = true;
          }
        }
      } else if (attr.name === 'charset') {
        charset = attr.value;
        needPragma = false;
      }
    }
    if (this.eof) return null;
    if (needPragma === null || (needPragma && !gotPragma) || charset === null) return null;
    const label = charset.trim();
    return label === '' ? null : label;
  }

  /** After "<x" or "</x": skip the tag name and its attributes. */
  private skipTag(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (isSpace(c) || c === GT) break;
      this.pos++;
    }
    while (this.attribute() !== null);
  }

  /** The spec's "get an attribute"; null at the end of the tag (or of the input). */
  private attribute(): Attribute | null {
    const attr = this.readAttribute();
    if (attr === END_OF_INPUT) {
      this.eof = true;
      return null;
    }
    return attr;
  }

  private readAttribute(): Attribute | null | typeof END_OF_INPUT {
    const s = this.s;
    const n = s.length;
    let c = s.charCodeAt(this.pos);
    while (this.pos < n && (isSpace(c) || c === SLASH)) c = s.charCodeAt(++this.pos);
    if (this.pos >= n) return END_OF_INPUT;
    if (c === GT) {
      this.pos++;
      return null;
    }
    let name = '';
    let value = '';
    for (;;) {
      if (this.pos >= n) return END_OF_INPUT;
      c = s.charCodeAt(this.pos);
      if (c === EQ && name !== '') {
        this.pos++;
        break;
      }
      if (isSpace(c)) {
        while (this.pos < n && isSpace(s.charCodeAt(this.pos))) this.pos++;
        if (this.pos >= n) return END_OF_INPUT;
        if (s.charCodeAt(this.pos) !== EQ) return { name, value };
        this.pos++;
        break;
      }
      if (c === SLASH || c === GT) return { name, value };
      name += s[this.pos];
      this.pos++;
    }
    while (this.pos < n && isSpace(s.charCodeAt(this.pos))) this.pos++;
    if (this.pos >= n) return END_OF_INPUT;
    c = s.charCodeAt(this.pos);
    if (c === DQUOTE || c === SQUOTE) {
      const end = s.indexOf(s[this.pos] as string, this.pos + 1);
      if (end === -1) return END_OF_INPUT;
      value = s.slice(this.pos + 1, end);
      this.pos = end + 1;
      return { name, value };
    }
    if (c === GT) return { name, value };
    const start = this.pos;
    while (this.pos < n) {
      c = s.charCodeAt(this.pos);
      if (isSpace(c) || c === GT) break;
      this.pos++;
    }
    return this.pos >= n ? END_OF_INPUT : { name, value: s.slice(start, this.pos) };
  }
}

/**
 * The spec's "extract a character encoding from a meta element" on a `content` value
 * such as "text/html; charset=gbk".
 */
export function charsetFromMetaContent(content: string): string | null {
  let from = 0;
  for (;;) {
    const at = content.indexOf('charset', from);
    if (at === -1) return null;
    let i = at + 7;
    while (i < content.length && isSpace(content.charCodeAt(i))) i++;
    if (content.charCodeAt(i) !== EQ) {
      from = at + 7;
      continue;
    }
    i++;
    while (i < content.length && isSpace(content.charCodeAt(i))) i++;
    if (i >= content.length) return null;
    const q = content.charCodeAt(i);
    if (q === DQUOTE || q === SQUOTE) {
      const end = content.indexOf(content[i] as string, i + 1);
      return end === -1 ? null : content.slice(i + 1, end);
    }
    let end = i;
    while (end < content.length) {
      const c = content.charCodeAt(end);
      if (isSpace(c) || c === SEMICOLON) break;
      end++;
    }
    return content.slice(i, end);
  }
}
