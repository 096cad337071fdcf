/**
 * The page store, read side: where a crawl's results are read back (exports, the API).
 *
 * The write side is not on this port: a page is written in the same atomic step as the
 * frontier commit that finishes its lease (the SQLite frontier upserts it in the commit's
 * transaction; the Redis frontier appends it to the job's results stream in the commit
 * script, and result writers move it into PostgreSQL through a PageSink). Pages are
 * upserted by (job, url), so a page refetched after a crash replaces its earlier row.
 */
import { PAGE_CHANGES, type PageChange, type PageRecord } from '../core/types.js';

export interface ScanOptions {
  /** Rows fetched per round trip. @default 1000 */
  batchSize?: number;
  /** Include each page's body (when the crawl stored bodies). @default false */
  withBody?: boolean;
}

/** Filters and position of one page of a job's results (the API's result listing). */
export interface PageQuery {
  /** Only pages stored after this position (a previous result's `last`); omitted: from the start. */
  after?: string;
  /** Most pages returned. */
  limit: number;
  /** ok: fetched without error (any HTTP status); error: failed for good (`error` set). */
  outcome?: 'ok' | 'error';
  /** Only pages that failed with this error code. */
  errorCode?: string;
  /** Only pages answered with this HTTP status (of the last response: a redirect's target's). */
  status?: number;
  /** Only pages whose URL starts with this. */
  urlPrefix?: string;
  /** Only pages fetched at or after this time, epoch ms. */
  changedSince?: number;
  /** Only pages an incremental recrawl labelled so (`fields.change`). */
  change?: PageChange;
  /** Include each page's body (when the crawl stored bodies). @default false */
  withBody?: boolean;
}

export interface PageQueryResult {
  /** In first-stored order. */
  pages: PageRecord[];
  /** The position of the last page returned (pass as `after`), or null when none was. */
  last: string | null;
}

export interface PageStore {
  /** Pages stored for the job. */
  countPages(): Promise<number>;
  /**
   * One page of the job's stored pages, filtered, in first-stored order (keyset on the
   * store's row id: a refetched page keeps its place, so a listing never repeats or skips
   * a page because it was updated meanwhile).
   */
  queryPages(query: PageQuery): Promise<PageQueryResult>;
  /** Failed pages per error code, most frequent first. */
  countErrors(): Promise<{ code: string; count: number }[]>;
  /** Pages per `fields.change` label (an incremental recrawl's); every label present, 0 when none. */
  countChanges(): Promise<Record<PageChange, number>>;
  /**
   * The stored pages among `urls` (canonical URLs as requested), in no particular order;
   * URLs the job has no page for are left out. At most 1,000 URLs per call.
   */
  getPages(urls: readonly string[], options?: { withBody?: boolean }): Promise<PageRecord[]>;
  /** Every stored page of the job, in the order first stored, read in batches. */
  scanPages(options?: ScanOptions): AsyncIterable<PageRecord>;
  /**
   * The URL and depth of every stored page, in the order first stored, read in batches of
   * `batchSize` (default 1000): what requeueing a job's pages needs, without reading their
   * bodies, headers or extracted fields.
   */
  scanUrls(batchSize?: number): AsyncIterable<{ url: string; depth: number }>;
  close(): Promise<void>;
}

/** Change counts of a job with none (every label at 0). */
export function noChanges(): Record<PageChange, number> {
  return Object.fromEntries(PAGE_CHANGES.map((c) => [c, 0])) as Record<PageChange, number>;
}

/** The batch write path of a backend that is fed from a queue (PostgreSQL). */
export interface PageSink {
  /**
   * Upserts `pages` of job `jobId` in one transaction: a row per (job, url), the newest
   * fetch (by fetchedAt) wins; the same url twice in one batch keeps the newest. Resolves
   * once committed; rejects without having written anything.
   */
  writeBatch(jobId: string, pages: PageRecord[]): Promise<void>;
  close(): Promise<void>;
}
