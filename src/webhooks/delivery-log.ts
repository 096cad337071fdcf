/**
 * The webhook store port: the delivery log (one row per attempt, read by
 * `GET /trawl/v1/jobs/:id/webhooks`) and each job's delivery progress (which lifecycle
 * events were handled, how far through the job's results the page events got), so a
 * restarted service carries on where it stopped instead of sending everything again.
 *
 * Progress rows are leased: a dispatcher works only on jobs it holds the lease of and
 * renews it while it runs, so several `trawl serve` processes on one database never
 * deliver the same job's events twice, and a crashed one's jobs pass to another once its
 * lease runs out. Embedded on service.db (SQLite), distributed on PostgreSQL.
 */

/** delivered: 2xx; retrying: failed, another attempt follows; failed: given up; abandoned: not attempted (see the error). */
export type DeliveryStatus = 'delivered' | 'retrying' | 'failed' | 'abandoned';

export interface DeliveryAttempt {
  jobId: string;
  /** The event's name on the wire (`job.page`, `crawl.completed`). */
  event: string;
  url: string;
  /** 1-based; 0 for a row that records an event not attempted. */
  attempt: number;
  status: DeliveryStatus;
  httpStatus: number | null;
  error: string | null;
  durationMs: number | null;
  /** Epoch ms. */
  createdAt: number;
}

export interface DeliveryRow extends DeliveryAttempt {
  /** Increasing with time; the listing's cursor. */
  id: string;
}

export interface DeliveryQuery {
  /** Most rows returned, newest first. */
  limit: number;
  /** Only rows older than this id (a previous page's last id). */
  before?: string;
}

/** How far a job's deliveries got. */
export interface DeliveryProgress {
  jobId: string;
  /** Lifecycle events handled (sent, failed for good, or not subscribed to). */
  sent: string[];
  /** The results position the current batch of pages starts after; null: the start. */
  pagePosition: string | null;
  /** Pages of that batch already handled. */
  pageOffset: number;
}

export interface DeliveryLog {
  append(attempt: DeliveryAttempt): Promise<void>;
  /** The job's attempts, newest first. */
  list(jobId: string, query: DeliveryQuery): Promise<DeliveryRow[]>;
}

export interface DeliveryProgressStore {
  /** Starts tracking a job (no-op when tracked), leased to `owner` for `leaseMs`. */
  track(jobId: string, owner: string, leaseMs: number): Promise<void>;
  /** Extends `owner`'s leases; returns its jobs not done yet, oldest first. */
  renew(owner: string, leaseMs: number): Promise<DeliveryProgress[]>;
  /** Leases up to `limit` jobs not done whose lease ran out (or was released) to `owner`. */
  take(owner: string, leaseMs: number, limit: number): Promise<DeliveryProgress[]>;
  /** Records progress; false (nothing written) when `owner` no longer holds the lease. */
  save(owner: string, progress: DeliveryProgress, done: boolean): Promise<boolean>;
  /** Gives up `owner`'s leases (a clean stop), so the next start carries on at once. */
  release(owner: string): Promise<void>;
}

export interface WebhookStore extends DeliveryLog, DeliveryProgressStore {
  /** The webhook secret of API key `keyId`, or null when no such key exists. */
  keySecret(keyId: string): Promise<string | null>;
}
