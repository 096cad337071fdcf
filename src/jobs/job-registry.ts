/**
 * The job registry port: the durable list of a service's jobs and their last known
 * state, one row per job (SQLite's service database embedded, PostgreSQL's crawl_jobs
 * distributed). Live counts come from the frontier; the registry keeps the last
 * snapshot, so a finished or paused job still reports exact numbers.
 */
import type { JobCounts, JobKind, JobState, ListJobsQuery } from './job-service.js';

export interface JobRecord {
  id: string;
  kind: JobKind;
  state: JobState;
  /** The validated spec, as JSON. */
  spec: unknown;
  meta: Record<string, unknown>;
  /** Epoch ms. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The last snapshot of the counts (null before the job first ran). */
  counts: JobCounts | null;
  error: string | null;
}

export type JobPatch = Partial<
  Pick<JobRecord, 'state' | 'startedAt' | 'finishedAt' | 'counts' | 'error'>
>;

export interface JobRegistry {
  insert(job: JobRecord): Promise<void>;
  /** Applies `patch`; when `ifState` is given, only if the job is in one of those states. Returns whether it applied. */
  update(id: string, patch: JobPatch, ifState?: JobState[]): Promise<boolean>;
  get(id: string): Promise<JobRecord | null>;
  /** Newest first. */
  list(query: ListJobsQuery): Promise<JobRecord[]>;
}
