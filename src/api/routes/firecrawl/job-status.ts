/**
 * A Firecrawl job's status document: `status`, `completed`, `total`, `creditsUsed`,
 * `expiresAt`, a page of `data` and `next`. The counts come from the job's exact counts:
 * `completed` is the pages stored (fetched or failed for good), `total` adds the pages
 * still queued or in flight, so `completed <= total` always, and once the job is final
 * `total == completed`. `data` holds the pages fetched (any HTTP status), in
 * first-stored order; pages without an answer are listed by /errors. `next` is present
 * only when more documents are stored now, so a client that follows it never reads an
 * empty page.
 */
import { createHash } from 'node:crypto';
import type { PageRecord } from '../../../core/types.js';
import {
  isFinalState,
  type JobInfo,
  type JobKind,
  type JobService,
  type JobState,
} from '../../../jobs/job-service.js';
import { ApiError } from '../../api-error.js';
import { decodeCursor } from '../../cursor.js';
import type { FirecrawlJobMeta } from './crawl-request.js';
import { artifactFile } from '../../../storage/artifacts/artifact-keys.js';
import { artifactUrl } from '../jobs/artifact-routes.js';
import { recordDocument, type DocumentOptions, type FirecrawlDocument } from './documents.js';

export type FirecrawlStatus = 'scraping' | 'completed' | 'failed' | 'cancelled';

const DAY_MS = 86_400_000;
/** Most errors /errors lists (the rest are counted by Trawl's /errors). */
const MAX_ERRORS = 10_000;

export function firecrawlStatus(state: JobState): FirecrawlStatus {
  switch (state) {
    case 'completed':
    case 'failed':
    case 'cancelled':
      return state;
    default:
      return 'scraping';
  }
}

/** The job and its Firecrawl meta, or a 404 when it is not a Firecrawl job of these kinds. */
export async function firecrawlJob(
  jobs: JobService,
  id: string,
  kinds: readonly JobKind[],
): Promise<{ job: JobInfo; meta: FirecrawlJobMeta }> {
  const job = await jobs.get(id);
  const meta = job?.meta.firecrawl as FirecrawlJobMeta | undefined;
  if (job === null || meta === undefined || !kinds.includes(job.kind)) {
    const what = kinds.includes('crawl') ? 'crawl' : 'batch scrape';
    throw new ApiError('job_not_found', `no ${what} job ${id}`);
  }
  return { job, meta };
}

/** The counts part of a status document. */
export function statusCounts(job: JobInfo) {
  const c = job.counts;
  const completed = c.stored;
  const total = isFinalState(job.state) ? completed : completed + c.queued + c.inFlight;
  return {
    status: firecrawlStatus(job.state),
    completed,
    total,
    creditsUsed: completed,
    expiresAt: new Date((job.finishedAt ?? Date.now()) + DAY_MS).toISOString(),
  };
}

export interface DocumentPage {
  data: FirecrawlDocument[];
  /** Position after the last record read (the next page's `after`), or where the page started. */
  last: string | undefined;
  /** More documents are stored after this page now. */
  more: boolean;
}

/**
 * Whether a stored page is a document: fetched, whatever its HTTP status (a 404 page is
 * a document with statusCode 404, as /scrape returns it). Pages without an answer
 * (network, timeout, refused address…) are /errors, robots.txt refusals its
 * robotsBlocked, and a redirect to a page the job already knows is that page's.
 */
export function isDocument(page: PageRecord): boolean {
  return page.error === null || page.error === 'http_status';
}

/** Up to `limit` documents after `after`, and whether more exist now. */
export async function documentPage(
  jobs: JobService,
  job: JobInfo,
  meta: FirecrawlJobMeta,
  after: string | undefined,
  limit: number,
  publicUrl: string,
): Promise<DocumentPage> {
  const options: DocumentOptions = {
    ...meta,
    artifactUrl: (location) => {
      const file = artifactFile(location);
      return file === null ? null : artifactUrl(publicUrl, job.id, file);
    },
  };
  const withBody = meta.formats.includes('html') || meta.formats.includes('rawHtml');
  const data: FirecrawlDocument[] = [];
  let position = after;
  // Reads no more records than documents still wanted, so a page never overshoots and
  // the position after it is exact.
  while (data.length < limit) {
    const want = limit - data.length;
    const { pages, last } = await jobs.results(job.id, {
      limit: want,
      ...(position === undefined ? {} : { after: position }),
      ...(withBody ? { withBody: true } : {}),
    });
    for (const page of pages) if (isDocument(page)) data.push(recordDocument(page, options));
    if (last !== null) position = last;
    if (pages.length < want) return { data, last: position, more: false };
  }
  return { data, last: position, more: await documentAfter(jobs, job.id, position) };
}

/** Whether a document is stored after `after` (failures in between are skipped). */
async function documentAfter(
  jobs: JobService,
  id: string,
  after: string | undefined,
): Promise<boolean> {
  let position = after;
  for (;;) {
    const { pages, last } = await jobs.results(id, {
      limit: 100,
      ...(position === undefined ? {} : { after: position }),
    });
    if (pages.some(isDocument)) return true;
    if (pages.length < 100 || last === null) return false;
    position = last;
  }
}

/** The position `skip` documents after `after` (Firecrawl's `skip` parameter). */
export async function skipDocuments(
  jobs: JobService,
  id: string,
  after: string | undefined,
  skip: number,
): Promise<string | undefined> {
  let position = after;
  let left = skip;
  while (left > 0) {
    const want = Math.min(left, 1_000);
    const { pages, last } = await jobs.results(id, {
      limit: want,
      ...(position === undefined ? {} : { after: position }),
    });
    if (last !== null) position = last;
    left -= pages.filter(isDocument).length;
    if (pages.length < want) break;
  }
  return position;
}

/** A `cursor` query parameter as a position. */
export function cursorPosition(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const a = decodeCursor(cursor, 'query.cursor').a;
  if (typeof a !== 'string' || !/^\d{1,19}$/.test(a)) {
    throw new ApiError('invalid_request', 'query.cursor: not a cursor this service issued', {
      field: 'query.cursor',
    });
  }
  return a;
}

/** Firecrawl's /errors: pages without a document (robots.txt refusals apart), at most MAX_ERRORS. */
export async function errorList(jobs: JobService, id: string) {
  const errors: { id: string; timestamp: string; url: string; code: string; error: string }[] = [];
  const robotsBlocked: string[] = [];
  let after: string | undefined;
  while (errors.length + robotsBlocked.length < MAX_ERRORS) {
    const { pages, last } = await jobs.results(id, {
      outcome: 'error',
      limit: 1_000,
      ...(after === undefined ? {} : { after }),
    });
    for (const page of pages) addError(page, errors, robotsBlocked);
    if (pages.length < 1_000 || last === null) break;
    after = last;
  }
  return { errors: errors.slice(0, MAX_ERRORS), robotsBlocked };
}

function addError(
  page: PageRecord,
  errors: { id: string; timestamp: string; url: string; code: string; error: string }[],
  robotsBlocked: string[],
): void {
  const code = page.error;
  if (code === null || isDocument(page)) return;
  if (code === 'robots_disallowed') robotsBlocked.push(page.url);
  // Not a failure: the target is crawled under its own name.
  else if (code !== 'redirect_known') {
    errors.push({
      // Stable across reads: one record per URL.
      id: createHash('sha1').update(page.url).digest('hex').slice(0, 20),
      timestamp: new Date(page.fetchedAt).toISOString(),
      url: page.url,
      code,
      error: page.errorMessage ?? code,
    });
  }
}
