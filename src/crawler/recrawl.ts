/**
 * Incremental recrawl decisions (spec `baseline`): which conditional headers a request
 * carries, and what a record's `fields.change` says against the baseline's record.
 */
import type { PageChange, PageRecord } from '../core/types.js';

/** Whether the baseline fetched the page (a 2xx, or a 304 that kept an earlier fetch). */
export function baselineHad(prev: PageRecord | null | undefined): prev is PageRecord {
  return (
    prev !== null &&
    prev !== undefined &&
    prev.error === null &&
    prev.status !== null &&
    ((prev.status >= 200 && prev.status < 300) || prev.status === 304)
  );
}

/**
 * If-None-Match / If-Modified-Since from the baseline's validators, when the request goes
 * to the URL whose response they came from (the baseline's final hop: a redirected page's
 * validators belong to its target); undefined when there is nothing to send.
 */
export function conditionalHeaders(
  prev: PageRecord | null | undefined,
  fetchUrl: string,
): Record<string, string> | undefined {
  if (!baselineHad(prev) || (prev.finalUrl ?? prev.url) !== fetchUrl) return undefined;
  const headers: Record<string, string> = {};
  if (prev.etag !== null) headers['if-none-match'] = prev.etag;
  if (prev.lastModified !== null) headers['if-modified-since'] = prev.lastModified;
  return Object.keys(headers).length === 0 ? undefined : headers;
}

/**
 * The change a finished record shows against the baseline's record of its URL; null
 * when there is nothing to say (a fetch that failed: it tells neither way).
 */
export function changeOf(record: PageRecord, prev: PageRecord | null): PageChange | null {
  const had = baselineHad(prev);
  if (record.error === null) {
    if (!had) return 'new';
    if (record.status === 304) return 'unchanged';
    return record.contentHash !== null && record.contentHash === prev.contentHash
      ? 'unchanged'
      : 'changed';
  }
  if (had && (record.status === 404 || record.status === 410)) return 'gone';
  return null;
}

/** The record with its change label in `fields` (other fields kept). */
export function withChange(record: PageRecord, change: PageChange | null): PageRecord {
  if (change === null) return record;
  return { ...record, fields: { ...(record.fields ?? {}), change } };
}
