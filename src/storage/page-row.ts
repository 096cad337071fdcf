/**
 * A stored page as a row, the columns every SQL page store shares (snake_case names, the
 * same in SQLite's `pages` and PostgreSQL's `crawled_data`), and the one mapping back to
 * a PageRecord. Each backend converts what is its own (headers as JSON text or jsonb, the
 * body column's name) before calling pageFromRow.
 */
import type { ErrorCode } from '../core/errors.js';
import type { PageRecord } from '../core/types.js';

export interface PageRow {
  url: string;
  final_url: string | null;
  status: number | null;
  title: string | null;
  depth: number;
  content_type: string | null;
  /** Epoch ms. */
  fetched_at: number;
  error: string | null;
  error_message: string | null;
  attempts: number;
  etag: string | null;
  last_modified: string | null;
  content_hash: string | null;
  content_length: number | null;
  charset: string | null;
  canonical_url: string | null;
  link_count: number;
  duration_ms: number | null;
}

export function pageFromRow(
  r: PageRow,
  headers: Record<string, string>,
  body: Buffer | null,
  fields: Record<string, unknown> | null = null,
): PageRecord {
  const page: PageRecord = {
    url: r.url,
    finalUrl: r.final_url,
    status: r.status,
    title: r.title,
    depth: r.depth,
    contentType: r.content_type,
    fetchedAt: r.fetched_at,
    error: r.error as ErrorCode | null,
    errorMessage: r.error_message,
    attempts: r.attempts,
    etag: r.etag,
    lastModified: r.last_modified,
    contentHash: r.content_hash,
    contentLength: r.content_length,
    charset: r.charset,
    canonicalUrl: r.canonical_url,
    linkCount: r.link_count,
    durationMs: r.duration_ms,
    headers,
    body,
  };
  // Absent rather than null when there are none, as the crawler makes such records.
  if (fields !== null) page.fields = fields;
  return page;
}
