/** The PostgreSQL page store, read side: one job's rows of crawled_data as PageRecords. */
import type pg from 'pg';
import type { PageChange, PageRecord } from '../../core/types.js';
import {
  noChanges,
  type PageQuery,
  type PageQueryResult,
  type PageStore,
  type ScanOptions,
} from '../../storage/page-store.js';
import { pageFromRow, type PageRow } from '../../storage/page-row.js';

/**
 * Casts make pg hand back what PageRecord holds without touching its global type parsers:
 * timestamptz would become a Date (and lose microseconds), bigint a string. float8 comes
 * back as a number, exact for epoch ms and for lengths below 2^53.
 */
const COLUMNS = `id::text AS id_text, url, final_url, status, title, depth, content_type,
  (extract(epoch FROM crawled_at) * 1000)::float8 AS fetched_at, error, error_message,
  attempts, etag, last_modified, content_hash, content_length::float8 AS content_length,
  charset, canonical_url, link_count, duration_ms, headers, fields`;

/** Most URLs one getPages call takes. */
const MAX_GET_PAGES = 1_000;

/**
 * The pages of job `jobId` in `pool`'s schema (tables made by migratePostgres).
 * `close()` does not end the pool: the store did not create it, and its creator ends it.
 */
export function createPostgresPageStore(pool: pg.Pool, jobId: string): PageStore {
  return {
    async countPages(): Promise<number> {
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM crawled_data WHERE task_id = $1',
        [jobId],
      );
      return Number(rows[0]?.n ?? 0);
    },

    /**
     * Keyset pagination on id (never OFFSET, which rereads every skipped row): each batch is
     * its own short query, so no transaction or cursor stays open while the caller works.
     * An update keeps a row's id, so the order stays first-stored. Rows committed during the
     * scan by other writers may or may not be seen (ids are taken before commit, so one can
     * land behind the scan's position); a scan after the job finished sees every row.
     */
    async *scanPages(options: ScanOptions = {}): AsyncIterable<PageRecord> {
      // Rows without bodies are ~1 KB: big batches save round trips (20k pages exported
      // in 250 ms instead of 540 with batches of 1,000); with bodies, small batches bound
      // the memory a batch holds.
      const batchSize = options.batchSize ?? (options.withBody === true ? 100 : 5000);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new RangeError(`scanPages batchSize must be a positive integer, got ${batchSize}`);
      }
      const withBody = options.withBody ?? false;
      // id goes out as id_text: an output column named id would make ORDER BY id sort text.
      const text = `SELECT ${COLUMNS}${withBody ? ', content' : ''}
        FROM crawled_data WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3`;
      let after = '0';
      for (;;) {
        const { rows } = await pool.query<Row>(text, [jobId, after, batchSize]);
        for (const row of rows) yield fromRow(row);
        if (rows.length < batchSize) return;
        after = rows[rows.length - 1]!.id_text;
      }
    },

    async *scanUrls(batchSize = 1000): AsyncIterable<{ url: string; depth: number }> {
      let after = '0';
      for (;;) {
        const { rows } = await pool.query<{ id_text: string; url: string; depth: number }>(
          `SELECT id::text AS id_text, url, depth FROM crawled_data
           WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
          [jobId, after, batchSize],
        );
        for (const { url, depth } of rows) yield { url, depth };
        if (rows.length < batchSize) return;
        after = rows[rows.length - 1]!.id_text;
      }
    },

    async queryPages(query: PageQuery): Promise<PageQueryResult> {
      const after = query.after ?? '0';
      if (!/^\d{1,19}$/.test(after)) throw new RangeError(`invalid page position ${after}`);
      const params: unknown[] = [jobId, after];
      const where = ['task_id = $1', 'id > $2'];
      const param = (value: unknown): string => `$${params.push(value)}`;
      if (query.outcome === 'ok') where.push('error IS NULL');
      if (query.outcome === 'error') where.push('error IS NOT NULL');
      if (query.errorCode !== undefined) where.push(`error = ${param(query.errorCode)}`);
      if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
      if (query.urlPrefix !== undefined) where.push(`starts_with(url, ${param(query.urlPrefix)})`);
      if (query.changedSince !== undefined) {
        where.push(`crawled_at >= to_timestamp(${param(query.changedSince / 1000)})`);
      }
      if (query.change !== undefined) where.push(`fields->>'change' = ${param(query.change)}`);
      const text = `SELECT ${COLUMNS}${query.withBody === true ? ', content' : ''}
        FROM crawled_data WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${param(query.limit)}`;
      const { rows } = await pool.query<Row>(text, params);
      return { pages: rows.map(fromRow), last: rows.at(-1)?.id_text ?? null };
    },

    async countErrors(): Promise<{ code: string; count: number }[]> {
      const { rows } = await pool.query<{ code: string; count: string }>(
        `SELECT error AS code, count(*) AS count FROM crawled_data
         WHERE task_id = $1 AND error IS NOT NULL GROUP BY error ORDER BY count(*) DESC, error`,
        [jobId],
      );
      return rows.map((r) => ({ code: r.code, count: Number(r.count) }));
    },

    async countChanges(): Promise<Record<PageChange, number>> {
      const counts = noChanges();
      const { rows } = await pool.query<{ change: string; n: string }>(
        `SELECT fields->>'change' AS change, count(*) AS n FROM crawled_data
         WHERE task_id = $1 AND fields->>'change' IS NOT NULL GROUP BY 1`,
        [jobId],
      );
      for (const row of rows) {
        if (row.change in counts) counts[row.change as PageChange] = Number(row.n);
      }
      return counts;
    },

    async getPages(urls, options = {}): Promise<PageRecord[]> {
      if (urls.length === 0) return [];
      if (urls.length > MAX_GET_PAGES) {
        throw new RangeError(`getPages takes at most ${MAX_GET_PAGES} URLs, got ${urls.length}`);
      }
      // The (task_id, url) unique index answers each URL of the array.
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS}${options.withBody === true ? ', content' : ''}
         FROM crawled_data WHERE task_id = $1 AND url = ANY($2::text[])`,
        [jobId, urls],
      );
      return rows.map(fromRow);
    },

    async close(): Promise<void> {
      // The pool is not ours to end.
    },
  };
}

interface Row extends PageRow {
  /** The bigint id as text: beyond 2^53 a number would lose it. */
  id_text: string;
  /** jsonb: pg parses it. */
  headers: Record<string, string>;
  /** jsonb: pg parses it. */
  fields: Record<string, unknown> | null;
  content?: Buffer | null;
}

function fromRow(r: Row): PageRecord {
  return pageFromRow(r, r.headers, r.content ?? null, r.fields);
}
