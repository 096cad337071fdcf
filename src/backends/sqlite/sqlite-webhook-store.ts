/**
 * The webhook store of the embedded service: webhook_deliveries (one row per attempt),
 * webhook_progress (leased per job) and the API keys' webhook secrets, in service.db.
 */
import type {
  DeliveryAttempt,
  DeliveryProgress,
  DeliveryQuery,
  DeliveryRow,
  DeliveryStatus,
  WebhookStore,
} from '../../webhooks/delivery-log.js';
import type { ServiceDatabase } from './service-database.js';

interface AttemptRow {
  id: number;
  job_id: string;
  event: string;
  url: string;
  attempt: number;
  status: string;
  http_status: number | null;
  error: string | null;
  duration_ms: number | null;
  created_at: number;
}

interface ProgressRow {
  job_id: string;
  sent: string;
  page_position: string | null;
  page_offset: number;
}

const progressOf = (r: ProgressRow): DeliveryProgress => ({
  jobId: r.job_id,
  sent: r.sent === '' ? [] : r.sent.split(','),
  pagePosition: r.page_position,
  pageOffset: r.page_offset,
});

/** The caller owns `database` (closes it); the store holds only prepared statements. */
export function createSqliteWebhookStore(database: ServiceDatabase): WebhookStore {
  const { db } = database;
  const append = db.prepare(
    `INSERT INTO webhook_deliveries (job_id, event, url, attempt, status, http_status, error, duration_ms, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const list = db.prepare(
    `SELECT * FROM webhook_deliveries WHERE job_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  );
  const track = db.prepare(
    `INSERT INTO webhook_progress (job_id, owner, lease_until, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING`,
  );
  const renew = db.prepare(
    `UPDATE webhook_progress SET lease_until = ? WHERE owner = ? AND done = 0
     RETURNING job_id, sent, page_position, page_offset, created_at`,
  );
  const expired = db
    .prepare(
      `SELECT job_id FROM webhook_progress WHERE done = 0 AND lease_until < ?
     ORDER BY created_at LIMIT ?`,
    )
    .pluck();
  const takeOne = db.prepare(
    `UPDATE webhook_progress SET owner = ?, lease_until = ?
     WHERE job_id = ? AND done = 0 AND lease_until < ?
     RETURNING job_id, sent, page_position, page_offset`,
  );
  const save = db.prepare(
    `UPDATE webhook_progress SET sent = ?, page_position = ?, page_offset = ?, done = ?, updated_at = ?
     WHERE job_id = ? AND owner = ?`,
  );
  const release = db.prepare(
    `UPDATE webhook_progress SET owner = NULL, lease_until = 0 WHERE owner = ?`,
  );
  const keySecret = db.prepare('SELECT webhook_secret FROM api_keys WHERE id = ?').pluck();
  const take = db.transaction((owner: string, until: number, now: number, limit: number) => {
    const out: DeliveryProgress[] = [];
    for (const jobId of expired.all(now, limit) as string[]) {
      const row = takeOne.get(owner, until, jobId, now) as ProgressRow | undefined;
      if (row !== undefined) out.push(progressOf(row));
    }
    return out;
  });

  return {
    async append(a: DeliveryAttempt): Promise<void> {
      append.run(
        a.jobId,
        a.event,
        a.url,
        a.attempt,
        a.status,
        a.httpStatus,
        a.error,
        a.durationMs,
        a.createdAt,
      );
    },

    async list(jobId: string, query: DeliveryQuery): Promise<DeliveryRow[]> {
      const before = query.before === undefined ? Number.MAX_SAFE_INTEGER : Number(query.before);
      const rows = list.all(jobId, before, query.limit) as AttemptRow[];
      return rows.map((r) => ({
        id: String(r.id),
        jobId: r.job_id,
        event: r.event,
        url: r.url,
        attempt: r.attempt,
        status: r.status as DeliveryStatus,
        httpStatus: r.http_status,
        error: r.error,
        durationMs: r.duration_ms,
        createdAt: r.created_at,
      }));
    },

    async track(jobId: string, owner: string, leaseMs: number): Promise<void> {
      const now = Date.now();
      track.run(jobId, owner, now + leaseMs, now, now);
    },

    async renew(owner: string, leaseMs: number): Promise<DeliveryProgress[]> {
      const rows = renew.all(Date.now() + leaseMs, owner) as (ProgressRow & {
        created_at: number;
      })[];
      return rows.sort((a, b) => a.created_at - b.created_at).map(progressOf);
    },

    async take(owner: string, leaseMs: number, limit: number): Promise<DeliveryProgress[]> {
      if (limit <= 0) return [];
      const now = Date.now();
      return take.immediate(owner, now + leaseMs, now, limit);
    },

    async save(owner: string, p: DeliveryProgress, done: boolean): Promise<boolean> {
      const result = save.run(
        p.sent.join(','),
        p.pagePosition,
        p.pageOffset,
        done ? 1 : 0,
        Date.now(),
        p.jobId,
        owner,
      );
      return result.changes > 0;
    },

    async release(owner: string): Promise<void> {
      release.run(owner);
    },

    async keySecret(keyId: string): Promise<string | null> {
      return (keySecret.get(keyId) as string | undefined) ?? null;
    },
  };
}
