/**
 * The gRPC service with a real @grpc/grpc-js client that loads the shipped proto, in
 * both modes: Crawl gives a task id, GetStatus reaches completed, WatchJob streams the
 * progress and ends with the final status; the status codes a client sees for bad input,
 * unknown tasks, a dispatch Redis refuses, and (embedded) API keys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status as GrpcStatus,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { request } from 'undici';
import { openApiKeys } from '../../src/main/service/api-keys.js';
import { redisCommand, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { repoFile } from '../support/repo-file.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

type Message = Record<string, unknown>;
type Unary = (
  req: Message,
  metadata: Metadata,
  cb: (err: ServiceError | null, res: Message) => void,
) => void;
type CrawlerClient = Client &
  Record<'Crawl' | 'GetStatus', Unary> & {
    WatchJob(req: Message, metadata?: Metadata): ClientReadableStream<Message>;
  };

/** A client as any user would build one: from proto/trawl.proto, with its own options. */
function connect(port: number): CrawlerClient {
  const definition = loadSync(repoFile('proto/trawl.proto'), {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
  });
  const pkg = loadPackageDefinition(definition) as unknown as {
    trawl: { v1: { Crawler: new (address: string, creds: unknown) => CrawlerClient } };
  };
  return new pkg.trawl.v1.Crawler(`127.0.0.1:${port}`, credentials.createInsecure());
}

function unary(
  client: CrawlerClient,
  method: 'Crawl' | 'GetStatus',
  req: Message,
  metadata = new Metadata(),
): Promise<Message> {
  return new Promise((resolve, reject) =>
    client[method](req, metadata, (err, res) => (err === null ? resolve(res) : reject(err))),
  );
}

async function rejected(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('the call succeeded');
}

/** Every message of a watch, and how it ended. */
function collect(stream: ClientReadableStream<Message>): Promise<Message[]> {
  const messages: Message[] = [];
  stream.on('data', (m: Message) => messages.push(m));
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

for (const mode of SERVICE_MODES) {
  describe(`gRPC service (${mode})`, () => {
    let service: TestService;
    let site: TreeSite;
    let client: CrawlerClient;
    before(async () => {
      service = await startTestService(mode, { grpc: true });
      site = await startTreeSite(['127.0.0.1'], 15, 20);
      client = connect(service.grpcPort!);
    });
    after(async () => {
      client?.close();
      await service?.close();
      await site?.close();
    });

    test('Crawl gives a task id; GetStatus reaches completed; the page is stored', async () => {
      const url = site.seeds[0]!;
      const reply = await unary(client, 'Crawl', { url });
      const taskId = reply.task_id as string;
      assert.match(taskId, /^[0-9a-f-]{36}$/);
      const status = reply.status as Message;
      assert.equal(status.status, 'TASK_STATE_DISPATCHED');
      assert.equal(status.url, url);
      assert.match(status.dispatched_at as string, /^\d{4}-\d\d-\d\dT/);

      const deadline = Date.now() + 30_000;
      let got: Message;
      do {
        got = await unary(client, 'GetStatus', { task_id: taskId });
        if (Date.now() > deadline) throw new Error(`not completed: ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 25));
      } while (got.status !== 'TASK_STATE_COMPLETED' && got.status !== 'TASK_STATE_FAILED');
      assert.equal(got.status, 'TASK_STATE_COMPLETED', JSON.stringify(got));
      assert.equal(got.pages_crawled, 1);
      assert.equal(got.pages_failed, 0);
      assert.match(got.completed_at as string, /^\d{4}-\d\d-\d\dT/);

      const res = await request(`${service.url}/trawl/v1/jobs/${taskId}/results`);
      const pages = ((await res.body.json()) as { data: { url: string }[] }).data;
      assert.deepEqual(
        pages.map((p) => p.url),
        [url],
      );
    });

    test('WatchJob streams the progress and ends with completed', async () => {
      const reply = await unary(client, 'Crawl', { url: site.seeds[0], max_depth: 3, delay_ms: 0 });
      const taskId = reply.task_id as string;
      const messages = await collect(client.WatchJob({ task_id: taskId, interval_ms: 100 }));
      assert.ok(messages.length >= 2, `only ${messages.length} message(s)`);
      const last = messages[messages.length - 1]!;
      assert.equal(last.status, 'TASK_STATE_COMPLETED', JSON.stringify(last));
      // Depth 0-3 of the 15-page tree: every page.
      assert.equal(last.pages_crawled, 15);
      const crawled = messages.map((m) => m.pages_crawled as number);
      assert.deepEqual(
        crawled,
        [...crawled].sort((a, b) => a - b),
        'counts never go back',
      );
      assert.ok(
        messages.slice(0, -1).every((m) => m.status !== 'TASK_STATE_COMPLETED'),
        'completed only at the end',
      );
      for (let i = 1; i < messages.length; i++) {
        assert.notDeepEqual(messages[i], messages[i - 1], 'a message per change');
      }
    });

    test('a client task_id is idempotent and echoed', async () => {
      const key = `client-${mode}-1`;
      const first = await unary(client, 'Crawl', { url: site.seeds[0], task_id: key });
      const again = await unary(client, 'Crawl', { url: site.seeds[0], task_id: key });
      assert.equal(again.task_id, first.task_id);
      assert.equal((first.status as Message).client_task_id, key);
      const other = await rejected(
        unary(client, 'Crawl', { url: `${site.seeds[0]}p/1`, task_id: key }),
      );
      assert.equal(other.code, GrpcStatus.INVALID_ARGUMENT);
      assert.match(other.details, /^task_id: already names a task/);
    });

    test('INVALID_ARGUMENT names the field; NOT_FOUND for an unknown task', async () => {
      const cases: [Message, RegExp][] = [
        [{ url: 'not a url' }, /^url: expected an absolute http\(s\) URL/],
        [{ url: '' }, /^url: /],
        [{ url: 'http://169.254.169.254/latest/meta-data/' }, /^url: .*/],
        [{ url: site.seeds[0], max_depth: 5_000 }, /^max_depth: /],
        [{ url: site.seeds[0], task_id: 'x'.repeat(129) }, /^task_id: at most 128/],
      ];
      for (const [req, details] of cases) {
        const err = await rejected(unary(client, 'Crawl', req));
        assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT, JSON.stringify(req));
        assert.match(err.details, details);
      }
      const missing = await rejected(unary(client, 'GetStatus', { task_id: 'no-such-task' }));
      assert.equal(missing.code, GrpcStatus.NOT_FOUND);
      assert.equal(missing.details, 'no task no-such-task');
      const empty = await rejected(unary(client, 'GetStatus', { task_id: '' }));
      assert.equal(empty.code, GrpcStatus.INVALID_ARGUMENT);
      assert.equal(empty.details, 'task_id: required');
      const watch = await rejected(collect(client.WatchJob({ task_id: 'no-such-task' })));
      assert.equal(watch.code, GrpcStatus.NOT_FOUND);
    });

    test('a client can cancel a watch', async () => {
      const slow = await startTreeSite(['127.0.0.3'], 40, 200);
      try {
        const reply = await unary(client, 'Crawl', { url: slow.seeds[0], max_depth: 10 });
        const stream = client.WatchJob({ task_id: reply.task_id });
        const first = await new Promise<Message>((resolve) => stream.once('data', resolve));
        assert.equal(first.task_id, reply.task_id);
        const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
        stream.cancel();
        assert.equal((await ended).code, GrpcStatus.CANCELLED);
        // The server still answers (the watch's loop is gone, not the service).
        const got = await unary(client, 'GetStatus', { task_id: reply.task_id });
        assert.equal(got.task_id, reply.task_id);
      } finally {
        await slow.close();
      }
    });
  });
}

describe('gRPC service: API keys (embedded)', () => {
  let service: TestService;
  let client: CrawlerClient;
  const keys: Record<'read' | 'write', string> = { read: '', write: '' };
  before(async () => {
    service = await startTestService('embedded', { grpc: true });
    const store = await openApiKeys(service.config);
    try {
      for (const scope of ['read', 'write'] as const) {
        keys[scope] = (await store.keys.create({ name: scope, scopes: [scope] })).key;
      }
    } finally {
      await store.close();
    }
    client = connect(service.grpcPort!);
  });
  after(async () => {
    client?.close();
    await service?.close();
  });

  const bearer = (key: string): Metadata => {
    const m = new Metadata();
    m.set('authorization', `Bearer ${key}`);
    return m;
  };

  test('once a key exists, calls need one, with the scope of the call', async () => {
    const url = 'http://127.0.0.1:9/';
    const anonymous = await rejected(unary(client, 'Crawl', { url }));
    assert.equal(anonymous.code, GrpcStatus.UNAUTHENTICATED);
    const wrong = await rejected(unary(client, 'Crawl', { url }, bearer('trawl_nope_nope')));
    assert.equal(wrong.code, GrpcStatus.UNAUTHENTICATED);
    const readOnly = await rejected(unary(client, 'Crawl', { url }, bearer(keys.read)));
    assert.equal(readOnly.code, GrpcStatus.PERMISSION_DENIED);
    const created = await unary(client, 'Crawl', { url }, bearer(keys.write));
    const got = await unary(client, 'GetStatus', { task_id: created.task_id }, bearer(keys.read));
    assert.equal(got.task_id, created.task_id);
    const watch = await rejected(collect(client.WatchJob({ task_id: created.task_id })));
    assert.equal(watch.code, GrpcStatus.UNAUTHENTICATED);
  });
});

describe('gRPC service: a dispatch Redis refuses (distributed)', () => {
  let redis: RedisServer;
  let service: TestService;
  let client: CrawlerClient;
  before(async () => {
    redis = await startRedisServer();
    service = await startTestService('distributed', {
      env: { TRAWL_REDIS_URL: redis.url },
      worker: false,
      grpc: true,
    });
    client = connect(service.grpcPort!);
  });
  after(async () => {
    client?.close();
    await service?.close();
    await redis?.cleanup();
  });

  test('Crawl fails INTERNAL with the task id; GetStatus says submission_failed', async () => {
    // Redis answers but refuses every write (OOM): the job row exists, its dispatch fails.
    await redisCommand(redis.port, ['CONFIG', 'SET', 'maxmemory', '1']);
    const err = await rejected(unary(client, 'Crawl', { url: 'http://127.0.0.1:9/' }));
    assert.equal(err.code, GrpcStatus.INTERNAL);
    assert.match(err.details, /^crawl task submission failed \(task [0-9a-f-]{36}\)/);
    assert.doesNotMatch(err.details, /OOM|script/, 'no internals in the message');
    const taskId = err.metadata.get('trawl-task-id')[0] as string;
    assert.ok(err.details.includes(taskId));
    const got = await unary(client, 'GetStatus', { task_id: taskId });
    assert.equal(got.status, 'TASK_STATE_SUBMISSION_FAILED');
    assert.match(got.error as string, /^could not submit the job/);
    assert.match(got.completed_at as string, /^\d{4}-\d\d-\d\dT/);
  });
});
