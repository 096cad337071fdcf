/**
 * Decoding an HTML body to text, choosing the encoding the way browsers do (WHATWG
 * "encoding sniffing", simplified): BOM, then the Content-Type charset, then a
 * `<meta>` declaration in the first 1024 bytes, then UTF-8 if the bytes are valid UTF-8,
 * else windows-1252.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { PRESCAN_BYTES, prescanMetaCharset } from './prescan-meta-charset.js';

export interface DecodedHtml {
  text: string;
  /** WHATWG name of the encoding used, lower-case: "utf-8", "windows-1252", "gbk"... */
  charset: string;
}

/** A body ready to scan: see scanPage for how `text` and `transcode` go together. */
export interface ScannableHtml {
  /** Decoded text, or the bytes as a latin1 string when `transcode` is set. */
  text: string;
  charset: string;
  /** Decodes a slice of `text` when `text` holds bytes; null when `text` is decoded. */
  transcode: ((raw: string) => string) | null;
}

/**
 * Encodings in which bytes below 0x40 can be part of a non-ASCII character (UTF-16,
 * and the stateful ISO-2022-JP): they must be decoded whole before scanning.
 */
const NOT_BYTE_SCANNABLE = new Set(['utf-16le', 'utf-16be', 'iso-2022-jp', 'replacement']);

/**
 * Like decodeHtml, but leaves ASCII-compatible bodies undecoded (a latin1 view of the
 * bytes) for the scanner to decode only what it keeps.
 */
export function scannableHtml(body: Buffer, contentType: string | null): ScannableHtml {
  let start = 0;
  let decoding: Decoding | null = null;
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    start = 3;
    decoding = UTF8;
  } else if (body.length >= 2 && (body[0] === 0xff || body[0] === 0xfe)) {
    const whole = decodeHtml(body, contentType);
    return { ...whole, transcode: null };
  } else {
    decoding = chooseDecoding(body, contentType);
  }
  if (NOT_BYTE_SCANNABLE.has(decoding.name)) {
    return { text: decoding.decode(body), charset: decoding.name, transcode: null };
  }
  const dec = decoding;
  return {
    text: body.toString('latin1', start),
    charset: dec.name,
    transcode: (raw) => (isAsciiString(raw) ? raw : dec.decode(Buffer.from(raw, 'latin1'))),
  };
}

function isAsciiString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** How to turn bytes into text for one encoding. */
interface Decoding {
  /** WHATWG name (`TextDecoder#encoding`). */
  name: string;
  decode(body: Buffer): string;
}

const UTF8: Decoding = {
  name: 'utf-8',
  // Node's native UTF-8 decoder (replacement characters for bad sequences, as TextDecoder).
  decode: (body) => body.toString('utf8'),
};

const WINDOWS_1252: Decoding = { name: 'windows-1252', decode: decodeWindows1252 };

/** Resolved labels; null for labels that name no encoding this runtime supports. */
const decodings = new Map<string, Decoding | null>([
  ['utf-8', UTF8],
  ['utf8', UTF8],
  ['windows-1252', WINDOWS_1252],
  ['iso-8859-1', WINDOWS_1252],
  ['latin1', WINDOWS_1252],
  ['us-ascii', WINDOWS_1252],
  ['ascii', WINDOWS_1252],
]);

/**
 * Decodes `body` as HTML. Never throws: an unknown or unsupported declared charset is
 * ignored and the next rule applies; undecodable bytes become U+FFFD.
 *
 * @param body the (content-decoded) response body
 * @param contentType the Content-Type header, if any (only its charset parameter is read)
 */
export function decodeHtml(body: Buffer, contentType: string | null): DecodedHtml {
  const bom = decodeWithBom(body);
  if (bom !== null) return bom;
  const decoding = chooseDecoding(body, contentType);
  return { text: decoding.decode(body), charset: decoding.name };
}

/** The encoding of a body without a BOM: header charset, then meta prescan, then sniffing. */
function chooseDecoding(body: Buffer, contentType: string | null): Decoding {
  let decoding: Decoding | null = null;
  if (contentType !== null) {
    const label = charsetParam(contentType);
    if (label !== null) decoding = lookup(label);
  }
  if (decoding === null) {
    const head = body.toString('latin1', 0, Math.min(body.length, PRESCAN_BYTES)).toLowerCase();
    const label = prescanMetaCharset(head);
    if (label !== null) decoding = fromMeta(lookup(label));
  }
  return decoding ?? (looksLikeUtf8(body) ? UTF8 : WINDOWS_1252);
}

function decodeWithBom(body: Buffer): DecodedHtml | null {
  if (body.length < 2) return null;
  const b0 = body[0];
  const b1 = body[1];
  if (b0 === 0xef && b1 === 0xbb && body[2] === 0xbf) {
    return { text: body.toString('utf8', 3), charset: 'utf-8' };
  }
  if (b0 === 0xff && b1 === 0xfe) return decodeWith('utf-16le', body);
  if (b0 === 0xfe && b1 === 0xff) return decodeWith('utf-16be', body);
  return null;
}

function decodeWith(label: string, body: Buffer): DecodedHtml {
  const decoding = lookup(label) ?? UTF8;
  return { text: decoding.decode(body), charset: decoding.name };
}

/**
 * A `<meta>` can only declare an ASCII-compatible encoding: the prescan that found it
 * read the bytes as ASCII. So a UTF-16 declaration means UTF-8, as the spec says.
 */
function fromMeta(decoding: Decoding | null): Decoding | null {
  if (decoding === null) return null;
  return decoding.name === 'utf-16le' || decoding.name === 'utf-16be' ? UTF8 : decoding;
}

/** The encoding a label names, or null. Decoders are built once per label and reused. */
function lookup(rawLabel: string): Decoding | null {
  let decoding = decodings.get(rawLabel);
  if (decoding !== undefined) return decoding;
  const label = rawLabel.trim().toLowerCase();
  decoding = decodings.get(label);
  if (decoding === undefined) {
    decoding = createDecoding(label);
    // Labels come from the web: bound the cache against pages inventing new ones.
    if (decodings.size < 512) decodings.set(label, decoding);
  }
  if (decodings.size < 512) decodings.set(rawLabel, decoding);
  return decoding;
}

function createDecoding(label: string): Decoding | null {
  // The spec maps this one to windows-1252 for sniffing purposes; ICU does not know it.
  if (label === 'x-user-defined') return WINDOWS_1252;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    return null;
  }
  const name = decoder.encoding;
  if (name === 'utf-8') return UTF8;
  // Node 20's TextDecoder decodes this label as ISO-8859-1, which differs in 0x80-0x9F.
  if (name === 'windows-1252') return WINDOWS_1252;
  return { name, decode: (body) => decoder.decode(body) };
}

/** The `charset` parameter of a Content-Type value, unquoted; null when absent or empty. */
export function charsetParam(contentType: string): string | null {
  const lower = contentType.toLowerCase();
  let at = lower.indexOf('charset', lower.indexOf(';'));
  for (; at !== -1; at = lower.indexOf('charset', at + 7)) {
    // The parameter name must be exactly "charset", not e.g. "xcharset".
    const before = lower.charCodeAt(at - 1);
    if (before !== 0x3b && before !== 0x20 && before !== 0x09) continue;
    let i = at + 7;
    while (lower.charCodeAt(i) === 0x20 || lower.charCodeAt(i) === 0x09) i++;
    if (lower.charCodeAt(i) === 0x3d) {
      i++;
      while (lower.charCodeAt(i) === 0x20 || lower.charCodeAt(i) === 0x09) i++;
      let end: number;
      if (lower.charCodeAt(i) === 0x22) {
        i++;
        end = lower.indexOf('"', i);
        if (end === -1) end = lower.length;
      } else {
        end = i;
        while (end < lower.length && !isParamEnd(lower.charCodeAt(end))) end++;
      }
      const label = lower.slice(i, end).trim();
      return label === '' ? null : label;
    }
  }
  return null;
}

function isParamEnd(c: number): boolean {
  return c === 0x3b || c === 0x20 || c === 0x09 || c === 0x2c;
}

/**
 * Valid UTF-8, allowing the body to end inside a multi-byte sequence: bodies cut at
 * maxBodyBytes often do, and one broken character must not turn a page into mojibake.
 */
function looksLikeUtf8(body: Buffer): boolean {
  let end = body.length;
  // Step back over at most 3 continuation bytes to the last lead byte; if its sequence
  // is longer than what is left, it was cut off: ignore it.
  let i = end - 1;
  while (i >= 0 && end - i <= 3 && ((body[i] as number) & 0xc0) === 0x80) i--;
  if (i >= 0) {
    const lead = body[i] as number;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (need > end - i) end = i;
  }
  return isUtf8(end === body.length ? body : body.subarray(0, end));
}

/** windows-1252 differs from latin1 only in 0x80-0x9F; these are its characters there. */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

const HAS_C1 = /[\u0080-\u009f]/;
const ALL_C1 = /[\u0080-\u009f]/g;

function decodeWindows1252(body: Buffer): string {
  const text = body.toString('latin1');
  if (!HAS_C1.test(text)) return text;
  return text.replace(ALL_C1, (ch) => CP1252_HIGH[ch.charCodeAt(0) - 0x80] as string);
}
