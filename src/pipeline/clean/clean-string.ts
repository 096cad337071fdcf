/**
 * The S2 cleaner's steps over one string: HTML left in text (tags removed, entities
 * decoded, script/style bodies dropped, block tags become line breaks), invisible and
 * control characters, Unicode normalisation, boilerplate lines, whitespace.
 */
import { Parser } from 'htmlparser2';

/**
 * Lines that are site furniture, not content. Matched against a whole line (trimmed,
 * case-insensitive) and only for lines up to 200 characters, so a paragraph that happens
 * to mention cookies is kept.
 */
export const BOILERPLATE_PATTERNS: readonly RegExp[] = [
  /^(?:accept|allow|reject|decline)(?: all)? cookies?\b.*$/i,
  /^(?:we|this (?:site|website)) uses? cookies\b.*$/i,
  /^cookie (?:policy|settings|preferences|consent)\b.*$/i,
  /^(?:manage|customi[sz]e) (?:cookies|cookie settings|preferences)$/i,
  /^(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?.*$/i,
  /^.{0,80}\ball rights reserved\.?$/i,
  /^(?:share|share this(?: (?:page|article|post|story))?|share on|share via)(?:\s*(?::|on|via))?(?:\s*(?:facebook|twitter|x|linkedin|email|e-mail|whatsapp|pinterest|reddit|telegram)[\s,|/·•]*)*$/i,
  /^(?:(?:facebook|twitter|x|linkedin|email|e-mail|whatsapp|pinterest|reddit|telegram)[\s,|/·•]*){2,}$/i,
  /^(?:tweet|pin it|like us on facebook)$/i,
  /^follow us(?: on .{0,60})?$/i,
  /^(?:subscribe to|sign up for|join) our newsletter.*$/i,
  /^skip to (?:main )?(?:content|navigation)$/i,
  /^(?:back to top|scroll to top|print this page|print|advertisement|sponsored)$/i,
  /^(?:privacy policy|terms (?:of (?:use|service)|and conditions)|imprint|impressum)(?:\s*[|·•]\s*(?:privacy policy|terms (?:of (?:use|service)|and conditions)|imprint|impressum|cookie policy|contact(?: us)?|sitemap))*$/i,
];

/** Which steps run. */
export interface CleanSteps {
  html: boolean;
  invisible: boolean;
  unicode: 'NFC' | 'NFKC' | false;
  boilerplate: boolean;
  extraBoilerplate: readonly RegExp[];
  /** Keep line breaks (collapse spaces within lines, at most one blank line). */
  preserveNewlines: boolean;
}

const LOOKS_LIKE_HTML =
  /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>|<!--|&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});/i;
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'br',
  'li',
  'ul',
  'ol',
  'tr',
  'table',
  'section',
  'article',
  'header',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'hr',
  'dt',
  'dd',
]);
const SKIP_TAGS = new Set(['script', 'style', 'noscript', 'template']);

/** Text of an HTML fragment: tags removed, entities decoded, blocks on their own lines. */
export function htmlToText(html: string): string {
  let out = '';
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIP_TAGS.has(name)) skipping++;
        else if (BLOCK_TAGS.has(name)) out += '\n';
      },
      onclosetag(name) {
        if (SKIP_TAGS.has(name)) skipping = Math.max(0, skipping - 1);
        else if (BLOCK_TAGS.has(name)) out += '\n';
      },
      ontext(text) {
        if (skipping === 0) out += text;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out;
}

// Zero-width and format characters, bidi controls, soft hyphen, BOM, and C0/C1 controls
// other than tab and line feed (carriage returns become line feeds first). Variation
// selectors stay: they pick emoji presentation.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u00AD\u061C\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const ODD_SPACES = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;

function isBoilerplate(line: string, steps: CleanSteps): boolean {
  if (line.length === 0 || line.length > 200) return false;
  return (
    BOILERPLATE_PATTERNS.some((re) => re.test(line)) ||
    steps.extraBoilerplate.some((re) => re.test(line))
  );
}

/** Cleans one string; `removedLines` counts boilerplate lines dropped. */
export function cleanString(
  input: string,
  steps: CleanSteps,
): { text: string; removedLines: number } {
  let s = input.replace(/\r\n?/g, '\n');
  if (steps.html && LOOKS_LIKE_HTML.test(s)) s = htmlToText(s);
  if (steps.invisible) s = s.replace(INVISIBLE, '');
  if (steps.unicode !== false) s = s.normalize(steps.unicode);
  s = s.replace(ODD_SPACES, ' ');
  let removedLines = 0;
  let lines = s.split('\n').map((l) => l.replace(/[ \t\f\v]+/g, ' ').trim());
  if (steps.boilerplate) {
    lines = lines.filter((l) => {
      const drop = isBoilerplate(l, steps);
      if (drop) removedLines++;
      return !drop;
    });
  }
  const text = steps.preserveNewlines
    ? lines
        .join('\n')
        .replace(/\n{3,}/g, '\n\n')
        .trim()
    : lines.filter(Boolean).join(' ').trim();
  return { text, removedLines };
}
