/**
 * Job webhooks of a running service, wired from the runtime config: the webhook store
 * (embedded, a connection of its own to service.db; distributed, the service's pool), the
 * guarded HTTP client, and the dispatcher, plus the JobService the API should use (it
 * tracks the webhook of every job created through it).
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../../config/runtime-config.js';
import type { JobService } from '../../jobs/job-service.js';
import { createPostgresWebhookStore } from '../../backends/postgres/postgres-webhook-store.js';
import { openServiceDatabase } from '../../backends/sqlite/service-database.js';
import { createSqliteWebhookStore } from '../../backends/sqlite/sqlite-webhook-store.js';
import type { DeliveryLog } from '../../webhooks/delivery-log.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.js';
import { createWebhookPoster } from './webhook-poster.js';
import { webhookTrackingJobs } from './webhook-tracking-jobs.js';

/** Dispatcher tuning that is not runtime config (tests shorten the backoff and the poll). */
export type WebhookTuning = Partial<
  Pick<
    WebhookDispatcherOptions,
    | 'baseDelayMs'
    | 'maxDelayMs'
    | 'pollMs'
    | 'discoverEveryMs'
    | 'leaseMs'
    | 'concurrency'
    | 'batchSize'
    | 'abandonAfterFailures'
  >
>;

export interface ServiceWebhooks {
  /** The job service to hand the API. */
  jobs: JobService;
  /** For AppDeps.webhooks. */
  api: { log: DeliveryLog; serviceSecret: boolean };
  /** Starts delivering. */
  start(): void;
  /** Stops delivering (attempts under way finish) and closes what this opened. */
  close(): Promise<void>;
}

export interface ServiceWebhooksOptions {
  config: RuntimeConfig;
  jobs: JobService;
  /** Distributed: the service's pool (not ended here); null: embedded. */
  pool: pg.Pool | null;
  /** The SSRF guard's allow list (TRAWL_ALLOW_TARGETS). */
  allow: string[];
  log: Logger;
  tuning?: WebhookTuning;
}

export function openServiceWebhooks(options: ServiceWebhooksOptions): ServiceWebhooks {
  const { config, log } = options;
  const database = options.pool === null ? openServiceDatabase(config.dataDir) : null;
  const store =
    database === null
      ? createPostgresWebhookStore(options.pool!)
      : createSqliteWebhookStore(database);
  const poster = createWebhookPoster({
    guard: { allow: options.allow },
    timeoutMs: config.webhookTimeoutMs,
  });
  const dispatcher = new WebhookDispatcher({
    ...options.tuning,
    jobs: options.jobs,
    store,
    post: poster.post,
    classifyError: poster.classifyError,
    serviceSecret: config.webhookSecret,
    log: log.child({ component: 'webhooks' }),
    maxAttempts: config.webhookMaxAttempts,
  });
  return {
    jobs: webhookTrackingJobs(options.jobs, dispatcher),
    api: { log: store, serviceSecret: config.webhookSecret !== null },
    start: () => dispatcher.start(),
    async close() {
      await dispatcher.stop();
      await poster.close();
      await database?.close();
    },
  };
}
