/**
 * The schedule store port: recurring crawls (a job spec plus a cron expression) kept by
 * the service, and the jobs each one made. The embedded adapter keeps them in service.db,
 * the distributed one in PostgreSQL; several `trawl serve` processes share one store, and
 * `claim` (a compare-and-set on the due time) is what makes one fire create one job.
 */
import type { CrawlSpec } from '../config/crawl-spec.js';

/** skip: a fire while the schedule's previous job is not final is skipped (and counted); queue: it creates a job anyway. */
export type ScheduleOverlap = 'skip' | 'queue';

export interface Schedule {
  id: string;
  /** 5 fields (minute precision), or 6 with a single seconds value. */
  cron: string;
  /** IANA time zone the cron expression is read in. */
  timezone: string;
  enabled: boolean;
  overlap: ScheduleOverlap;
  /** The validated job spec each fire runs (its address guard is set again at each fire). */
  spec: CrawlSpec;
  /** Given to each job's meta as is (the client's webhook). */
  meta: Record<string, unknown>;
  /** Epoch ms of the next fire; null when the expression never fires again. */
  nextRunAt: number | null;
  /** Epoch ms of the last fire (skipped ones included). */
  lastRunAt: number | null;
  /** The last job this schedule created (any state). */
  lastJobId: string | null;
  createdAt: number;
  /** Jobs created. */
  runs: number;
  /** Fires skipped because the previous job was not final (overlap skip). */
  skipped: number;
}

export interface SchedulePatch {
  enabled?: boolean;
  cron?: string;
  timezone?: string;
  /** Set with any change of the above: when the schedule fires next. */
  nextRunAt: number | null;
}

export interface ScheduleListQuery {
  limit: number;
  /** Only entries older than this id (a previous page's last id). */
  before?: string;
}

export interface ScheduleStore {
  insert(schedule: Schedule): Promise<void>;
  /** null when no such schedule. */
  get(id: string): Promise<Schedule | null>;
  /** Newest first. */
  list(query: ScheduleListQuery): Promise<Schedule[]>;
  /** The updated schedule, or null when no such schedule. */
  update(id: string, patch: SchedulePatch): Promise<Schedule | null>;
  /** false when no such schedule. The jobs it made stay; its list of them goes. */
  delete(id: string): Promise<boolean>;
  /** Enabled schedules whose next fire is at or before `now`, the most overdue first. */
  due(now: number, limit: number): Promise<Schedule[]>;
  /**
   * Takes the fire due at `due`: moves next_run_at to `next` and last_run_at to `now` only
   * if next_run_at is still `due` and the schedule is enabled. true: this caller fires;
   * false: another instance did (or the schedule changed).
   */
  claim(id: string, due: number, next: number | null, now: number): Promise<boolean>;
  /** A job this schedule created: its list, lastJobId and runs. */
  recordRun(id: string, jobId: string, at: number): Promise<void>;
  /** A fire skipped (overlap skip). */
  recordSkip(id: string): Promise<void>;
  /** Ids of the jobs it created, newest first; `before` is a job id of a previous page. */
  jobIds(id: string, query: ScheduleListQuery): Promise<string[]>;
}
