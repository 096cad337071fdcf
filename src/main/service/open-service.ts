/**
 * Composition root of `trawl serve`: picks the job service (embedded on SQLite, or
 * distributed over Redis and PostgreSQL, from the runtime config), the target policy
 * (the SSRF guard with TRAWL_ALLOW_TARGETS), and builds the API app. Listening is the
 * caller's (startService), so tests can build the same service and inject requests.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { distributedServices, type RuntimeConfig } from '../../config/runtime-config.js';
import { UsageError } from '../../core/errors.js';
import type { JobService } from '../../jobs/job-service.js';
import { createMetrics } from '../../metrics/metrics.js';
import { createAddressGuard } from '../../fetch/http/address-guard.js';
import { buildApp } from '../../api/build-app.js';
import type { ApiSettings, TargetPolicy } from '../../api/app-deps.js';
import { openDistributedServices } from '../distributed-services.js';
import { validateJobPipeline } from '../job-pipeline.js';
import { DistributedJobService } from './distributed-job-service.js';
import { EmbeddedJobService } from './embedded-job-service.js';

export interface OpenedService {
  app: FastifyInstance;
  jobs: JobService;
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
  let registry;
  let closeClients = async (): Promise<void> => {};
  if (services === null) {
    jobs = await EmbeddedJobService.open({
      dataDir: config.dataDir,
      log,
      maxRunningJobs: config.maxRunningJobs,
    });
    const metrics = createMetrics({ log });
    metrics.setSystemInfo({ version: '0.1.0', mode: 'embedded-serve' });
    registry = metrics.registry;
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
    closeClients = () => open.close();
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
  };
  let app: FastifyInstance;
  try {
    app = await buildApp({
      jobs,
      targets,
      settings,
      registry,
      checkSpec: validateJobPipeline,
      log: options.requestLog === false ? false : log,
    });
  } catch (err) {
    await jobs.close();
    await closeClients();
    throw err;
  }
  return {
    app,
    jobs,
    async close() {
      await app.close();
      await jobs.close();
      await closeClients();
    },
  };
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
