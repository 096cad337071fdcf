/**
 * Number formatting shared by the harness's Markdown tables: whole counts with thousands
 * separators, fixed decimals, and a median with its range — "n/a" where a figure is
 * missing (a skipped system, a round that measured nothing).
 */
import type { Spread } from '../../lib/summarize.js';

/** A rounded count, `12,345`. */
export function count(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? 'n/a'
    : Math.round(x).toLocaleString('en-US');
}

/** A figure with `digits` decimals, `6.4`. */
export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
}

/** A median and its range over rounds as counts: `2,894 (2,371–3,187)`, or one figure. */
export function countSpread(s: Spread | null | undefined): string {
  return medianAndRange(s, count);
}

/** A median and its range over rounds with `digits` decimals: `8.2 (7.6–10.3)`. */
export function fixedSpread(s: Spread | null | undefined, digits: number): string {
  return medianAndRange(s, (x) => fixed(x, digits));
}

function medianAndRange(s: Spread | null | undefined, format: (x: number) => string): string {
  if (s === null || s === undefined) return 'n/a';
  const median = format(s.median);
  const min = format(s.min);
  const max = format(s.max);
  return min === max ? median : `${median} (${min}–${max})`;
}
