/**
 * The page-store port: where crawl results land. Upserts by URL, so a page refetched
 * after a crash replaces its earlier row instead of adding a second one.
 */
import type { PageRecord } from '../core/types.js';

export interface PageStore {
  /** Upserts `pages` by url; resolves once they are durable. */
  putPages(pages: PageRecord[]): Promise<void>;
  countPages(): Promise<number>;
  /** Every stored page, in the order first stored. */
  scanPages(options?: { batchSize?: number; withBody?: boolean }): AsyncIterable<PageRecord>;
  close(): Promise<void>;
}
