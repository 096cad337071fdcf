/** Builds the stored PageRecord from what happened to one request. */
import { createHash } from 'node:crypto';
import type { ErrorCode } from '../core/errors.js';
import type { FetchResponse, PageArtifacts, PageRecord, ParsedPage } from '../core/types.js';

/** What a record is about: the URL a lease is for (a Lease has these fields). */
export interface RecordSubject {
  url: string;
  depth: number;
  /** Attempts made before this one. */
  attempts: number;
}

/** Response headers kept with each page: what recrawls, audits and exports need. */
const KEPT_HEADERS = [
  'content-type',
  'content-length',
  'content-language',
  'etag',
  'last-modified',
  'cache-control',
  'expires',
  'x-robots-tag',
  'location',
  'retry-after',
  'server',
];

export function keptHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function successRecord(
  req: RecordSubject,
  res: FetchResponse,
  parsed: ParsedPage | null,
  error: { code: ErrorCode; message: string } | null,
  storeBody: boolean,
): PageRecord {
  return {
    url: req.url,
    finalUrl: res.finalUrl,
    status: res.status,
    title: parsed?.title ?? null,
    depth: req.depth,
    contentType: res.headers['content-type'] ?? null,
    fetchedAt: res.startedAt,
    error: error?.code ?? null,
    errorMessage: error?.message ?? null,
    attempts: req.attempts + 1,
    etag: res.headers['etag'] ?? null,
    lastModified: res.headers['last-modified'] ?? null,
    contentHash: parsed?.contentHash ?? createHash('sha1').update(res.body).digest('hex'),
    contentLength: res.body.length,
    charset: parsed?.charset ?? null,
    canonicalUrl: parsed?.canonicalUrl ?? null,
    linkCount: parsed?.rawLinkCount ?? 0,
    durationMs: res.durationMs,
    headers: keptHeaders(res.headers),
    body: storeBody ? res.body : null,
    ...fieldsOf(res, parsed),
  };
}

/**
 * The record's fields: the parser's, the engine when the fetcher named it, and the
 * locations of the artifacts it stored (screenshot, pdf, errorScreenshot).
 */
function fieldsOf(res: FetchResponse, parsed: ParsedPage | null): Pick<PageRecord, 'fields'> {
  if (res.engine === undefined && res.artifacts === undefined) {
    return parsed?.fields === undefined ? {} : { fields: parsed.fields };
  }
  return {
    fields: {
      ...parsed?.fields,
      ...(res.engine === undefined ? {} : { engine: res.engine }),
      ...res.artifacts,
    },
  };
}

/**
 * A 304 answer to a recrawl's conditional request: the page as the baseline stored it
 * (title, hash, extracted fields, body when kept), with this fetch's time, status and the
 * validators the 304 sent (a server may send a new ETag with it).
 */
export function notModifiedRecord(
  req: RecordSubject,
  res: FetchResponse,
  prev: PageRecord,
  storeBody: boolean,
): PageRecord {
  const headers = { ...prev.headers, ...keptHeaders(res.headers) };
  const fields = prev.fields === null || prev.fields === undefined ? null : { ...prev.fields };
  if (fields !== null) delete fields.change;
  return {
    ...prev,
    url: req.url,
    finalUrl: res.finalUrl,
    status: res.status,
    depth: req.depth,
    fetchedAt: res.startedAt,
    error: null,
    errorMessage: null,
    attempts: req.attempts + 1,
    etag: res.headers['etag'] ?? prev.etag,
    lastModified: res.headers['last-modified'] ?? prev.lastModified,
    durationMs: res.durationMs,
    headers,
    body: storeBody ? prev.body : null,
    ...(fields === null ? {} : { fields }),
  };
}

export function failureRecord(
  req: RecordSubject,
  at: number,
  code: ErrorCode,
  message: string,
  details: {
    status?: number | undefined;
    finalUrl?: string | undefined;
    artifacts?: PageArtifacts | undefined;
  } = {},
): PageRecord {
  return {
    url: req.url,
    finalUrl: details.finalUrl ?? null,
    status: details.status ?? null,
    title: null,
    depth: req.depth,
    contentType: null,
    fetchedAt: at,
    error: code,
    errorMessage: message,
    attempts: req.attempts + 1,
    etag: null,
    lastModified: null,
    contentHash: null,
    contentLength: null,
    charset: null,
    canonicalUrl: null,
    linkCount: 0,
    durationMs: null,
    headers: {},
    body: null,
    ...(details.artifacts === undefined ? {} : { fields: { ...details.artifacts } }),
  };
}

/** Whether a response should go to the HTML parser. */
export function isHtml(res: FetchResponse): boolean {
  const type = res.headers['content-type'];
  if (type !== undefined) {
    const t = type.toLowerCase();
    return t.startsWith('text/html') || t.startsWith('application/xhtml+xml');
  }
  // No Content-Type: sniff like browsers do for the obvious cases.
  const head = res.body.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}
