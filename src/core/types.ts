/**
 * Domain types shared by every layer. Plain data only: these cross worker-thread and
 * (later) process boundaries, so no classes, no functions, no Dates (epoch ms instead).
 */
import type { ErrorCode } from './errors.js';

/** A link found on a page, already canonical and in scope, to be added to the frontier. */
export interface DiscoveredLink {
  url: string;
  host: string;
  depth: number;
  priority: number;
}

/** What the fetcher hands back for a response (any status). */
export interface FetchResponse {
  /** The canonical URL that was requested. */
  url: string;
  /** The URL of the last hop, after redirects. */
  finalUrl: string;
  status: number;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Decoded (gunzipped etc.) body, at most maxBodyBytes. */
  body: Buffer;
  /** Every URL redirected to, in order (empty when there was no redirect). */
  redirects: string[];
  /** Epoch ms when the first request of the chain was sent. */
  startedAt: number;
  /** Time to the final response's headers, ms. */
  ttfbMs: number;
  /** Whole fetch including body, ms. */
  durationMs: number;
  /** Bytes received on the wire (before decoding) for the final response. */
  wireBytes: number;
  /** The engine that fetched it; absent: the HTTP engine. */
  engine?: 'http' | 'browser';
  /** Each Set-Cookie header of the final response, whole (`headers` joins them); absent: none. */
  setCookie?: string[];
  /**
   * What the browser engine stored of the page beside its document (screenshot, pdf,
   * errorScreenshot): each artifact's location (file://, s3:// or a data: URL). Absent: none.
   */
  artifacts?: PageArtifacts;
}

/** Locations of a page's stored artifacts, by kind. */
export type PageArtifacts = Partial<Record<'screenshot' | 'pdf' | 'errorScreenshot', string>>;

/** What a page parser extracts from an HTML document. */
export interface ParsedPage {
  title: string | null;
  /** Out-links: absolute, canonical, deduplicated, filtered by the link filter. */
  links: string[];
  /** `<link rel=canonical>` resolved to an absolute canonical URL, if any. */
  canonicalUrl: string | null;
  /** The charset the body was decoded with (lower-case WHATWG label, e.g. "utf-8", "gbk"). */
  charset: string;
  /** From `<meta name=robots>`. */
  noindex: boolean;
  nofollow: boolean;
  /** Hex SHA-1 of the response body bytes (as received, after content decoding). */
  contentHash: string;
  /** Number of `<a href>` seen before filtering (for stats). */
  rawLinkCount: number;
  /**
   * What the job's extraction found (markdown, text, metadata, structured, links, data,
   * extraction stats: see src/extract/extract-fields.ts); absent when the job asks for none.
   */
  fields?: Record<string, unknown>;
}

/**
 * What an incremental recrawl found for a page against its baseline job (PageRecord
 * `fields.change`): new (the baseline had no successful fetch of it), changed (other
 * content), unchanged (a 304 answer to the conditional request, or the same content hash)
 * or gone (404/410 where the baseline fetched it).
 */
export const PAGE_CHANGES = ['new', 'changed', 'unchanged', 'gone'] as const;
export type PageChange = (typeof PAGE_CHANGES)[number];

/** One stored page: the record a crawl's output is made of. */
export interface PageRecord {
  /** The canonical URL that was requested. */
  url: string;
  finalUrl: string | null;
  status: number | null;
  title: string | null;
  depth: number;
  contentType: string | null;
  /** Epoch ms. */
  fetchedAt: number;
  error: ErrorCode | null;
  /** Human-readable detail of the error. */
  errorMessage: string | null;
  attempts: number;
  etag: string | null;
  lastModified: string | null;
  contentHash: string | null;
  contentLength: number | null;
  charset: string | null;
  canonicalUrl: string | null;
  /** Number of `<a href>` / `<area href>` links on the page, before any filtering. */
  linkCount: number;
  durationMs: number | null;
  /** Response headers of interest for recrawls and audits. */
  headers: Record<string, string>;
  /** The decoded body, only when the crawl stores bodies. */
  body: Buffer | null;
  /**
   * Fields the job's extraction and pipeline added (markdown, metadata, quality,
   * duplicateOf, a pipeline's own fields…), exported next to the fields above, which they
   * override when a handler changed one (e.g. a cleaned title). Plain JSON. Absent or null
   * when the job has neither extraction nor pipeline.
   */
  fields?: Record<string, unknown> | null;
}
