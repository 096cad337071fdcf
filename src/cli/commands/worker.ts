/**
 * `trawl worker`: joins the cluster and serves every job in it (crawling, and writing
 * results to PostgreSQL unless --no-writer) until SIGTERM or SIGINT, then stops
 * gracefully: requests in flight finish within the shutdown deadline, the rest are
 * handed back, the writer flushes, exit 0. A second signal hands everything back at once.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { distributedServices } from '../../config/runtime-config.js';
import { UsageError } from '../../core/errors.js';
import { createLogger } from '../../log/logger.js';
import { openDistributedServices } from '../../main/distributed-services.js';
import { processConfig } from '../../main/process-config.js';
import { WorkerRuntime } from '../../main/worker-runtime.js';
import { intFlag } from '../options.js';

interface WorkerFlags {
  redis?: string;
  database?: string;
  concurrency?: number;
  writer: boolean;
  config?: string;
  httpHost?: string;
  httpPort?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('serve every crawl job of the cluster (Redis + PostgreSQL) until stopped')
    .option(
      '--redis <url>',
      'Redis: redis://host:port or redis+cluster://host:port,... (or TRAWL_REDIS_URL)',
    )
    .option('--database <url>', 'PostgreSQL: postgres://user@host/db (or TRAWL_DATABASE_URL)')
    .option(
      '-c, --concurrency <n>',
      'requests in flight in this process, over all jobs (default 64)',
      intFlag(1),
    )
    .option('--no-writer', 'do not write results to PostgreSQL in this process')
    .option('--config <file>', 'JSON file of runtime settings (see README)')
    .option('--http-host <host>', '/health and /metrics interface (default 127.0.0.1)')
    .option(
      '--http-port <port>',
      '/health and /metrics port; the next free one is used if taken (default 9464)',
      intFlag(0),
    )
    .addOption(
      new Option('--log-level <level>', 'log level (default info)').choices([
        'debug',
        'info',
        'warn',
        'error',
        'silent',
      ]),
    )
    .action(async (flags: WorkerFlags) => {
      const config = processConfig(flags.config, {
        redisUrl: flags.redis,
        databaseUrl: flags.database,
        workerConcurrency: flags.concurrency,
        httpHost: flags.httpHost,
        httpPort: flags.httpPort,
        logLevel: flags.logLevel,
      });
      const services = distributedServices(config);
      if (services === null) {
        throw new UsageError(
          'trawl worker needs Redis and PostgreSQL: pass --redis and --database (or set TRAWL_REDIS_URL and TRAWL_DATABASE_URL)',
        );
      }
      const log = createLogger(config.logLevel);
      let runtime: WorkerRuntime | null = null;
      const open = await openDistributedServices({
        ...services,
        config,
        log,
        role: 'worker',
        runtimes: () => (runtime === null ? [] : [runtime]),
      });
      runtime = new WorkerRuntime({
        redis: open.redis,
        pool: open.pool,
        prefix: config.redisPrefix,
        concurrency: config.workerConcurrency,
        writer: flags.writer,
        writerBatchSize: config.writerBatchSize,
        writerClaimIdleMs: config.writerClaimIdleMs,
        log,
        metrics: open.metrics,
        artifactsTarget: config.artifacts ?? join(config.dataDir, 'artifacts'),
      });
      const stopped = new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals): void => {
          signals++;
          log.info({ signal }, signals === 1 ? 'stopping gracefully' : 'stopping now');
          void runtime!.stop(signals === 1 ? config.shutdownTimeoutMs : 0).then(resolve);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      await runtime.start();
      await stopped;
      await open.close();
    });
}
