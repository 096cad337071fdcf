/**
 * WARC 1.1 records (ISO 28500:2017): the header block, the digests, and the HTTP
 * messages Trawl can reconstruct from a stored page.
 */
import { createHash, randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

/** One WARC record's named fields, in the order written (WARC-Type first). */
export type WarcFields = [name: string, value: string][];

/** A new WARC-Record-ID. */
export function recordId(): string {
  return `<urn:uuid:${randomUUID()}>`;
}

/** A WARC-Date: ISO-8601 UTC, with milliseconds (WARC 1.1 allows fractions of seconds). */
export function warcDate(at: unknown): string {
  const ms =
    typeof at === 'number'
      ? at
      : typeof at === 'string' || at instanceof Date
        ? new Date(at).getTime()
        : NaN;
  return new Date(Number.isFinite(ms) ? ms : Date.now()).toISOString();
}

/** The whole record: version line, fields (Content-Length added), blank line, block, CRLF CRLF. */
export function warcRecord(fields: WarcFields, block: Buffer): Buffer {
  let head = 'WARC/1.1\r\n';
  for (const [name, value] of fields) head += `${name}: ${oneLine(value)}\r\n`;
  head += `Content-Length: ${block.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), block, CRLF2]);
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** `sha1:` and the base32 (RFC 4648) SHA-1 of `data`, the form WARC readers check. */
export function sha1Digest(...data: Buffer[]): string {
  const hash = createHash('sha1');
  for (const d of data) hash.update(d);
  return `sha1:${base32(hash.digest())}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  // A SHA-1 is 160 bits, exactly 32 characters: no padding is ever needed.
  return out;
}

/** What the HTTP fetcher sends with every GET (src/fetch/http/http-fetcher.ts). */
export interface RequestHeaders {
  userAgent: string;
  accept: string;
  acceptEncoding: string;
}

/**
 * The request line and headers as the fetcher sends them: undici adds `host` and
 * `connection: keep-alive`, Trawl `user-agent`, `accept`, `accept-encoding` (names in
 * lower case, as undici writes them).
 */
export function httpRequest(url: URL, headers: RequestHeaders): Buffer {
  const target = `${url.pathname}${url.search}` || '/';
  return Buffer.from(
    `GET ${target} HTTP/1.1\r\n` +
      `host: ${url.host}\r\n` +
      'connection: keep-alive\r\n' +
      `user-agent: ${oneLine(headers.userAgent)}\r\n` +
      `accept: ${headers.accept}\r\n` +
      `accept-encoding: ${headers.acceptEncoding}\r\n\r\n`,
    'latin1',
  );
}

/** Headers that described the bytes on the wire, not the decoded body Trawl keeps. */
const WIRE_HEADERS = new Set(['content-encoding', 'transfer-encoding', 'content-length']);

/**
 * The response's status line and headers for the stored (decoded) body: the stored
 * headers (a subset of what the server sent, see docs/exports.md) minus
 * Content-Encoding and Transfer-Encoding, with Content-Length set to the body's length,
 * so the message is consistent with the bytes that follow.
 */
export function httpResponseHead(
  status: number,
  headers: Readonly<Record<string, unknown>>,
  bodyLength: number,
): Buffer {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (WIRE_HEADERS.has(name.toLowerCase()) || value === undefined || value === null) continue;
    head += `${oneLine(name)}: ${oneLine(String(value))}\r\n`;
  }
  head += `content-length: ${bodyLength}\r\n\r\n`;
  // latin1, as HTTP/1.1 header bytes are: a stored header was decoded from those bytes.
  return Buffer.from(head, 'latin1');
}

/** A value safe on one header line: CR and LF (header injection) become spaces. */
function oneLine(s: string): string {
  return /[\r\n]/.test(s) ? s.replace(/[\r\n]+/g, ' ') : s;
}
