/**
 * Making strings acceptable to PostgreSQL. Its text and jsonb types cannot hold U+0000
 * (text is NUL-terminated inside the server; jsonb refuses the `\u0000` escape), and jsonb
 * refuses the `\udXXX` escape of a lone surrogate, which is what JSON.stringify writes for
 * one. A page with either (a hostile title, a header value) must not fail its whole batch,
 * so both become U+FFFD, the replacement character, as a UTF-8 decoder would write them.
 */

/** A cheap first look: most strings have neither NUL nor any surrogate. */
// eslint-disable-next-line no-control-regex -- finding U+0000 is the point
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
/** NUL, a high surrogate not followed by a low one, a low surrogate not after a high one. */
// eslint-disable-next-line no-control-regex -- finding U+0000 is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `s` with NUL characters and lone surrogates replaced by U+FFFD. */
export function storableText(s: string): string {
  return SUSPECT.test(s) ? s.replace(UNSTORABLE, '\uFFFD') : s;
}

/** storableText, passing null through. */
export function storableTextOrNull(s: string | null): string | null {
  return s === null ? null : storableText(s);
}

/** `headers` with storable names and values; the same object when nothing needed changing. */
export function storableHeaders(headers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(headers);
  if (!entries.some(([name, value]) => SUSPECT.test(name) || SUSPECT.test(value))) return headers;
  // fromEntries defines own properties, so even a header named __proto__ stays a header.
  return Object.fromEntries(entries.map(([n, v]) => [storableText(n), storableText(v)]));
}

/**
 * `value` (plain JSON) with every string and key made storable; the same object when
 * nothing needed changing. One JSON.stringify is the cheap first look.
 */
export function storableJson<T>(value: T): T {
  return SUSPECT_JSON.test(JSON.stringify(value)) ? (deepStorable(value) as T) : value;
}

/** `value` (plain JSON) as JSON text with every string and key made storable (storableJson). */
export function storableJsonText(value: unknown): string {
  const text = JSON.stringify(value);
  return SUSPECT_JSON.test(text) ? JSON.stringify(deepStorable(value)) : text;
}

/** What JSON.stringify writes for U+0000 and for a lone surrogate. */
const SUSPECT_JSON = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function deepStorable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(deepStorable);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [storableText(k), deepStorable(v)]),
    );
  }
  return value;
}
