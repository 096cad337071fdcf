/**
 * The gRPC service of `trawl serve` (proto/trawl.proto, trawl.v1.Crawler): S1's API ->
 * crawler core call `Crawl(CrawlRequest{url, task_id})`, a status call and a live watch.
 * It is another door to the same jobs as the REST API: the same JobService, the same
 * seed task (spec through clientSpec, so the same target policy), the same record.
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ApiKeyStore } from '../../auth/api-key-store.js';
import type { JobService } from '../../jobs/job-service.js';
import type { ApiSettings, TargetPolicy } from '../app-deps.js';
import {
  isFinalSeedStatus,
  parseSeedInput,
  seedSpec,
  seedStatus,
  submitSeedTask,
  type SeedStatus,
  type SeedSubmission,
} from '../routes/seed/seed-task.js';
import { loadCrawlerService } from './crawler-proto.js';
import { grpcAuthorizer } from './grpc-auth.js';
import {
  grpcError,
  invalidField,
  taskStatusMessage,
  toGrpcError,
  type CrawlReplyMessage,
  type CrawlRequestMessage,
  type StatusRequestMessage,
  type TaskStatusMessage,
  type WatchRequestMessage,
} from './grpc-mapping.js';

export interface GrpcServerOptions {
  jobs: JobService;
  targets: TargetPolicy;
  settings: ApiSettings;
  host: string;
  /** 0: any free port (the bound one is returned). */
  port: number;
  /** The service's API keys: once one exists, every call needs one (grpc-auth.ts). */
  apiKeys?: ApiKeyStore;
  /** Where unexpected errors are logged. */
  log?: Logger;
}

export interface GrpcServer {
  /** The port bound. */
  port: number;
  /** Ends every watch (UNAVAILABLE), lets calls in flight finish (5 s at most), stops. */
  close(): Promise<void>;
}

/** Default and bounds of WatchJob's read interval, ms (the SSE route's range). */
const WATCH_INTERVAL_MS = { default: 250, min: 100, max: 60_000 };
/** Client task ids remembered for idempotent Crawl calls (oldest forgotten first). */
const MAX_CLIENT_TASK_IDS = 10_000;
const MAX_TASK_ID_LENGTH = 128;
const SHUTDOWN_GRACE_MS = 5_000;

/** Starts the Crawler service on host:port; resolves once it listens. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const { jobs, targets, settings, log } = options;
  const server = new Server();
  /** Aborted when the server closes: ends every watch's wait. */
  const closing = new AbortController();
  /**
   * (API key id, CrawlRequest.task_id) -> its submission, for idempotent retries (this
   * process only). Per key, so one client's ids never answer with another's tasks.
   */
  const byClientId = new Map<string, { url: string; submission: Promise<SeedSubmission> }>();

  const authorize = grpcAuthorizer(options.apiKeys, settings.apiKeyCacheMs);

  const fail = (err: unknown, what: string) => {
    if (isServiceError(err)) return err;
    const { error, internal } = toGrpcError(err);
    if (internal) log?.error({ err }, `gRPC ${what} failed`);
    return error;
  };

  const submit = (request: CrawlRequestMessage, keyId: string | null): Promise<SeedSubmission> => {
    const input = parseSeedInput(
      {
        url: request.url,
        ...(request.max_depth === undefined ? {} : { max_depth: request.max_depth }),
        ...(request.max_pages === undefined ? {} : { max_pages: request.max_pages }),
        ...(request.delay_ms === undefined ? {} : { delay_ms: request.delay_ms }),
        ...(request.store_body === undefined ? {} : { store_body: request.store_body }),
      },
      '',
    );
    const clientId = request.task_id;
    if (clientId.length > MAX_TASK_ID_LENGTH) {
      throw invalidField('task_id', `at most ${MAX_TASK_ID_LENGTH} characters`);
    }
    const spec = seedSpec(input, targets, settings, '');
    if (clientId === '') return submitSeedTask(jobs, spec, input.url);
    const mapKey = `${keyId ?? ''}\u0000${clientId}`;
    const known = byClientId.get(mapKey);
    if (known !== undefined) {
      if (known.url !== input.url) {
        throw invalidField('task_id', `already names a task for another url (${known.url})`);
      }
      return known.submission;
    }
    const submission = submitSeedTask(jobs, spec, input.url, clientId);
    byClientId.set(mapKey, { url: input.url, submission });
    if (byClientId.size > MAX_CLIENT_TASK_IDS) {
      byClientId.delete(byClientId.keys().next().value!);
    }
    // A failed dispatch may be retried under the same id.
    const forget = () => {
      if (byClientId.get(mapKey)?.submission === submission) byClientId.delete(mapKey);
    };
    void submission.then((s) => (s.failed ? forget() : undefined), forget);
    return submission;
  };

  const taskId = (value: string): string => {
    if (value === '') throw invalidField('task_id', 'required');
    if (value.length > MAX_TASK_ID_LENGTH) {
      throw invalidField('task_id', `at most ${MAX_TASK_ID_LENGTH} characters`);
    }
    return value;
  };

  const status = async (id: string): Promise<SeedStatus> => {
    const job = await jobs.get(id);
    if (job === null) throw grpcError(GrpcStatus.NOT_FOUND, `no task ${id}`);
    return seedStatus(job);
  };

  const implementation: UntypedServiceImplementation = {
    Crawl(
      call: ServerUnaryCall<CrawlRequestMessage, CrawlReplyMessage>,
      callback: sendUnaryData<CrawlReplyMessage>,
    ) {
      authorize(call.metadata, 'write')
        .then((keyId) => submit(call.request, keyId))
        .then(
          ({ record, failed, cause }) => {
            if (!failed) {
              callback(null, {
                task_id: record.task_id,
                message: 'crawl task dispatched',
                status: taskStatusMessage(record),
              });
              return;
            }
            log?.error({ err: cause }, 'gRPC crawl task submission failed');
            const trailer = new Metadata();
            if (record.task_id !== '') trailer.set('trawl-task-id', record.task_id);
            const idText = record.task_id === '' ? '' : ` (task ${record.task_id})`;
            callback(
              grpcError(
                GrpcStatus.INTERNAL,
                `crawl task submission failed${idText}: submission_failed`,
                trailer,
              ),
            );
          },
          (err: unknown) => callback(fail(err, 'Crawl')),
        );
    },

    GetStatus(
      call: ServerUnaryCall<StatusRequestMessage, TaskStatusMessage>,
      callback: sendUnaryData<TaskStatusMessage>,
    ) {
      authorize(call.metadata, 'read')
        .then(() => status(taskId(call.request.task_id)))
        .then(
          (record) => callback(null, taskStatusMessage(record)),
          (err: unknown) => callback(fail(err, 'GetStatus')),
        );
    },

    WatchJob(call: ServerWritableStream<WatchRequestMessage, TaskStatusMessage>) {
      void watch(call).catch((err: unknown) => {
        if (!call.cancelled) call.emit('error', fail(err, 'WatchJob'));
      });
    },
  };

  /** Writes the task's status whenever it changed, until it is final or the client leaves. */
  const watch = async (
    call: ServerWritableStream<WatchRequestMessage, TaskStatusMessage>,
  ): Promise<void> => {
    await authorize(call.metadata, 'read');
    const id = taskId(call.request.task_id);
    const intervalMs = call.request.interval_ms ?? WATCH_INTERVAL_MS.default;
    if (intervalMs < WATCH_INTERVAL_MS.min || intervalMs > WATCH_INTERVAL_MS.max) {
      throw invalidField(
        'interval_ms',
        `expected ${WATCH_INTERVAL_MS.min}-${WATCH_INTERVAL_MS.max} ms`,
      );
    }
    const stop = new AbortController();
    const onClose = () => stop.abort();
    call.on('cancelled', onClose);
    closing.signal.addEventListener('abort', onClose);
    try {
      let last = '';
      for (;;) {
        const record = await status(id);
        const text = JSON.stringify(record);
        if (text !== last) {
          call.write(taskStatusMessage(record));
          last = text;
        }
        if (isFinalSeedStatus(record.status)) {
          call.end();
          return;
        }
        try {
          await sleep(intervalMs, undefined, { signal: stop.signal });
        } catch {
          // Cancelled by the client (nothing to send) or the server closing.
          if (!call.cancelled) {
            call.emit('error', grpcError(GrpcStatus.UNAVAILABLE, 'the server is shutting down'));
          }
          return;
        }
      }
    } finally {
      call.off('cancelled', onClose);
      closing.signal.removeEventListener('abort', onClose);
    }
  };

  server.addService(loadCrawlerService(), implementation);
  const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) =>
      err === null ? resolve(bound) : reject(err),
    );
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw err;
  });

  return {
    port,
    async close() {
      closing.abort();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

function isServiceError(err: unknown): err is ReturnType<typeof grpcError> {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number';
}
