/**
 * `trawl serve` for a test, in either mode, listening on a free loopback port: embedded
 * (jobs crawl in the service process, SQLite in a temp data dir) or distributed (the
 * service only schedules; one worker runtime in this process crawls, against a sandbox's
 * Redis prefix and PostgreSQL schema). Loopback targets are allowed (127.0.0.0/8), as
 * they must be for local test sites; tests of the guard itself override TRAWL_ALLOW_TARGETS.
 */
import type { FastifyInstance } from 'fastify';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/config/runtime-config.js';
import type { JobInfo, JobService, JobState } from '../../src/jobs/job-service.js';
import { createLogger } from '../../src/log/logger.js';
import { openDistributedServices } from '../../src/main/distributed-services.js';
import { openService, targetPolicy } from '../../src/main/service/open-service.js';
import type { WebhookTuning } from '../../src/main/service/service-webhooks.js';
import type { SchedulerTuning } from '../../src/jobs/scheduler.js';
import { openApiKeys } from '../../src/main/service/api-keys.js';
import { startGrpcServer } from '../../src/api/grpc/grpc-server.js';
import { WorkerRuntime } from '../../src/main/worker-runtime.js';
import { distributedSandbox } from './distributed.js';
import { freePort } from './free-port.js';
import { tempDir } from './temp-dir.js';

export type ServiceMode = 'embedded' | 'distributed';
export const SERVICE_MODES: readonly ServiceMode[] = ['embedded', 'distributed'];

export interface TestService {
  mode: ServiceMode;
  app: FastifyInstance;
  jobs: JobService;
  config: RuntimeConfig;
  /** "http://127.0.0.1:port", no trailing slash. */
  url: string;
  /** The gRPC service's port on 127.0.0.1 (option grpc); null when not started. */
  grpcPort: number | null;
  /** The TRAWL_* environment the service was configured from. */
  env: Record<string, string>;
  /** Polls the job until it is in one of `states` (throws past the deadline). */
  waitForJob(id: string, states: JobState[], timeoutMs?: number): Promise<JobInfo>;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  /** TRAWL_* variables over the defaults below. */
  env?: Record<string, string>;
  /** Distributed mode: start the in-process worker. @default true */
  worker?: boolean;
  /** Also serve gRPC (as `trawl serve` with TRAWL_GRPC_PORT), on a free port. @default false */
  grpc?: boolean;
  /** Webhook dispatcher tuning (short backoff). */
  webhooks?: WebhookTuning;
  /** Scheduler tuning (a short tick, the test's own clock). */
  schedules?: SchedulerTuning;
}

export async function startTestService(
  mode: ServiceMode,
  options: TestServiceOptions = {},
): Promise<TestService> {
  const dir = await tempDir('trawl-serve-');
  const port = await freePort();
  const cleanups: (() => Promise<void>)[] = [() => dir.cleanup()];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    let env: Record<string, string> = {
      TRAWL_DATA_DIR: dir.path,
      TRAWL_API_HOST: '127.0.0.1',
      TRAWL_API_PORT: String(port),
      TRAWL_ALLOW_TARGETS: '127.0.0.0/8',
      TRAWL_LOG_LEVEL: 'silent',
    };
    const log = createLogger('silent');
    let runtimeStop: (() => Promise<void>) | null = null;
    if (mode === 'distributed') {
      const sandbox = await distributedSandbox();
      cleanups.push(() => sandbox.cleanup());
      env = { ...env, ...sandbox.env };
    }
    env = { ...env, ...options.env };
    const config = loadRuntimeConfig({ env });
    if (mode === 'distributed' && options.worker !== false) {
      const services = await openDistributedServices({
        redisUrl: config.redisUrl!,
        databaseUrl: config.databaseUrl!,
        config,
        log,
        role: 'worker',
        runtimes: () => [],
        ops: false,
      });
      const runtime = new WorkerRuntime({
        redis: services.redis,
        pool: services.pool,
        prefix: config.redisPrefix,
        concurrency: 16,
        writer: true,
        writerBatchSize: 100,
        log,
        discoverEveryMs: 100,
      });
      await runtime.start();
      runtimeStop = async () => {
        await runtime.stop(0);
        await services.close();
      };
      cleanups.push(runtimeStop);
    }
    const service = await openService({
      config,
      log,
      requestLog: false,
      webhooks: options.webhooks,
      schedules: options.schedules,
    });
    cleanups.push(() => service.close());
    let grpcPort: number | null = null;
    if (options.grpc === true) {
      const keys = await openApiKeys(config);
      cleanups.push(() => keys.close());
      const grpc = await startGrpcServer({
        jobs: service.jobs,
        targets: targetPolicy(config),
        settings: service.settings,
        host: '127.0.0.1',
        port: 0,
        apiKeys: keys.keys,
      });
      cleanups.push(() => grpc.close());
      grpcPort = grpc.port;
    }
    await service.app.listen({ host: '127.0.0.1', port });
    const url = `http://127.0.0.1:${port}`;
    return {
      mode,
      app: service.app,
      jobs: service.jobs,
      config,
      url,
      grpcPort,
      env,
      async waitForJob(id, states, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const job = await service.jobs.get(id);
          if (job !== null && states.includes(job.state)) return job;
          if (Date.now() > deadline) {
            throw new Error(
              `job ${id} not ${states.join('|')} within ${timeoutMs} ms: ${JSON.stringify(job?.state)} ${JSON.stringify(job?.counts)}`,
            );
          }
          await new Promise((r) => setTimeout(r, 25));
        }
      },
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
