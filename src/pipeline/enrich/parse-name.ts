/**
 * Splits a person's full name into parts. Western order ("Given Middle Family"), or
 * "Family, Given Middle" when a comma follows the first part. Honorifics (Dr, Mrs, …) and
 * suffixes (Jr, III, PhD, …) are split off; family-name particles (van, de, von, al, …)
 * stay with the family name. Names in other orders (e.g. Chinese, Hungarian family-first)
 * are not detected: the first word is reported as `first`.
 */

/** The parts found; absent parts are null. */
export interface NameParts {
  prefix: string | null;
  first: string | null;
  middle: string | null;
  last: string | null;
  suffix: string | null;
}

const PREFIXES = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'prof',
  'sir',
  'dame',
  'rev',
  'fr',
  'hon',
  'lord',
  'lady',
]);
const SUFFIXES = new Set([
  'jr',
  'sr',
  'ii',
  'iii',
  'iv',
  'v',
  'phd',
  'md',
  'esq',
  'mba',
  'dds',
  'jd',
  'obe',
  'mbe',
  'cbe',
]);
const PARTICLES = new Set([
  'van',
  'von',
  'de',
  'der',
  'den',
  'del',
  'della',
  'di',
  'da',
  'du',
  'dos',
  'das',
  'le',
  'la',
  'st',
  'bin',
  'binti',
  'ibn',
  'al',
  'el',
  'ter',
  'ten',
  'zu',
  'y',
]);

const bare = (w: string): string => w.toLowerCase().replace(/\./g, '');

/** Parses `full`; every part null for an empty string. */
export function parseName(full: string): NameParts {
  const parts: NameParts = { prefix: null, first: null, middle: null, last: null, suffix: null };
  let text = full.replace(/\s+/g, ' ').trim();
  if (text === '') return parts;
  let words: string[];
  const comma = text.indexOf(',');
  // "Smith, John A." but not "John Smith, Jr."
  if (
    comma > 0 &&
    !SUFFIXES.has(
      bare(
        text
          .slice(comma + 1)
          .trim()
          .split(' ')[0] ?? '',
      ),
    )
  ) {
    const family = text.slice(0, comma).trim();
    text = `${text.slice(comma + 1).trim()} ${family}`.trim();
    const familyWords = family.split(' ').length;
    words = text.split(' ');
    return finish(words, parts, familyWords);
  }
  words = text.replace(/,/g, ' ').replace(/\s+/g, ' ').split(' ');
  return finish(words, parts, undefined);
}

function finish(words: string[], parts: NameParts, familyWords: number | undefined): NameParts {
  const prefixes: string[] = [];
  while (words.length > 1 && PREFIXES.has(bare(words[0]!))) prefixes.push(words.shift()!);
  const suffixes: string[] = [];
  while (words.length > 1 && SUFFIXES.has(bare(words[words.length - 1]!)))
    suffixes.unshift(words.pop()!);
  if (prefixes.length > 0) parts.prefix = prefixes.join(' ');
  if (suffixes.length > 0) parts.suffix = suffixes.join(' ');
  if (words.length === 1) {
    parts.first = words[0]!;
    return parts;
  }
  let lastStart = words.length - 1;
  if (familyWords !== undefined) lastStart = Math.max(1, words.length - familyWords);
  else while (lastStart > 1 && PARTICLES.has(words[lastStart - 1]!.toLowerCase())) lastStart--;
  parts.first = words[0]!;
  parts.last = words.slice(lastStart).join(' ');
  const middle = words.slice(1, lastStart);
  if (middle.length > 0) parts.middle = middle.join(' ');
  return parts;
}
