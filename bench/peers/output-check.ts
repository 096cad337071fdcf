/**
 * Checks a crawler's JSON-lines output (one `{url, status, title}` object per line) for
 * sites that bench/lib/read-crawl-output.ts does not model: the real site (pages known from
 * a reference crawl) and the many-host politeness site.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { OutputCounts } from './site-under-test.js';

export interface PageIndex {
  /** The page a URL names (one key per page, however spelled), or null if it is none. */
  keyOf(url: string): string | null;
  /** Whether a URL that is no page is a known non-HTML resource of the site. */
  isResource?(url: string): boolean;
  /** The page's expected title, when the site knows it. */
  titleOf?(key: string): string | null;
}

export async function checkOutputFile(
  file: string,
  index: PageIndex,
  titles: boolean,
): Promise<OutputCounts | null> {
  if (!existsSync(file)) return null;
  const counts: OutputCounts = {
    lines: 0,
    ok200: 0,
    distinctPages: 0,
    foreign: 0,
    resources: 0,
    titleMismatches: titles && index.titleOf ? 0 : null,
    mismatchExample: null,
    withTitle: titles ? 0 : null,
    unparsable: 0,
  };
  const seen = new Set<string>();
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    counts.lines++;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      counts.unparsable++;
      continue;
    }
    if (typeof record !== 'object' || record === null) {
      counts.unparsable++;
      continue;
    }
    const { url, status, title } = record as { url?: unknown; status?: unknown; title?: unknown };
    if (status !== 200) continue;
    counts.ok200++;
    const key = typeof url === 'string' ? index.keyOf(url) : null;
    if (key === null) {
      if (typeof url === 'string' && index.isResource?.(url)) counts.resources++;
      else counts.foreign++;
      continue;
    }
    if (!seen.has(key)) {
      seen.add(key);
      counts.distinctPages++;
    }
    if (counts.withTitle !== null && typeof title === 'string' && title !== '') {
      counts.withTitle++;
    }
    const want = counts.titleMismatches !== null ? index.titleOf?.(key) : null;
    if (want !== null && want !== undefined && title !== want) {
      counts.titleMismatches = (counts.titleMismatches ?? 0) + 1;
      counts.mismatchExample ??= { url: String(url), got: title, want };
    }
  }
  return counts;
}

/**
 * The key of a same-site URL for the real site: path (percent-decoded, so `%7E` and `~`
 * agree) plus query; fragment dropped. Null for an unparsable URL.
 */
export function pathKey(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  let path = u.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep it encoded
  }
  return path + u.search;
}
