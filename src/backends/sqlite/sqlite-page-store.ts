/**
 * The embedded page store: the `pages` table of the shared SQLite database. Pages are
 * written by the SQLite frontier's commit, inside its transaction (see upsertPage);
 * this module also serves the read side.
 */
import type { PageChange, PageRecord } from '../../core/types.js';
import {
  noChanges,
  type PageQuery,
  type PageQueryResult,
  type PageStore,
} from '../../storage/page-store.js';
import { pageFromRow, type PageRow } from '../../storage/page-row.js';
import type { SqliteDatabase } from './sqlite-database.js';

const COLUMNS = [
  'url',
  'final_url',
  'status',
  'title',
  'depth',
  'content_type',
  'fetched_at',
  'error',
  'error_message',
  'attempts',
  'etag',
  'last_modified',
  'content_hash',
  'content_length',
  'charset',
  'canonical_url',
  'link_count',
  'duration_ms',
  'headers',
  'fields',
  'body',
] as const;

/** A page's incremental-recrawl label (PageRecord.fields.change). */
const CHANGE = "json_extract(fields, '$.change')";

/** Most URLs one getPages call takes. */
const MAX_GET_PAGES = 1_000;

/**
 * The statement that upserts one page by url; run it inside a transaction of the
 * database's write batcher (the frontier's commit does).
 */
export function pageUpserter(database: SqliteDatabase): (page: PageRecord) => void {
  const updates = COLUMNS.filter((c) => c !== 'url')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  const upsert = database.db.prepare(
    `INSERT INTO pages (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (url) DO UPDATE SET ${updates}`,
  );
  return (page) => upsert.run(toRow(page));
}

export function createSqlitePageStore(database: SqliteDatabase): PageStore {
  const { db, writer } = database;
  const count = db.prepare('SELECT count(*) FROM pages').pluck();
  const countChanges = db.prepare(
    `SELECT ${CHANGE} AS change, count(*) AS n FROM pages WHERE ${CHANGE} IS NOT NULL GROUP BY 1`,
  );
  const countErrors = db.prepare(
    `SELECT error AS code, count(*) AS count FROM pages WHERE error IS NOT NULL
     GROUP BY error ORDER BY count DESC, error`,
  );
  // json_each: one statement for any number of URLs (no placeholder list to build).
  const byUrls = (withBody: boolean) =>
    db.prepare(
      `SELECT id, ${COLUMNS.filter((c) => c !== 'body' || withBody).join(', ')}
       FROM pages WHERE url IN (SELECT value FROM json_each(?))`,
    );
  const getPages = byUrls(false);
  const getPagesWithBody = byUrls(true);
  const urlsAfter = db.prepare('SELECT id, url, depth FROM pages WHERE id > ? ORDER BY id LIMIT ?');

  return {
    async countPages(): Promise<number> {
      return count.get() as number;
    },

    async *scanPages(options = {}): AsyncIterable<PageRecord> {
      const batchSize = options.batchSize ?? 1000;
      const cols = COLUMNS.filter((c) => c !== 'body' || options.withBody).join(', ');
      const page = db.prepare(`SELECT id, ${cols} FROM pages WHERE id > ? ORDER BY id LIMIT ?`);
      let after = 0;
      for (;;) {
        // Batches, not one long-lived iterator: the crawl may still be writing.
        const rows = page.all(after, batchSize) as Row[];
        if (rows.length === 0) return;
        for (const row of rows) yield fromRow(row);
        after = rows[rows.length - 1]!.id;
      }
    },

    async queryPages(query: PageQuery): Promise<PageQueryResult> {
      const cols = COLUMNS.filter((c) => c !== 'body' || query.withBody).join(', ');
      const where: string[] = ['id > ?'];
      const params: unknown[] = [query.after === undefined ? 0 : positionOf(query.after)];
      if (query.outcome === 'ok') where.push('error IS NULL');
      if (query.outcome === 'error') where.push('error IS NOT NULL');
      if (query.errorCode !== undefined) {
        where.push('error = ?');
        params.push(query.errorCode);
      }
      if (query.status !== undefined) {
        where.push('status = ?');
        params.push(query.status);
      }
      if (query.urlPrefix !== undefined) {
        where.push('substr(url, 1, ?) = ?');
        params.push(query.urlPrefix.length, query.urlPrefix);
      }
      if (query.changedSince !== undefined) {
        where.push('fetched_at >= ?');
        params.push(query.changedSince);
      }
      if (query.change !== undefined) {
        where.push(`${CHANGE} = ?`);
        params.push(query.change);
      }
      params.push(query.limit);
      const rows = db
        .prepare(`SELECT id, ${cols} FROM pages WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`)
        .all(...params) as Row[];
      const last = rows.at(-1);
      return { pages: rows.map(fromRow), last: last === undefined ? null : String(last.id) };
    },

    async countErrors(): Promise<{ code: string; count: number }[]> {
      return countErrors.all() as { code: string; count: number }[];
    },

    async countChanges(): Promise<Record<PageChange, number>> {
      const counts = noChanges();
      for (const row of countChanges.all() as { change: string; n: number }[]) {
        if (row.change in counts) counts[row.change as PageChange] = row.n;
      }
      return counts;
    },

    async getPages(urls, options = {}): Promise<PageRecord[]> {
      if (urls.length === 0) return [];
      if (urls.length > MAX_GET_PAGES) {
        throw new RangeError(`getPages takes at most ${MAX_GET_PAGES} URLs, got ${urls.length}`);
      }
      const statement = options.withBody === true ? getPagesWithBody : getPages;
      return (statement.all(JSON.stringify(urls)) as Row[]).map(fromRow);
    },

    async *scanUrls(batchSize = 1000): AsyncIterable<{ url: string; depth: number }> {
      let after = 0;
      for (;;) {
        const rows = urlsAfter.all(after, batchSize) as {
          id: number;
          url: string;
          depth: number;
        }[];
        for (const { url, depth } of rows) yield { url, depth };
        if (rows.length < batchSize) return;
        after = rows[rows.length - 1]!.id;
      }
    },

    async close(): Promise<void> {
      await writer.flushNow();
    },
  };
}

/** A position is a row id; anything else is refused (it came from outside, through the API). */
function positionOf(after: string): number {
  const id = Number(after);
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`invalid page position ${after}`);
  return id;
}

interface Row extends PageRow {
  id: number;
  /** JSON text. */
  headers: string;
  /** JSON text or NULL. */
  fields: string | null;
  body?: Buffer | null;
}

function toRow(p: PageRecord): unknown[] {
  return [
    p.url,
    p.finalUrl,
    p.status,
    p.title,
    p.depth,
    p.contentType,
    p.fetchedAt,
    p.error,
    p.errorMessage,
    p.attempts,
    p.etag,
    p.lastModified,
    p.contentHash,
    p.contentLength,
    p.charset,
    p.canonicalUrl,
    p.linkCount,
    p.durationMs === null ? null : Math.round(p.durationMs),
    JSON.stringify(p.headers),
    p.fields === null || p.fields === undefined ? null : JSON.stringify(p.fields),
    p.body,
  ];
}

function fromRow(r: Row): PageRecord {
  return pageFromRow(
    r,
    JSON.parse(r.headers) as Record<string, string>,
    r.body ?? null,
    r.fields === null ? null : (JSON.parse(r.fields) as Record<string, unknown>),
  );
}
