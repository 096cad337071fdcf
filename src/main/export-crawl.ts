/**
 * `trawl export`: re-exports a finished crawl, streaming from its store, from an
 * embedded data dir (SQLite) or a distributed job (PostgreSQL), in any export format
 * and with a field selection.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { DEFAULT_USER_AGENT } from '../config/crawl-spec.js';
import { UsageError } from '../core/errors.js';
import type { PageStore } from '../storage/page-store.js';
import { formatNeedsBodies, type ExportFormat } from '../storage/export/record-writer.js';
import { exportPages, isPageField, PAGE_FIELDS } from '../storage/export/write-export.js';
import { DATABASE_FILE, openSqliteDatabase } from '../backends/sqlite/sqlite-database.js';
import { createSqlitePageStore } from '../backends/sqlite/sqlite-page-store.js';
import { createPgPool } from '../backends/postgres/pg-pool.js';
import { createPostgresPageStore } from '../backends/postgres/postgres-page-store.js';

export type ExportSource = { dataDir: string } | { databaseUrl: string; jobId: string | null };

export interface ExportCrawlOptions {
  source: ExportSource;
  format: ExportFormat;
  out: string;
  /** Selected fields, in order (see isPageField); all page fields when absent. */
  fields?: readonly string[];
  rename?: Readonly<Record<string, string>>;
}

export interface ExportCrawlResult {
  /** Pages written. */
  exported: number;
  /** Size of the written file. */
  bytes: number;
  /** Where the pages came from: `data dir …` or `job … (PostgreSQL)`. */
  from: string;
}

/** Every field `--fields` accepts, for error messages. */
const VALID_FIELDS = [...PAGE_FIELDS, 'headers', 'headers.<name>'];

/** Checks the options, opens the store, writes the file. Errors a user can fix are UsageErrors. */
export async function exportCrawl(options: ExportCrawlOptions): Promise<ExportCrawlResult> {
  checkFields(options);
  if (!existsSync(dirname(options.out))) {
    throw new UsageError(`cannot write ${options.out}: ${dirname(options.out)} does not exist`);
  }
  const opened =
    'dataDir' in options.source
      ? openDataDir(options.source.dataDir)
      : await openJob(options.source.databaseUrl, options.source.jobId);
  try {
    await checkFieldsStored(options, opened.store);
    const exported = await exportPages(opened.store, options.out, options.format, {
      fields: options.fields,
      rename: options.rename,
      warc: { userAgent: opened.userAgent, info: { isPartOf: opened.from } },
    });
    const { size } = await stat(options.out);
    return { exported, bytes: size, from: opened.from };
  } finally {
    await opened.close();
  }
}

function checkFields(options: ExportCrawlOptions): void {
  if (options.fields === undefined) return;
  if (formatNeedsBodies(options.format)) {
    throw new UsageError(`--fields does not apply to ${options.format}: it writes whole pages`);
  }
  if (options.fields.length === 0) throw new UsageError('--fields needs at least one field');
  const twice = options.fields.find((f, i) => options.fields!.indexOf(f) !== i);
  if (twice !== undefined) throw new UsageError(`field "${twice}" is selected twice`);
}

/** Pages sampled for the fields extraction and pipelines added (they vary by job). */
const FIELD_SAMPLE_PAGES = 1000;

/**
 * Every selected field must be a page field or one that the job's extraction or pipeline
 * stored (markdown, metadata.description, quality…), as seen in its first stored pages.
 */
async function checkFieldsStored(options: ExportCrawlOptions, store: PageStore): Promise<void> {
  const unknown = (options.fields ?? []).filter((f) => !isPageField(f));
  if (unknown.length === 0) return;
  const stored = new Set<string>();
  let n = 0;
  for await (const page of store.scanPages({ batchSize: FIELD_SAMPLE_PAGES })) {
    for (const key in page.fields ?? {}) stored.add(key);
    if (++n >= FIELD_SAMPLE_PAGES) break;
  }
  const missing = unknown.filter((f) => !stored.has(f) && !stored.has(f.split('.')[0]!));
  if (missing.length === 0) return;
  const extra = stored.size === 0 ? '' : `, ${[...stored].sort().join(', ')}`;
  throw new UsageError(
    `unknown field${missing.length > 1 ? 's' : ''} ${missing.map((f) => `"${f}"`).join(', ')}; ` +
      `valid fields: ${VALID_FIELDS.join(', ')}${extra}`,
  );
}

interface OpenedStore {
  store: PageStore;
  from: string;
  userAgent: string;
  close(): Promise<void>;
}

function openDataDir(dataDir: string): OpenedStore {
  // openSqliteDatabase would create an empty crawl where there is none: look first.
  if (!existsSync(join(dataDir, DATABASE_FILE))) {
    throw new UsageError(
      existsSync(dataDir)
        ? `${dataDir} holds no crawl (no ${DATABASE_FILE}); pass the --data-dir a crawl used`
        : `data dir ${dataDir} does not exist`,
    );
  }
  const database = openSqliteDatabase(dataDir);
  return {
    store: createSqlitePageStore(database),
    from: `data dir ${dataDir}`,
    // An embedded crawl does not record its spec: the requests show the default agent.
    userAgent: DEFAULT_USER_AGENT,
    close: () => database.close(),
  };
}

interface JobRow {
  task_id: string;
  status: string;
  user_agent: string | null;
  pages: string;
}

async function openJob(databaseUrl: string, jobId: string | null): Promise<OpenedStore> {
  const pool = createPgPool({ url: databaseUrl, max: 2, applicationName: 'trawl-export' });
  try {
    const jobs = await listJobs(pool);
    const job = jobs.find((j) => j.task_id === jobId);
    if (job === undefined) {
      const list =
        jobs.length === 0
          ? 'the database has no crawl jobs'
          : `jobs: ${jobs.map((j) => `${j.task_id} (${j.status}, ${j.pages} pages)`).join(', ')}`;
      throw new UsageError(
        jobId === null ? `choose a job with --job; ${list}` : `unknown job "${jobId}"; ${list}`,
      );
    }
    return {
      store: createPostgresPageStore(pool, job.task_id),
      from: `job ${job.task_id} (PostgreSQL)`,
      userAgent: job.user_agent ?? DEFAULT_USER_AGENT,
      close: () => pool.end(),
    };
  } catch (err) {
    await pool.end();
    throw err;
  }
}

/** The jobs of the database, oldest first, with their page counts. */
async function listJobs(pool: pg.Pool): Promise<JobRow[]> {
  try {
    // Read-only SQL over the backend's tables (crawl-jobs.ts has no listing yet).
    const { rows } = await pool.query<JobRow>(
      `SELECT j.task_id, j.status, j.spec->>'userAgent' AS user_agent,
         (SELECT count(*) FROM crawled_data c WHERE c.task_id = j.task_id)::text AS pages
       FROM crawl_jobs j ORDER BY j.created_at, j.task_id`,
    );
    return rows;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      throw new UsageError('the database has no Trawl tables: nothing was crawled into it', {
        cause: err,
      });
    }
    throw new UsageError(`cannot read the crawl jobs: ${(err as Error).message}`, { cause: err });
  }
}
