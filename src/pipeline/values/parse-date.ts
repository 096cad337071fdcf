/**
 * Date reading for `parse-date`, validate's `date` type and enrich's age groups. Accepts
 * ISO 8601 (date, date-time, with or without offset), epoch numbers (ms, or s below 1e11),
 * slash/dot/dash day-month-year forms (`dayFirst` decides 03/04/2024; a part above 12
 * decides by itself), English month names ("12 March 2024", "Mar 12, 2024") and RFC 2822
 * ("Tue, 12 Mar 2024 10:00:00 GMT"). Times without an offset are taken as UTC.
 */

/** A parsed date: `hasTime` false when only a calendar day was given. */
export interface ParsedDate {
  date: Date;
  hasTime: boolean;
}

const MONTHS = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
] as const;

function monthIndex(name: string): number | undefined {
  const i = MONTHS.indexOf(name.slice(0, 3).toLowerCase() as (typeof MONTHS)[number]);
  return i < 0 ? undefined : i;
}

function ymd(y: number, m: number, d: number): Date | undefined {
  if (m < 0 || m > 11 || d < 1 || d > 31) return undefined;
  const date = new Date(Date.UTC(y, m, d));
  // Rejects 31 February instead of rolling it over into March.
  return date.getUTCMonth() === m && date.getUTCDate() === d ? date : undefined;
}

function fullYear(y: number, digits: number): number {
  if (digits > 2) return y;
  return y < 70 ? 2000 + y : 1900 + y;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
const NUMERIC = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})$/;
const DAY_MONTH_NAME = /^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,})\.?,?\s+(\d{4})$/;
const MONTH_NAME_DAY = /^([A-Za-z]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/;

function parseIso(m: RegExpExecArray): ParsedDate | undefined {
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const day = ymd(Number(y), Number(mo) - 1, Number(d));
  if (day === undefined) return undefined;
  if (hh === undefined) return { date: day, hasTime: false };
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  let t = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(hh),
    Number(mi),
    Number(ss ?? 0),
    ms,
  );
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss ?? 0) > 60) return undefined;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return { date: new Date(t), hasTime: true };
}

/** Parses `value` as above, or returns undefined. */
export function parseDate(value: unknown, dayFirst = true): ParsedDate | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const date = new Date(Math.abs(value) < 1e11 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? undefined : { date, hasTime: true };
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const iso = ISO.exec(text);
  if (iso !== null) return parseIso(iso);
  const num = NUMERIC.exec(text);
  if (num !== null) {
    const [a, b, c] = [num[1]!, num[2]!, num[3]!];
    let date: Date | undefined;
    if (a.length === 4) date = ymd(Number(a), Number(b) - 1, Number(c));
    else {
      const [x, y] = [Number(a), Number(b)];
      const dayFirstHere = x > 12 ? true : y > 12 ? false : dayFirst;
      const [d, m] = dayFirstHere ? [x, y] : [y, x];
      date = ymd(fullYear(Number(c), c.length), m - 1, d);
    }
    return date === undefined ? undefined : { date, hasTime: false };
  }
  const dmn = DAY_MONTH_NAME.exec(text);
  const mnd = dmn === null ? MONTH_NAME_DAY.exec(text) : null;
  if (dmn !== null || mnd !== null) {
    const [day, month, year] =
      dmn !== null ? [dmn[1]!, dmn[2]!, dmn[3]!] : [mnd![2]!, mnd![1]!, mnd![3]!];
    const m = monthIndex(month);
    const date = m === undefined ? undefined : ymd(Number(year), m, Number(day));
    return date === undefined ? undefined : { date, hasTime: false };
  }
  // RFC 2822 and other forms with an explicit zone, which Date.parse reads the same way
  // everywhere; without a zone it would use the machine's local time, so we refuse those.
  if (
    /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}(:\d{2})? (GMT|UTC|[+-]\d{4})$/.test(text)
  ) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : { date: new Date(t), hasTime: true };
  }
  return undefined;
}

/** ISO 8601 text: `YYYY-MM-DD` for a calendar day, full UTC date-time otherwise. */
export function toIsoString(
  parsed: ParsedDate,
  output: 'auto' | 'date' | 'datetime' = 'auto',
): string {
  const full = parsed.date.toISOString();
  if (output === 'date' || (output === 'auto' && !parsed.hasTime)) return full.slice(0, 10);
  return full;
}
