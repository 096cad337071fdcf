/**
 * Escaping text for Markdown, kept minimal on purpose: Markdown is read by people and
 * LLMs more than rendered, so only what would change meaning is escaped (`snake_case`,
 * `int[]` and `a < b` stay as they are).
 */

const NEEDS_ESCAPE = /[\\`*_<[\]]/;
/** Text at the start of a block that would read as a heading, quote, list item or rule. */
const BLOCK_START = /^(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|=+\s*$|\d+(?=[.)](?:\s|$)))/;

/** Escapes inline text; `atBlockStart` also guards the block syntax at its start. */
export function escapeText(text: string, atBlockStart: boolean): string {
  let s = text;
  if (NEEDS_ESCAPE.test(s)) {
    s = s.replace(/[\\`*]/g, '\\$&');
    // Intraword underscores never emphasise in CommonMark.
    if (s.includes('_')) s = s.replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_');
    // Brackets matter only when they could form a link: `](` or `][`.
    if (s.includes('](') || s.includes('][')) s = s.replace(/[[\]]/g, '\\$&');
    if (s.includes('<')) s = s.replace(/<(?=[A-Za-z/!?])/g, '\\<');
  }
  if (atBlockStart) {
    const m = BLOCK_START.exec(s);
    if (m !== null) {
      const lead = m[1] as string;
      s = /^\d/.test(lead) ? `${lead}\\${s.slice(lead.length)}` : `\\${s}`;
    }
  }
  return s;
}

/** Wraps inline code in enough backticks that none inside ends it. */
export function codeSpan(code: string): string {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < code.length; i++) {
    if (code.charCodeAt(i) === 96) longest = Math.max(longest, ++run);
    else run = 0;
  }
  const fence = '`'.repeat(longest + 1);
  const pad = code.startsWith('`') || code.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${code}${pad}${fence}`;
}

/** A fence of at least three backticks, longer than any run of backticks in `code`. */
export function codeFence(code: string): string {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < code.length; i++) {
    if (code.charCodeAt(i) === 96) longest = Math.max(longest, ++run);
    else run = 0;
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

/** A URL safe inside `(...)`: parentheses and spaces percent-encoded. */
export function linkDestination(url: string): string {
  return /[\s()]/.test(url)
    ? url.replace(/\s/g, '%20').replace(/\(/g, '%28').replace(/\)/g, '%29')
    : url;
}

/** Splits `s` into leading whitespace, the rest, and trailing whitespace (linear). */
export function flank(s: string): [string, string, string] {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  if (i === s.length) return [s, '', ''];
  let j = s.length;
  while (j > i && isSpace(s.charCodeAt(j - 1))) j--;
  return [s.slice(0, i), s.slice(i, j), s.slice(j)];
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/**
 * Final clean-up of a rendered document: no trailing spaces, at most one blank line in
 * a row outside code fences (blank lines inside code are kept as written), trimmed.
 */
export function normalizeMarkdown(md: string): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  let blank = true; // drops leading blank lines
  for (const raw of lines) {
    const line = raw.trimEnd();
    const m = /^\s*(`{3,})/.exec(line);
    if (fence === null) {
      if (line === '') {
        if (!blank) out.push('');
        blank = true;
        continue;
      }
      if (m !== null) fence = m[1] as string;
    } else if (m !== null && (m[1] as string).length >= fence.length && line.trim() === m[1]) {
      fence = null;
    }
    out.push(line);
    blank = false;
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}
