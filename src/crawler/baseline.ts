/**
 * The earlier job an incremental recrawl compares against (spec `baseline`): its record of
 * each URL, read from that job's page store. Lookups made at about the same time (the
 * page tasks of one loop) go to the store as one batch, so a PostgreSQL baseline costs a
 * round trip per batch, not per page.
 */
import type { Logger } from 'pino';
import type { PageRecord } from '../core/types.js';
import type { PageStore } from '../storage/page-store.js';

export interface Baseline {
  /**
   * The baseline's record of `url` (the canonical URL as requested), null when it has
   * none, undefined when the lookup failed (the page is then fetched as in a plain crawl
   * and gets no change label). Never throws.
   */
  get(url: string): Promise<PageRecord | null | undefined>;
}

/** URLs per store query (PageStore.getPages takes at most 1,000). */
const BATCH = 500;

interface Waiter {
  resolve(page: PageRecord | null | undefined): void;
}

/**
 * @param withBody also read each page's body (a job that stores bodies keeps the
 *   baseline's body on a 304).
 */
export function storeBaseline(store: PageStore, withBody: boolean, log: Logger): Baseline {
  let pending = new Map<string, Waiter[]>();
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    const urls = [...batch.keys()];
    for (let i = 0; i < urls.length; i += BATCH) {
      const chunk = urls.slice(i, i + BATCH);
      let found: Map<string, PageRecord> | null = null;
      try {
        const pages = await store.getPages(chunk, { withBody });
        found = new Map(pages.map((p) => [p.url, p]));
      } catch (err) {
        log.warn({ err, urls: chunk.length }, 'baseline lookup failed: pages fetched unlabelled');
      }
      for (const url of chunk) {
        const answer = found === null ? undefined : (found.get(url) ?? null);
        for (const w of batch.get(url)!) w.resolve(answer);
      }
    }
  };

  return {
    get(url) {
      return new Promise((resolve) => {
        const waiters = pending.get(url);
        if (waiters === undefined) pending.set(url, [{ resolve }]);
        else waiters.push({ resolve });
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
