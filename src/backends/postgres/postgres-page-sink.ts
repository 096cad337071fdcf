/**
 * The PostgreSQL write path: result writers upsert batches of PageRecords into crawled_data.
 *
 * A batch travels as ONE JSON text parameter that `json_to_recordset` turns into rows, plus
 * ONE binary bytea parameter holding every body back to back (each row names its slice).
 * Measured against a multi-row `VALUES ($1…)` insert, `unnest($n::text[]…)` arrays and
 * postgres.js's multi-row helper (bench/pg-write.ts), it was the fastest and by far the
 * cheapest in Node CPU: JSON.stringify is native, while pg escapes every array element and
 * hex-encodes bytea inside arrays, and a 10,000-parameter statement costs the server a long
 * parse. It also has no bind-parameter limit (65,535) to split around: a statement takes 3
 * parameters whatever the row count; what bounds a statement is its size (below).
 */
import type pg from 'pg';
import type { PageRecord } from '../../core/types.js';
import type { PageRow } from '../../storage/page-row.js';
import type { PageSink } from '../../storage/page-store.js';
import { storableHeaders, storableJson, storableText, storableTextOrNull } from './pg-sanitize.js';
import { withClient, withTransaction } from './pg-transaction.js';

export { isTransientPgError } from './pg-errors.js';

export interface PostgresPageSinkOptions {
  /**
   * Most rows in one statement; a bigger batch is split into several statements of one
   * transaction. Bounds the server's memory for the JSON document. @default 2000
   */
  maxRowsPerStatement?: number;
  /**
   * Most bytes (JSON text plus bodies) in one statement. PostgreSQL refuses a protocol
   * message or a parameter over 1 GB, and 500 pages with 10 MB bodies are 5 GB: such a batch
   * is sent as several statements of one transaction. A single page bigger than this still
   * goes alone. @default 64 MiB
   */
  maxBytesPerStatement?: number;
}

/** The statement's row columns, in the JSON documents' own names (see toDocument). */
/*
 * The job's advisory lock, held to the end of the transaction, serialises the writers of
 * one job: ids (nextval) are then handed out in commit order within a job, so a reader
 * paging by id (the results API's cursor, webhooks' page events) never passes an id whose
 * row commits later. Other jobs' writers are not held up.
 */
const UPSERT = `
  WITH job_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended($1, 0)))
  INSERT INTO crawled_data (task_id, url, final_url, status, title, depth, content_type,
    crawled_at, error, error_message, attempts, etag, last_modified, content_hash,
    content_length, charset, canonical_url, link_count, duration_ms, headers, content, metadata,
    fields)
  SELECT $1, r.url, r.final_url, r.status, r.title, r.depth, r.content_type,
    to_timestamp(r.fetched_at / 1000), r.error, r.error_message, r.attempts, r.etag,
    r.last_modified, r.content_hash, r.content_length, r.charset, r.canonical_url,
    r.link_count, r.duration_ms, r.headers,
    substring($3::bytea FROM r.body_at + 1 FOR r.body_length),
    jsonb_strip_nulls(jsonb_build_object('status', r.status, 'finalUrl', r.final_url,
      'contentType', r.content_type, 'charset', r.charset, 'linkCount', r.link_count,
      'error', r.error)),
    r.fields
  FROM job_lock, json_to_recordset($2::json) AS r(url text, final_url text, status int, title text,
    depth int, content_type text, fetched_at float8, error text, error_message text,
    attempts int, etag text, last_modified text, content_hash text, content_length int8,
    charset text, canonical_url text, link_count int, duration_ms int, headers jsonb,
    body_at int, body_length int, fields jsonb)
  ON CONFLICT (task_id, url) DO UPDATE SET
    final_url = excluded.final_url, status = excluded.status, title = excluded.title,
    depth = excluded.depth, content_type = excluded.content_type,
    crawled_at = excluded.crawled_at, error = excluded.error,
    error_message = excluded.error_message, attempts = excluded.attempts,
    etag = excluded.etag, last_modified = excluded.last_modified,
    content_hash = excluded.content_hash, content_length = excluded.content_length,
    charset = excluded.charset, canonical_url = excluded.canonical_url,
    link_count = excluded.link_count, duration_ms = excluded.duration_ms,
    headers = excluded.headers, content = excluded.content, metadata = excluded.metadata,
    fields = excluded.fields, updated_at = now()
  -- The newest fetch wins: an older refetch written late (a writer retrying a batch after
  -- a newer one landed) leaves the row alone. Equal times: the later write wins.
  WHERE crawled_data.crawled_at <= excluded.crawled_at`;

/**
 * A PageSink over `pool` (which it never ends: its creator does). Tables must exist
 * (migratePostgres). A failed writeBatch has written nothing; tell a retryable failure
 * from a data error with isTransientPgError.
 */
export function createPostgresPageSink(
  pool: pg.Pool,
  options: PostgresPageSinkOptions = {},
): PageSink {
  const maxRows = options.maxRowsPerStatement ?? 2000;
  const maxBytes = options.maxBytesPerStatement ?? 64 * 1024 * 1024;

  return {
    async writeBatch(jobId: string, pages: PageRecord[]): Promise<void> {
      if (pages.length === 0) return;
      const statements = split(newestPerUrl(pages), maxRows, maxBytes).map((chunk) =>
        toParameters(storableText(jobId), chunk),
      );
      // One statement is its own transaction: no BEGIN/COMMIT round trips.
      if (statements.length === 1) {
        await withClient(pool, (client) => client.query(UPSERT, statements[0]));
        return;
      }
      await withTransaction(pool, async (client) => {
        for (const params of statements) await client.query(UPSERT, params);
      });
    },

    async close(): Promise<void> {
      // Nothing of its own to release: the pool belongs to its creator.
    },
  };
}

/**
 * One record per url, the newest by fetchedAt (the later one on a tie, as in the upsert),
 * in the order each url first appears. ON CONFLICT cannot touch a row twice in one
 * statement, and a url's rows could otherwise land in different statements of a split batch.
 * Keyed by the url as stored: two urls that differ only in unstorable characters are one row.
 */
function newestPerUrl(pages: PageRecord[]): PageRecord[] {
  const byUrl = new Map<string, PageRecord>();
  for (const page of pages) {
    const url = storableText(page.url);
    const seen = byUrl.get(url);
    if (seen === undefined || seen.fetchedAt <= page.fetchedAt) byUrl.set(url, page);
  }
  return byUrl.size === pages.length ? pages : [...byUrl.values()];
}

/** The JSON object of one row: the recordset columns of UPSERT, sanitized. */
interface Document extends PageRow {
  headers: Record<string, string>;
  /** Offset of the body in the statement's bodies parameter, bytes; null: no body. */
  body_at: number | null;
  body_length: number | null;
  fields: unknown;
}

interface Chunk {
  json: string[];
  bodies: Buffer[];
}

/** Encodes `pages` into statements of at most maxRows rows and (about) maxBytes bytes. */
function split(pages: PageRecord[], maxRows: number, maxBytes: number): Chunk[] {
  const chunks: Chunk[] = [];
  let chunk: Chunk = { json: [], bodies: [] };
  let bytes = 0;
  let bodyAt = 0;
  for (const page of pages) {
    const bodyLength = page.body?.length ?? 0;
    let json = JSON.stringify(toDocument(page, bodyAt));
    // String length undercounts multi-byte UTF-8; the default leaves ample room below 1 GB.
    const full = chunk.json.length >= maxRows || bytes + json.length + bodyLength > maxBytes;
    if (full && chunk.json.length > 0) {
      chunks.push(chunk);
      chunk = { json: [], bodies: [] };
      bytes = 0;
      bodyAt = 0;
      if (page.body !== null) json = JSON.stringify(toDocument(page, bodyAt));
    }
    chunk.json.push(json);
    if (page.body !== null) {
      chunk.bodies.push(page.body);
      bodyAt += bodyLength;
    }
    bytes += json.length + bodyLength;
  }
  chunks.push(chunk);
  return chunks;
}

function toParameters(jobId: string, chunk: Chunk): unknown[] {
  return [
    jobId,
    `[${chunk.json.join(',')}]`,
    // A Buffer parameter is sent in binary: no hex or escaping on either side.
    chunk.bodies.length === 0 ? null : Buffer.concat(chunk.bodies),
  ];
}

function toDocument(p: PageRecord, bodyAt: number): Document {
  return {
    url: storableText(p.url),
    final_url: storableTextOrNull(p.finalUrl),
    status: p.status,
    title: storableTextOrNull(p.title),
    depth: p.depth,
    content_type: storableTextOrNull(p.contentType),
    fetched_at: p.fetchedAt,
    error: storableTextOrNull(p.error),
    error_message: storableTextOrNull(p.errorMessage),
    attempts: p.attempts,
    etag: storableTextOrNull(p.etag),
    last_modified: storableTextOrNull(p.lastModified),
    content_hash: storableTextOrNull(p.contentHash),
    content_length: p.contentLength,
    charset: storableTextOrNull(p.charset),
    canonical_url: storableTextOrNull(p.canonicalUrl),
    link_count: p.linkCount,
    // The column is int, like SQLite's: the fetcher's sub-millisecond fraction is dropped.
    duration_ms: p.durationMs === null ? null : Math.round(p.durationMs),
    headers: storableHeaders(p.headers),
    body_at: p.body === null ? null : bodyAt,
    body_length: p.body === null ? null : p.body.length,
    fields: p.fields === null || p.fields === undefined ? null : storableJson(p.fields),
  };
}
