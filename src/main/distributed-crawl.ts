/**
 * `trawl crawl --redis URL --database URL`: the same crawl as the embedded mode, with the
 * same flags and the same output, run by the cluster. It submits the job (or resumes it:
 * a job is known by its seeds, as an embedded crawl is by its data dir), runs N worker
 * runtimes in this process (0: only separately started workers), shows progress, waits
 * until the job is done everywhere and every result is written to PostgreSQL (the
 * writers' watermark), then exports from PostgreSQL.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { sleep } from '../core/clock.js';
import { exportPages } from '../storage/export/write-export.js';
import { deleteCrawlJob, upsertCrawlJob } from '../backends/postgres/crawl-jobs.js';
import { createPostgresPageStore } from '../backends/postgres/postgres-page-store.js';
import { assertJobId } from '../backends/redis/keys.js';
import { JobGoneError } from '../backends/redis/redis-frontier.js';
import {
  deleteRedisJob,
  readDeadLetters,
  redisJobStatus,
  type RedisJobStatus,
} from '../backends/redis/redis-jobs.js';
import { openDistributedServices } from './distributed-services.js';
import { canonicalSeeds } from './job-parts.js';
import { submitCrawlJob } from './submit-job.js';
import type { CrawlProgress, CrawlRunOptions, CrawlSummary } from './run-crawl.js';
import { WorkerRuntime } from './worker-runtime.js';

export interface DistributedCrawlOptions extends CrawlRunOptions {
  /** null: derived from the seeds, so the same command resumes the same job. */
  jobId: string | null;
  redisUrl: string;
  databaseUrl: string;
  config: RuntimeConfig;
  /** Worker runtimes started in this process (0: only separately started workers crawl). */
  workers: number;
}

export interface DistributedCrawlSummary extends CrawlSummary {
  jobId: string;
  /** Results the writers could not store (in the job's dead-letter stream). */
  deadLetters: number;
}

/** The job id of a crawl of these seeds: the same seeds, the same job (resumable). */
export function defaultJobId(seeds: string[]): string {
  const key = JSON.stringify([...seeds].sort());
  return `crawl-${createHash('sha1').update(key).digest('hex').slice(0, 16)}`;
}

const POLL_MS = 200;

export async function runDistributedCrawl(
  options: DistributedCrawlOptions,
): Promise<DistributedCrawlSummary> {
  const { spec, config, log } = options;
  const seeds = canonicalSeeds(spec.seeds, spec.sortQuery);
  const jobId = assertJobId(options.jobId ?? defaultJobId(seeds.map((s) => s.href)));
  const prefix = config.redisPrefix;
  const runtimes: WorkerRuntime[] = [];
  const services = await openDistributedServices({
    redisUrl: options.redisUrl,
    databaseUrl: options.databaseUrl,
    config,
    log,
    role: 'crawl',
    runtimes: () => runtimes,
  });
  const { redis, pool } = services;
  const startedAt = Date.now();
  const cpuStart = process.cpuUsage();
  let interrupted = false;
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    interrupted = true;
    if (signals === 1) {
      log.warn('stopping: finishing requests in flight (signal again to stop at once)');
      void Promise.all(runtimes.map((r) => r.stop(config.shutdownTimeoutMs)));
    } else {
      void Promise.all(runtimes.map((r) => r.stop(0)));
    }
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    if (options.fresh) {
      await deleteRedisJob(redis, jobId, prefix);
      await deleteCrawlJob(pool, jobId);
    }
    await upsertCrawlJob(pool, jobId, spec);
    await submitCrawlJob({
      redis,
      jobId,
      prefix,
      spec,
      maxStreamLength: config.maxStreamLength,
    });
    const before = (await redisJobStatus(redis, jobId, prefix)).stats;
    log.info({ job: jobId, workers: options.workers }, 'job submitted');

    for (let i = 0; i < options.workers; i++) {
      const runtime = new WorkerRuntime({
        redis,
        pool,
        prefix,
        concurrency: spec.concurrency,
        writer: true,
        writerBatchSize: config.writerBatchSize,
        writerClaimIdleMs: config.writerClaimIdleMs,
        log,
        metrics: services.metrics,
        onlyJobs: new Set([jobId]),
        artifactsTarget: config.artifacts ?? join(config.dataDir, 'artifacts'),
      });
      runtimes.push(runtime);
      await runtime.start();
    }

    const progress = (status: RedisJobStatus): CrawlProgress => {
      const elapsedMs = Date.now() - startedAt;
      const s = status.stats;
      const finishedThisRun = s.succeeded + s.failed - (before.succeeded + before.failed);
      return {
        frontier: s,
        finishedThisRun,
        retries: s.retries - before.retries,
        bytes: s.bytes - before.bytes,
        elapsedMs,
        pagesPerSec: elapsedMs > 0 ? (finishedThisRun * 1000) / elapsedMs : 0,
        stopping: interrupted,
      };
    };

    // Wait for the job to be over everywhere and its results written (the watermark).
    let status = await redisJobStatus(redis, jobId, prefix);
    let lastReport = 0;
    while (!interrupted && !(status.done && status.unwritten === 0)) {
      await sleep(POLL_MS);
      status = await redisJobStatus(redis, jobId, prefix);
      if (status.state === 'gone') throw new JobGoneError(jobId);
      if (options.onProgress && Date.now() - lastReport >= (options.progressIntervalMs ?? 250)) {
        lastReport = Date.now();
        options.onProgress(progress(status));
      }
    }
    log.info({ job: jobId, elapsedMs: Date.now() - startedAt }, 'job done and written');
    await Promise.all(runtimes.map((r) => r.stop(config.shutdownTimeoutMs)));
    status = await redisJobStatus(redis, jobId, prefix);

    const store = createPostgresPageStore(pool, jobId);
    const pagesStored = await store.countPages();
    let exported: number | null = null;
    if (options.out !== null) {
      exported = await exportPages(store, options.out, options.format, {
        warc: { userAgent: spec.userAgent },
      });
      log.info({ job: jobId, exported, elapsedMs: Date.now() - startedAt }, 'exported');
    }
    if (status.deadLetters > 0) {
      const samples = await readDeadLetters(redis, jobId, prefix, 3);
      log.error(
        {
          job: jobId,
          deadLetters: status.deadLetters,
          examples: samples.map((d) => ({ url: d.record?.url ?? null, error: d.error })),
        },
        "some results could not be stored; they are kept in the job's dead-letter stream",
      );
    }
    const cpu = process.cpuUsage(cpuStart);
    const final = progress(status);
    return {
      ...final,
      jobId,
      deadLetters: status.deadLetters,
      result: interrupted ? 'interrupted' : status.stats.queued === 0 ? 'complete' : 'max-pages',
      pagesStored,
      exported,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await Promise.all(runtimes.map((r) => r.stop(0)));
    await services.close();
  }
}
