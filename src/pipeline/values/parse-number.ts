/**
 * Locale-tolerant number reading for `to-number`: "1,234.5", "1.234,5", "1 234,5",
 * "1'234.50", "€12.50", "USD 1,200", "12 %". Currency signs, 3-letter currency codes and a
 * trailing % are dropped; anything else that is not part of the number makes it invalid
 * (we would rather report "abc" than guess).
 */

/** Which character separates the decimals; `auto` guesses from the text. */
export type DecimalSeparator = 'auto' | '.' | ',';

const GROUPING = /[\s\u00A0\u202F'’_]/g;
const DECORATION = /^(?:\p{Sc}|[A-Z]{3}(?=[\s\d]))\s*|\s*(?:\p{Sc}|%|[A-Z]{3})$/u;

function normaliseSeparators(body: string, decimal: DecimalSeparator): string | undefined {
  const commas = body.split(',').length - 1;
  const dots = body.split('.').length - 1;
  let dec: '.' | ',' | null;
  if (decimal !== 'auto') dec = decimal;
  else if (commas > 0 && dots > 0) dec = body.lastIndexOf(',') > body.lastIndexOf('.') ? ',' : '.';
  else if (commas === 1) dec = /,\d{3}$/.test(body) && !/^0,/.test(body) ? null : ',';
  else if (dots === 1) dec = '.';
  else dec = null; // several of the same separator: they group thousands
  const group = dec === ',' ? '.' : dec === '.' ? ',' : commas > 0 ? ',' : '.';
  if (dec !== null && body.split(dec).length > 2) return undefined;
  // A grouping separator must be followed by exactly three digits ("1,23,4" is not a number).
  const [intPart, fracPart] = dec === null ? [body, undefined] : body.split(dec);
  const groups = intPart!.split(group);
  if (groups.length > 1 && groups.slice(1).some((g) => !/^\d{3}$/.test(g))) {
    if (!(group === ',' && groups.slice(1).every((g) => /^\d{2,3}$/.test(g)))) return undefined; // allow Indian 1,23,456
  }
  if (fracPart !== undefined && fracPart.includes(group)) return undefined;
  return groups.join('') + (fracPart === undefined ? '' : `.${fracPart}`);
}

/** The number `value` spells, or undefined. Numbers pass through; booleans do not count. */
export function parseNumber(
  value: unknown,
  decimal: DecimalSeparator = 'auto',
): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  let text = value.trim();
  for (let i = 0; i < 2; i++) text = text.replace(DECORATION, '').trim();
  let sign = '';
  if (/^[-+−]/.test(text)) {
    sign = text[0] === '+' ? '' : '-';
    text = text.slice(1).trim();
  }
  text = text.replace(GROUPING, (m, offset: number, whole: string) =>
    // Spaces and apostrophes only group digits: "1 234" yes, "12 abc" no.
    /\d/.test(whole[offset - 1] ?? '') && /\d/.test(whole[offset + m.length] ?? '') ? '' : m,
  );
  if (!/^(?:\d[\d.,]*|[.,]\d+)(?:e[-+]?\d+)?$/i.test(text)) return undefined;
  const [mantissa, exponent] = text.toLowerCase().split('e') as [string, string | undefined];
  const body = normaliseSeparators(mantissa, decimal);
  if (body === undefined || body === '' || body === '.') return undefined;
  const n = Number(`${sign}${body}${exponent === undefined ? '' : `e${exponent}`}`);
  return Number.isFinite(n) ? n : undefined;
}

/** Rounds half away from zero at `digits` decimals without binary surprises (1.005 -> 1.01). */
export function roundTo(n: number, digits: number): number {
  const sign = n < 0 ? -1 : 1;
  const shifted = Math.round(Number(`${Math.abs(n)}e${digits}`));
  return sign * Number(`${shifted}e${-digits}`);
}
