/**
 * What every process of the distributed mode opens: the Redis client, the PostgreSQL
 * pool (migrated), the metrics registry and the ops server (/health, /health/ready,
 * /metrics). Start-up checks each service with a deadline, so a wrong URL fails with a
 * message naming the service instead of waiting forever; after start-up, outages are
 * waited out (the clients queue and retry).
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { UsageError } from '../core/errors.js';
import { createMetrics, type TrawlMetrics } from '../metrics/metrics.js';
import { migratePostgres } from '../backends/postgres/migrate.js';
import { createPgPool } from '../backends/postgres/pg-pool.js';
import { closeRedis, connectRedis, type RedisClient } from '../backends/redis/redis-connection.js';
import { activeRedisJobs, redisJobStatus } from '../backends/redis/redis-jobs.js';
import { readinessFromProbes, startOpsServer, type OpsServer } from './ops-server.js';
import type { WorkerRuntime } from './worker-runtime.js';

/** How long start-up waits for a service to answer, ms. */
const STARTUP_DEADLINE_MS = 10_000;

export interface DistributedServices {
  redis: RedisClient;
  pool: pg.Pool;
  metrics: TrawlMetrics;
  ops: OpsServer | null;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  redisUrl: string;
  databaseUrl: string;
  config: RuntimeConfig;
  log: Logger;
  /** 'worker' or 'crawl': the mode label of crawler_system_info. */
  role: string;
  /** The runtimes of this process, for the queue-depth gauges. */
  runtimes: () => WorkerRuntime[];
  /** Serve /health, /health/ready and /metrics. @default true */
  ops?: boolean;
}

export async function openDistributedServices(
  options: OpenServicesOptions,
): Promise<DistributedServices> {
  const { config, log } = options;
  let redisErrorLogged = false;
  const redis = connectRedis(options.redisUrl, {
    connectionName: `trawl-${options.role}`,
    onError: (err) => {
      // Every reconnect attempt errors: say it once per outage.
      if (!redisErrorLogged) log.warn({ err: err.message }, 'Redis unreachable; retrying');
      redisErrorLogged = true;
    },
  });
  redis.on('ready', () => {
    if (redisErrorLogged) log.info('Redis reachable again');
    redisErrorLogged = false;
  });
  const pool = createPgPool({
    url: options.databaseUrl,
    max: config.pgPoolMax,
    applicationName: `trawl-${options.role}`,
    onIdleError: (err) => log.warn({ err: err.message }, 'PostgreSQL connection lost; retrying'),
  });
  const closeClients = async (): Promise<void> => {
    await closeRedis(redis);
    await pool.end().catch(() => undefined);
  };
  try {
    await withDeadline(redis.ping(), `Redis at ${redactUrl(options.redisUrl)}`);
    await withDeadline(migratePostgres(pool), `PostgreSQL at ${redactUrl(options.databaseUrl)}`);
  } catch (err) {
    await closeClients();
    throw err;
  }

  const metrics = createMetrics({ log });
  metrics.setSystemInfo({ version: '0.1.0', mode: `distributed-${options.role}` });
  metrics.onCollect(async () => {
    metrics.redisConnections.set(redis.status === 'ready' ? 1 : 0);
    metrics.dbConnections.set({ state: 'total' }, pool.totalCount);
    metrics.dbConnections.set({ state: 'idle' }, pool.idleCount);
    metrics.dbConnections.set({ state: 'waiting' }, pool.waitingCount);
    let queued = 0;
    let inFlight = 0;
    let unwritten = 0;
    for (const jobId of await activeRedisJobs(redis, config.redisPrefix)) {
      const status = await redisJobStatus(redis, jobId, config.redisPrefix);
      queued += status.stats.queued;
      inFlight += status.stats.inFlight;
      unwritten += status.unwritten;
    }
    metrics.frontierQueued.set(queued);
    metrics.frontierInFlight.set(inFlight);
    metrics.resultsStreamLength.set(unwritten);
  });

  let ops: OpsServer | null = null;
  if (options.ops !== false) {
    ops = await startOpsServer({
      host: config.httpHost,
      port: config.httpPort,
      maxPortTries: config.httpPort === 0 ? 0 : 10,
      registry: metrics.registry,
      log,
      readiness: readinessFromProbes([
        {
          name: 'redis',
          // Commands queue while the client reconnects: say so at once instead of waiting.
          check: () =>
            redis.status === 'ready'
              ? redis.ping()
              : Promise.reject(new Error(`not connected (${redis.status})`)),
        },
        { name: 'postgres', check: () => pool.query('SELECT 1') },
      ]),
    });
    log.info({ url: ops.url }, 'health and metrics served');
  }
  return {
    redis,
    pool,
    metrics,
    ops,
    async close() {
      await ops?.close();
      await closeClients();
    },
  };
}

async function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  // Past the deadline nobody awaits `work`: its late failure must not surface unhandled.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new UsageError(`cannot reach ${what} within ${STARTUP_DEADLINE_MS / 1000} s`)),
      STARTUP_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot use ${what}: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
