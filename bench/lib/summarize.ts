/** Median and range of a benchmark figure over rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Spread of the finite values, or null when there are none. */
export function summarize(values: (number | null)[]): Spread | null {
  const xs = values
    .filter((v): v is number => v !== null && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  const median =
    xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
  return { median, min: xs[0] as number, max: xs[xs.length - 1] as number };
}
