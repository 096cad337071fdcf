/**
 * Composition root of `trawl serve`: picks the job service (embedded on SQLite, or
 * distributed over Redis and PostgreSQL, from the runtime config), the target policy
 * (the SSRF guard with TRAWL_ALLOW_TARGETS), and builds the API app. Listening is the
 * caller's (startService), so tests can build the same service and inject requests.
 */
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { distributedServices, type RuntimeConfig } from '../../config/runtime-config.js';
import { UsageError } from '../../core/errors.js';
import type { JobService } from '../../jobs/job-service.js';
import { createMetrics } from '../../metrics/metrics.js';
import { createAddressGuard } from '../../fetch/http/address-guard.js';
import { buildApp } from '../../api/build-app.js';
import type { ApiSettings, AppDeps, TargetPolicy } from '../../api/app-deps.js';
import { globalKeys } from '../../backends/redis/keys.js';
import { openDistributedServices } from '../distributed-services.js';
import { validateJobPipeline } from '../job-pipeline.js';
import { serviceApiKeys, type OpenedApiKeys } from './api-keys.js';
import { DistributedJobService } from './distributed-job-service.js';
import { EmbeddedJobService } from './embedded-job-service.js';
import { PageScraper } from './page-scraper.js';
import { openArtifactStore } from '../artifact-store.js';
import type { SchedulerTuning } from '../../jobs/scheduler.js';
import { openServiceSchedules, type ServiceSchedules } from './service-schedules.js';
import {
  openServiceWebhooks,
  type ServiceWebhooks,
  type WebhookTuning,
} from './service-webhooks.js';

export interface OpenedService {
  app: FastifyInstance;
  jobs: JobService;
  /** The app's settings: publicUrl may be set once the bound address is known. */
  settings: ApiSettings;
  /** Stops the app, the running jobs (resumable) and the clients, in that order. */
  close(): Promise<void>;
}

export interface OpenServiceOptions {
  config: RuntimeConfig;
  log: Logger;
  /** Log each request (pino). @default true */
  requestLog?: boolean;
  /** The public base when publicUrl is not configured (the bound address). */
  baseUrl?: string;
  /** Webhook dispatcher tuning beyond the runtime config (tests: short backoff). */
  webhooks?: WebhookTuning;
  /** Scheduler tuning beyond the runtime config (tests: a short tick, their own clock). */
  schedules?: SchedulerTuning;
}

/** The allow list from TRAWL_ALLOW_TARGETS: comma-separated, blanks ignored. */
export function allowTargets(config: RuntimeConfig): string[] {
  return config.allowTargets
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function targetPolicy(config: RuntimeConfig): TargetPolicy {
  const guard = { allow: allowTargets(config) };
  // Parses the allow list now: a bad entry stops the start with a message naming it.
  const check = createAddressGuard(guard);
  return { guard, check: (url) => check.checkUrl(url) };
}

export async function openService(options: OpenServiceOptions): Promise<OpenedService> {
  const { config, log } = options;
  const targets = targetPolicy(config);
  const services = distributedServices(config);
  let jobs: JobService;
  let registry: Registry;
  let closeClients = async (): Promise<void> => {};
  let apiKeys: OpenedApiKeys;
  let rateLimitRedis: AppDeps['rateLimitRedis'];
  let webhooks: ServiceWebhooks;
  let schedules: ServiceSchedules;
  const scheduleOptions = { config, log, guard: targets.guard, tuning: options.schedules };
  const webhookOptions = { config, log, allow: allowTargets(config), tuning: options.webhooks };
  if (services === null) {
    jobs = await EmbeddedJobService.open({
      dataDir: config.dataDir,
      log,
      maxRunningJobs: config.maxRunningJobs,
    });
    const metrics = createMetrics({ log });
    metrics.setSystemInfo({ version: '0.1.0', mode: 'embedded-serve' });
    registry = metrics.registry;
    apiKeys = serviceApiKeys(config, null, log);
    webhooks = openServiceWebhooks({ ...webhookOptions, jobs, pool: null });
    schedules = openServiceSchedules({ ...scheduleOptions, jobs: webhooks.jobs, pool: null });
  } else {
    const open = await openDistributedServices({
      ...services,
      config,
      log,
      role: 'serve',
      runtimes: () => [],
      ops: false,
    });
    jobs = new DistributedJobService({
      redis: open.redis,
      pool: open.pool,
      prefix: config.redisPrefix,
      maxStreamLength: config.maxStreamLength,
    });
    registry = open.metrics.registry;
    // The limiter's own connection, without an offline queue: while Redis is away its
    // commands fail at once (and requests pass, skipOnError) instead of hanging every request.
    const limiterRedis =
      'nodes' in open.redis
        ? open.redis.duplicate(undefined, { enableOfflineQueue: false })
        : open.redis.duplicate({ enableOfflineQueue: false });
    limiterRedis.on('error', () => undefined); // the service's client reports outages
    closeClients = async () => {
      limiterRedis.disconnect();
      await open.close();
    };
    apiKeys = serviceApiKeys(config, open.pool, log);
    webhooks = openServiceWebhooks({ ...webhookOptions, jobs, pool: open.pool });
    schedules = openServiceSchedules({ ...scheduleOptions, jobs: webhooks.jobs, pool: open.pool });
    // One counter per API key (or address) and minute, shared by every service instance.
    rateLimitRedis = { client: limiterRedis, keyPrefix: globalKeys(config.redisPrefix).rateLimit };
  }
  const settings: ApiSettings = {
    publicUrl: (
      config.publicUrl ??
      options.baseUrl ??
      `http://${hostForUrl(config.apiHost)}:${config.apiPort}`
    ).replace(/\/+$/, ''),
    maxUrls: config.apiMaxUrls,
    bodyLimitBytes: config.apiBodyLimitBytes,
    scrapeTimeoutMs: config.scrapeTimeoutMs,
    rateLimitPerMinute: config.rateLimitPerMinute,
    apiKeyCacheMs: config.apiKeyCacheMs,
    firecrawlPageSize: config.firecrawlPageSize,
    artifactsTarget: absoluteTarget(config.artifacts ?? join(config.dataDir, 'artifacts')),
  };
  const artifacts = openArtifactStore(settings.artifactsTarget);
  // One fetcher for every scrape, behind the same SSRF guard as the jobs.
  const scraper = new PageScraper({ addressGuard: targets.guard });
  let app: FastifyInstance;
  try {
    app = await buildApp({
      jobs: webhooks.jobs,
      targets,
      settings,
      registry,
      checkSpec: validateJobPipeline,
      log: options.requestLog === false ? false : log,
      apiKeys: apiKeys.keys,
      rateLimitRedis,
      webhooks: webhooks.api,
      scraper,
      artifacts,
      schedules: schedules.scheduler,
    });
  } catch (err) {
    await schedules.close();
    await scraper.close();
    await artifacts.close();
    await webhooks.close();
    await apiKeys.close();
    await jobs.close();
    await closeClients();
    throw err;
  }
  webhooks.start();
  schedules.start();
  return {
    app,
    jobs: webhooks.jobs,
    settings,
    async close() {
      // First: no fire may create a job while the app and the job service close.
      await schedules.scheduler.stop();
      await app.close();
      await schedules.close();
      await scraper.close();
      await artifacts.close();
      await webhooks.close();
      await apiKeys.close();
      await jobs.close();
      await closeClients();
    },
  };
}

/** A directory made absolute (workers may run elsewhere than the service's cwd); s3:// as it is. */
function absoluteTarget(target: string): string {
  return /^s3:\/\//i.test(target) ? target : resolve(target);
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Loopback interfaces: the only ones served without API keys unless allowed. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || /^127\./.test(host) || host === '::1';
}

export function assertBindAllowed(config: RuntimeConfig, keysExist: boolean): void {
  if (keysExist || config.allowNoAuth || isLoopbackHost(config.apiHost)) return;
  throw new UsageError(
    `refusing to listen on ${config.apiHost} without API keys: anyone who reaches it could crawl through this machine. Create a key (trawl keys create), listen on 127.0.0.1, or set TRAWL_ALLOW_NO_AUTH=true`,
  );
}
