/**
 * The webhook store of the distributed service: webhook_deliveries (one row per attempt),
 * webhook_progress (leased per job, against the database's clock so the serving
 * processes' clocks need not agree) and the API keys' webhook secrets, in PostgreSQL.
 */
import type pg from 'pg';
import type {
  DeliveryAttempt,
  DeliveryProgress,
  DeliveryQuery,
  DeliveryRow,
  DeliveryStatus,
  WebhookStore,
} from '../../webhooks/delivery-log.js';
import { storableText, storableTextOrNull } from './pg-sanitize.js';

interface AttemptRow {
  id: string;
  job_id: string;
  event: string;
  url: string;
  attempt: number;
  status: string;
  http_status: number | null;
  error: string | null;
  duration_ms: number | null;
  created_ms: number;
}

interface ProgressRow {
  job_id: string;
  sent: string;
  page_position: string | null;
  page_offset: number;
}

const PROGRESS = 'job_id, sent, page_position, page_offset';

const progressOf = (r: ProgressRow): DeliveryProgress => ({
  jobId: r.job_id,
  sent: r.sent === '' ? [] : r.sent.split(','),
  pagePosition: r.page_position,
  pageOffset: r.page_offset,
});

/** Uses `pool`, which the caller owns and ends. */
export function createPostgresWebhookStore(pool: pg.Pool): WebhookStore {
  return {
    async append(a: DeliveryAttempt): Promise<void> {
      await pool.query(
        `INSERT INTO webhook_deliveries (job_id, event, url, attempt, status, http_status, error, duration_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9::float8 / 1000))`,
        [
          a.jobId,
          a.event,
          storableText(a.url),
          a.attempt,
          a.status,
          a.httpStatus,
          storableTextOrNull(a.error),
          a.durationMs,
          a.createdAt,
        ],
      );
    },

    async list(jobId: string, query: DeliveryQuery): Promise<DeliveryRow[]> {
      // ORDER BY the column, not the text alias of the same name (text order: '9' > '10').
      const { rows } = await pool.query<AttemptRow>(
        `SELECT id::text AS id, job_id, event, url, attempt, status, http_status, error, duration_ms,
           (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
         FROM webhook_deliveries WHERE job_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
         ORDER BY webhook_deliveries.id DESC LIMIT $3`,
        [jobId, query.before ?? null, query.limit],
      );
      return rows.map((r) => ({
        id: r.id,
        jobId: r.job_id,
        event: r.event,
        url: r.url,
        attempt: r.attempt,
        status: r.status as DeliveryStatus,
        httpStatus: r.http_status,
        error: r.error,
        durationMs: r.duration_ms,
        createdAt: Math.round(r.created_ms),
      }));
    },

    async track(jobId: string, owner: string, leaseMs: number): Promise<void> {
      await pool.query(
        `INSERT INTO webhook_progress (job_id, owner, lease_until)
         VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
         ON CONFLICT (job_id) DO NOTHING`,
        [jobId, owner, leaseMs],
      );
    },

    async renew(owner: string, leaseMs: number): Promise<DeliveryProgress[]> {
      const { rows } = await pool.query<ProgressRow & { created_at: Date }>(
        `UPDATE webhook_progress SET lease_until = now() + make_interval(secs => $2::float8 / 1000)
         WHERE owner = $1 AND NOT done RETURNING ${PROGRESS}, created_at`,
        [owner, leaseMs],
      );
      return rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime()).map(progressOf);
    },

    async take(owner: string, leaseMs: number, limit: number): Promise<DeliveryProgress[]> {
      if (limit <= 0) return [];
      // SKIP LOCKED: two dispatchers taking at once get different jobs instead of waiting.
      const { rows } = await pool.query<ProgressRow>(
        `UPDATE webhook_progress SET owner = $1,
           lease_until = now() + make_interval(secs => $2::float8 / 1000)
         WHERE job_id IN (
           SELECT job_id FROM webhook_progress WHERE NOT done AND lease_until < now()
           ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING ${PROGRESS}`,
        [owner, leaseMs, limit],
      );
      return rows.map(progressOf);
    },

    async save(owner: string, p: DeliveryProgress, done: boolean): Promise<boolean> {
      const result = await pool.query(
        `UPDATE webhook_progress SET sent = $3, page_position = $4, page_offset = $5, done = $6,
           updated_at = now()
         WHERE job_id = $1 AND owner = $2`,
        [p.jobId, owner, p.sent.join(','), p.pagePosition, p.pageOffset, done],
      );
      return (result.rowCount ?? 0) > 0;
    },

    async release(owner: string): Promise<void> {
      await pool.query(
        `UPDATE webhook_progress SET owner = NULL, lease_until = 'epoch' WHERE owner = $1`,
        [owner],
      );
    },

    async keySecret(keyId: string): Promise<string | null> {
      const { rows } = await pool.query<{ webhook_secret: string }>(
        'SELECT webhook_secret FROM api_keys WHERE id = $1',
        [keyId],
      );
      return rows[0]?.webhook_secret ?? null;
    },
  };
}
