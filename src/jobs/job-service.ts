/**
 * The job service port: what the API (REST, Firecrawl-compatible, S1 seed, gRPC) asks of
 * crawl jobs, whichever mode runs them. The embedded adapter runs jobs in the serving
 * process on SQLite; the distributed one submits them to Redis for `trawl worker`
 * processes and reads results from PostgreSQL. Both implement the same semantics (one
 * API test suite runs against both).
 */
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { PageChange, PageRecord } from '../core/types.js';
import type { PageQuery } from '../storage/page-store.js';

/**
 * queued: accepted, nothing fetched yet; running: being crawled; paused: stopped by a
 * client, resumable; completed: nothing left to fetch (or the page budget is spent) and
 * every result stored; failed: stopped by an error the job cannot get past; cancelled:
 * stopped by a client for good.
 */
export type JobState = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

export const JOB_STATES: readonly JobState[] = [
  'queued',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

/** States a job never leaves. */
export function isFinalState(state: JobState): boolean {
  return state === 'completed' || state === 'failed' || state === 'cancelled';
}

/** What the job has done, exact at the moment read. */
export interface JobCounts {
  /** Waiting to be fetched (pages, redirect hops, retries waiting for their time). */
  queued: number;
  /** Being fetched now, on every worker. */
  inFlight: number;
  /** Pages fetched and stored (any HTTP status). */
  succeeded: number;
  /** Pages failed for good (error set). */
  failed: number;
  /** Attempts scheduled again. */
  retried: number;
  /** Wire bytes of every fetched page. */
  bytes: number;
  /** Pages stored and readable through results (trails succeeded + failed while writers catch up). */
  stored: number;
  /** Pages finished per second while the job ran. */
  pagesPerSec: number;
}

/** Which API made the job: its routes show only their own jobs' extra fields. */
export type JobKind = 'crawl' | 'batch';

export interface JobInfo {
  id: string;
  kind: JobKind;
  state: JobState;
  spec: CrawlSpec;
  /**
   * Whatever the creating API keeps with the job (a Firecrawl request's options, the
   * owner's key id, webhook settings), JSON, returned as given.
   */
  meta: Record<string, unknown>;
  /** Epoch ms. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  counts: JobCounts;
  /** Why the job failed (state failed), one line. */
  error: string | null;
}

export interface CreateJobInput {
  spec: CrawlSpec;
  kind?: JobKind;
  meta?: Record<string, unknown>;
}

export interface ListJobsQuery {
  states?: JobState[];
  kind?: JobKind;
  /** Most jobs returned. */
  limit: number;
  /** @default 'newest' first */
  order?: 'newest' | 'oldest';
  /** Only jobs created before this one (a previous page's last id). */
  before?: string;
}

/** A job's stored pages through the page-store query (position, filters). */
export type JobResultsQuery = PageQuery;

export interface JobResults {
  pages: PageRecord[];
  /** Position after the last page, or null when none was returned. */
  last: string | null;
}

/** A job id that names no job: the API's 404. */
export class JobNotFoundError extends Error {
  readonly code = 'job_not_found';
  constructor(readonly jobId: string) {
    super(`no job ${jobId}`);
    this.name = 'JobNotFoundError';
  }
}

/** A transition the job's state does not allow (resume a completed job): the API's 409. */
export class JobStateError extends Error {
  readonly code = 'job_state';
  constructor(
    readonly jobId: string,
    readonly state: JobState,
    action: string,
  ) {
    super(`job ${jobId} is ${state}: cannot ${action} it`);
    this.name = 'JobStateError';
  }
}

/**
 * The error a job is failed with when it could not be dispatched: one constant, so readers
 * of job states (S1's submission_failed) need not match another module's text.
 */
export const JOB_SUBMIT_FAILED = 'could not submit the job: the job queue (Redis) is unavailable';

/**
 * The job was recorded but could not be dispatched (the queue is down): it is failed
 * with `message`, and `jobId` names it. The API's 503 (S1's submission_failed).
 */
export class JobSubmitError extends Error {
  readonly code = 'job_submit_failed';
  constructor(
    readonly jobId: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'JobSubmitError';
  }
}

/** A dependency the call needs is down (Redis unreachable): the API's 503. */
export class ServiceUnavailableError extends Error {
  readonly code = 'service_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

export interface JobService {
  readonly mode: 'embedded' | 'distributed';
  /** Accepts a job (the spec is already validated) and starts or queues it. */
  create(input: CreateJobInput): Promise<JobInfo>;
  /** null when no such job. */
  get(id: string): Promise<JobInfo | null>;
  list(query: ListJobsQuery): Promise<JobInfo[]>;
  /** Stops fetching; requests in flight finish; resumable. Throws JobStateError when final. */
  pause(id: string): Promise<JobInfo>;
  /** Continues a paused job where it stopped. */
  resume(id: string): Promise<JobInfo>;
  /** Stops the job for good; what was stored stays readable. Idempotent on a cancelled job. */
  cancel(id: string): Promise<JobInfo>;
  /** One page of the job's stored pages. Throws JobNotFoundError. */
  results(id: string, query: JobResultsQuery): Promise<JobResults>;
  /** Failed pages per error code. */
  errorCounts(id: string): Promise<{ code: string; count: number }[]>;
  /** Pages per change label of an incremental recrawl (every label, 0 when none). */
  changeCounts(id: string): Promise<Record<PageChange, number>>;
  /** Dependencies for /health/ready: each resolves when reachable. */
  readiness(): { name: string; check(signal: AbortSignal): Promise<unknown> }[];
  /** Stops running jobs (resumable on the next start) and closes what it opened. */
  close(): Promise<void>;
}
