/**
 * Reads a crawler's JSON-lines output and checks it against the synthetic site: how many
 * pages arrived with status 200, whether any arrived twice, and whether titles were
 * decoded right (the site's titles carry &amp;, &#8212;, &eacute; and &quot;).
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SiteModel } from '../site/site-model.js';

export interface CrawlOutputCheck {
  /** Non-empty lines in the file. */
  lines: number;
  /** Lines with `"status": 200`. */
  ok200: number;
  /** Distinct site pages among the 200 lines. */
  distinctPages: number;
  /** 200 lines naming a URL that is not a page of the site (e.g. a mis-resolved link). */
  foreign: number;
  /** 200 lines whose `title` differs from the site's decoded title. */
  titleMismatches: number;
  /** Up to 3 examples, for the warning. */
  mismatchExamples: { url: string; got: unknown; want: string }[];
  /** Lines that are not JSON objects. */
  unparsable: number;
}

/** Null when the file does not exist (a crawler that writes elsewhere). */
export async function readCrawlOutput(
  file: string,
  model: SiteModel,
): Promise<CrawlOutputCheck | null> {
  if (!existsSync(file)) return null;
  const seen = new Uint8Array(model.pages);
  const check: CrawlOutputCheck = {
    lines: 0,
    ok200: 0,
    distinctPages: 0,
    foreign: 0,
    titleMismatches: 0,
    mismatchExamples: [],
    unparsable: 0,
  };
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    check.lines++;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      check.unparsable++;
      continue;
    }
    if (typeof record !== 'object' || record === null) {
      check.unparsable++;
      continue;
    }
    const { url, status, title } = record as { url?: unknown; status?: unknown; title?: unknown };
    if (status !== 200) continue;
    check.ok200++;
    const page = typeof url === 'string' ? pageOf(url, model) : null;
    if (page === null) {
      check.foreign++;
      continue;
    }
    if (seen[page] === 0) {
      seen[page] = 1;
      check.distinctPages++;
    }
    const want = model.titleOf(page);
    if (title !== want) {
      check.titleMismatches++;
      if (check.mismatchExamples.length < 3) {
        check.mismatchExamples.push({ url: String(url), got: title, want });
      }
    }
  }
  return check;
}

function pageOf(url: string, model: SiteModel): number | null {
  try {
    return model.pageAt(new URL(url).pathname);
  } catch {
    return null;
  }
}
