/** XML 1.0 text, attribute and name encoding, shared by the XML and XLSX writers. */

/**
 * Characters XML 1.0 cannot carry at all, not even as references: C0 controls other
 * than tab, LF and CR, U+FFFE/U+FFFF and lone surrogates (the `u` flag makes a lone
 * surrogate one code point outside every allowed range).
 */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const NEEDS_ESCAPE = /[&<>"\r]/;

/** `s` with invalid characters removed and markup escaped (safe in text and in "…" attributes). */
export function xmlText(s: string): string {
  let out = s;
  // The common case (plain text) costs one test per pattern, not a copy.
  if (INVALID_XML.test(out)) out = out.replace(INVALID_XML, '');
  INVALID_XML.lastIndex = 0;
  if (!NEEDS_ESCAPE.test(out)) return out;
  return (
    out
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // A literal CR would be normalised to LF by every parser: keep it as a reference.
      .replace(/\r/g, '&#13;')
  );
}

const NAME_START = /^[\p{L}_]/u;
const NOT_NAME_CHAR = /[^\p{L}\p{N}_.-]/gu;

/**
 * An element name for a field name: characters outside XML's name set become `_`, a
 * name that would start with a digit, dot or hyphen, or with the reserved `xml`, gets a
 * leading `_`. Colons become `_` too (they would declare namespaces).
 */
export function xmlName(field: string): string {
  let name = field.replace(NOT_NAME_CHAR, '_');
  if (name === '' || !NAME_START.test(name) || /^xml/i.test(name)) name = `_${name}`;
  return name;
}
