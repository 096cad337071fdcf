/**
 * Schedules of a running service, wired from the runtime config: the schedule store
 * (embedded, a connection of its own to service.db; distributed, the service's pool) and
 * the scheduler that fires them through the API's job service (so scheduled jobs'
 * webhooks are tracked like any other job's).
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { CrawlSpec } from '../../config/crawl-spec.js';
import type { RuntimeConfig } from '../../config/runtime-config.js';
import type { JobService } from '../../jobs/job-service.js';
import { Scheduler, type SchedulerTuning } from '../../jobs/scheduler.js';
import { createPostgresScheduleStore } from '../../backends/postgres/postgres-schedule-store.js';
import { openServiceDatabase } from '../../backends/sqlite/service-database.js';
import { createSqliteScheduleStore } from '../../backends/sqlite/sqlite-schedule-store.js';

export interface ServiceSchedules {
  /** For AppDeps.schedules. */
  scheduler: Scheduler;
  /** Starts firing due schedules. */
  start(): void;
  /** Stops firing (a fire under way finishes) and closes what this opened. */
  close(): Promise<void>;
}

export interface ServiceSchedulesOptions {
  config: RuntimeConfig;
  /** The API's job service (webhook tracking included). */
  jobs: JobService;
  /** Distributed: the service's pool (not ended here); null: embedded. */
  pool: pg.Pool | null;
  /** The SSRF guard set on every scheduled job. */
  guard: CrawlSpec['addressGuard'];
  log: Logger;
  tuning?: SchedulerTuning;
}

export function openServiceSchedules(options: ServiceSchedulesOptions): ServiceSchedules {
  const database = options.pool === null ? openServiceDatabase(options.config.dataDir) : null;
  const store =
    database === null
      ? createPostgresScheduleStore(options.pool!)
      : createSqliteScheduleStore(database);
  const scheduler = new Scheduler({
    ...options.tuning,
    store,
    jobs: options.jobs,
    guard: options.guard,
    log: options.log.child({ component: 'schedules' }),
  });
  return {
    scheduler,
    start: () => scheduler.start(),
    async close() {
      await scheduler.stop();
      await database?.close();
    },
  };
}
