import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { Gauge, Registry } from 'prom-client';
import {
  readinessFromProbes,
  startOpsServer,
  type OpsServer,
  type OpsServerOptions,
  type ReadinessCheck,
} from '../../src/main/ops-server.js';
import { createMetrics } from '../../src/metrics/metrics.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

/** One request over a real socket; `agent` defaults to a fresh connection per request. */
function send(
  url: string,
  options: { method?: string; agent?: Agent | false } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', agent: options.agent ?? false });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket: req.socket! }),
      );
    });
    req.end();
  });
}

/** Fail instead of hanging when a promise does not settle within `ms`. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { log, lines };
}

const servers: OpsServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function start(options: Partial<OpsServerOptions> = {}): Promise<OpsServer> {
  const server = await startOpsServer({
    port: 0,
    registry: options.registry ?? createMetrics({ collectDefault: false }).registry,
    readiness: async () => [],
    ...options,
  });
  servers.push(server);
  return server;
}

function listenNet(port: number): Promise<NetServer> {
  const server = createNetServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const closeNet = (server: NetServer) =>
  new Promise<void>((resolve) => server.close(() => resolve()));

describe('ops server', () => {
  test('GET /health answers 200 {"status":"ok"}', async () => {
    const ops = await start();
    assert.equal(ops.host, '127.0.0.1');
    assert.match(ops.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await send(`${ops.url}/health`);
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(reply.body), { status: 'ok' });
  });

  test('/health/ready is 200 with every check when all pass', async () => {
    const ops = await start({
      readiness: readinessFromProbes([
        { name: 'redis', check: async () => 'PONG' },
        { name: 'postgres', check: async () => undefined },
      ]),
    });
    const reply = await send(`${ops.url}/health/ready`);
    assert.equal(reply.status, 200);
    const body = JSON.parse(reply.body) as { status: string; checks: ReadinessCheck[] };
    assert.equal(body.status, 'ready');
    assert.deepEqual(
      body.checks.map((c) => [c.name, c.ok]),
      [
        ['redis', true],
        ['postgres', true],
      ],
    );
    for (const c of body.checks) assert.equal(typeof c.latencyMs, 'number');
  });

  test('/health/ready is 503 naming the dependency that failed, without a stack', async () => {
    const { log, lines } = captureLog();
    const ops = await start({
      log,
      readiness: readinessFromProbes([
        { name: 'redis', check: async () => 'PONG' },
        {
          name: 'postgres',
          check: async () => {
            throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
          },
        },
      ]),
    });
    const reply = await send(`${ops.url}/health/ready`);
    assert.equal(reply.status, 503);
    assert.deepEqual(
      (JSON.parse(reply.body) as { checks: ReadinessCheck[] }).checks.map(({ latencyMs, ...c }) => {
        assert.equal(typeof latencyMs, 'number');
        return c;
      }),
      [
        { name: 'redis', ok: true },
        { name: 'postgres', ok: false, error: 'connect ECONNREFUSED 127.0.0.1:5432' },
      ],
    );
    assert.equal(JSON.parse(reply.body).status, 'not_ready');
    assert.doesNotMatch(reply.body, /\bat .*\(|ops-server\.ts|\\n/);
    assert.ok(lines.some((l) => l.msg === 'ops: not ready'));
  });

  test('/health/ready counts a hanging check as down once its deadline passes', async () => {
    let aborted = false;
    const ops = await start({
      readiness: readinessFromProbes(
        [
          { name: 'redis', check: async () => 'PONG' },
          {
            name: 'postgres',
            check: (signal) =>
              new Promise(() => signal.addEventListener('abort', () => (aborted = true))),
          },
        ],
        { timeoutMs: 100 },
      ),
    });
    const reply = await within(2000, send(`${ops.url}/health/ready`), 'a readiness answer');
    assert.equal(reply.status, 503);
    const checks = (JSON.parse(reply.body) as { checks: ReadinessCheck[] }).checks;
    const postgres = checks.find((c) => c.name === 'postgres');
    assert.equal(postgres?.ok, false);
    assert.equal(postgres?.error, 'timed out after 100 ms');
    assert.equal(checks.find((c) => c.name === 'redis')?.ok, true);
    assert.ok(aborted, 'the probe was told to give up');
  });

  test('a readiness function without deadlines is cut off by readinessTimeoutMs', async () => {
    const ops = await start({ readiness: () => new Promise(() => {}), readinessTimeoutMs: 100 });
    const reply = await within(2000, send(`${ops.url}/health/ready`), 'a readiness answer');
    assert.equal(reply.status, 503);
    assert.deepEqual(JSON.parse(reply.body), {
      status: 'not_ready',
      checks: [{ name: 'readiness', ok: false, error: 'timed out after 100 ms' }],
    });
  });

  test('errors a readiness function reports are cut to one line', async () => {
    const err = new Error('redis down');
    const ops = await start({
      readiness: async () => [{ name: 'redis', ok: false, error: String(err.stack) }],
    });
    const reply = await send(`${ops.url}/health/ready`);
    assert.equal(reply.status, 503);
    assert.deepEqual(JSON.parse(reply.body).checks, [
      { name: 'redis', ok: false, error: 'Error: redis down' },
    ]);
  });

  test('/metrics serves the S2 names and a recorded request with its labels', async () => {
    const metrics = createMetrics({ collectDefault: false });
    const ops = await start({ registry: metrics.registry });
    metrics.requestRecorder({ platform: 'booking', engine: 'browser' }).record(429, null, 0.7);
    const reply = await send(`${ops.url}/metrics`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], metrics.registry.contentType);
    for (const [name, type] of [
      ['crawler_requests_total', 'counter'],
      ['crawler_request_duration_seconds', 'histogram'],
      ['crawler_errors_total', 'counter'],
      ['crawler_active_engines', 'gauge'],
      ['crawler_redis_connections', 'gauge'],
      ['crawler_db_connections', 'gauge'],
      ['crawler_system_info', 'gauge'],
      ['crawler_data_processed_total', 'counter'],
      ['crawler_data_processing_duration_seconds', 'histogram'],
    ]) {
      assert.match(reply.body, new RegExp(`^# HELP ${name} `, 'm'));
      assert.match(reply.body, new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
    }
    assert.match(
      reply.body,
      /^crawler_requests_total\{platform="booking",engine="browser",status="4xx"\} 1$/m,
    );
    assert.match(
      reply.body,
      /^crawler_request_duration_seconds_bucket\{le="1",platform="booking",engine="browser"\} 1$/m,
    );
  });

  test('/metrics reads collect-callback values at scrape time', async () => {
    const metrics = createMetrics({ collectDefault: false });
    let length = 12;
    metrics.onCollect(() => metrics.resultsStreamLength.set(length));
    const ops = await start({ registry: metrics.registry });
    assert.match((await send(`${ops.url}/metrics`)).body, /^trawl_results_stream_length 12$/m);
    length = 40;
    assert.match((await send(`${ops.url}/metrics`)).body, /^trawl_results_stream_length 40$/m);
  });

  test('a failing metrics collection answers 500 without a stack', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'broken',
      help: 'a collector that throws',
      registers: [registry],
      collect() {
        throw new Error('boom\n    at secret (/srv/app.js:1:1)');
      },
    });
    const { log, lines } = captureLog();
    const ops = await start({ registry, log });
    const reply = await send(`${ops.url}/metrics`);
    assert.equal(reply.status, 500);
    assert.deepEqual(JSON.parse(reply.body), { error: 'internal error' });
    assert.ok(
      lines.some((l) => l.msg === 'ops: request failed'),
      'logged, not sent',
    );
  });

  test('unknown paths are 404, other methods 405, HEAD like GET', async () => {
    const ops = await start();
    const missing = await send(`${ops.url}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { error: 'not found' });
    const post = await send(`${ops.url}/health`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.deepEqual(JSON.parse(post.body), { error: 'method not allowed' });
    const head = await send(`${ops.url}/health?probe=1`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('falls back to the next free port when maxPortTries allows it', async () => {
    const taken = await listenNet(0);
    const port = (taken.address() as { port: number }).port;
    // Take port+1 too when it is free, so the fallback must step more than once.
    const next = await listenNet(port + 1).catch(() => undefined);
    try {
      const { log, lines } = captureLog();
      const ops = await start({ port, maxPortTries: 3, log });
      assert.ok(ops.port > port + 1 && ops.port <= port + 3, `got ${ops.port} after ${port}`);
      assert.equal((await send(`${ops.url}/health`)).status, 200);
      assert.ok(lines.some((l) => l.requested === port && l.port === ops.port));
    } finally {
      await closeNet(taken);
      if (next !== undefined) await closeNet(next);
    }
  });

  test('fails when the port is taken and no fallback is allowed', async () => {
    const taken = await listenNet(0);
    const port = (taken.address() as { port: number }).port;
    try {
      await assert.rejects(
        startOpsServer({ port, registry: new Registry(), readiness: async () => [] }),
        (err: Error) => {
          assert.match(err.message, new RegExp(`port ${port}`));
          assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
          return true;
        },
      );
    } finally {
      await closeNet(taken);
    }
  });

  test('close() drops keep-alive connections and stops listening', async () => {
    const ops = await startOpsServer({
      port: 0,
      registry: new Registry(),
      readiness: async () => [],
    });
    const agent = new Agent({ keepAlive: true });
    try {
      const reply = await send(`${ops.url}/health`, { agent });
      assert.equal(reply.status, 200);
      assert.equal(reply.socket.destroyed, false, 'the connection is kept alive');
      const socketClosed = new Promise((resolve) => reply.socket.once('close', resolve));
      // Well under the server's 5 s keep-alive timeout: close() must not wait for it.
      await within(1000, Promise.all([ops.close(), socketClosed]), 'close');
      await ops.close(); // idempotent
      await assert.rejects(send(`${ops.url}/health`), { code: 'ECONNREFUSED' });
    } finally {
      agent.destroy();
    }
  });

  test('close() does not wait for a request still in flight', async () => {
    let probed!: () => void;
    const probing = new Promise<void>((resolve) => (probed = resolve));
    const ops = await startOpsServer({
      port: 0,
      registry: new Registry(),
      readiness: () => {
        probed();
        return new Promise(() => {}); // a dependency that never answers
      },
      readinessTimeoutMs: 60_000,
    });
    const pending = send(`${ops.url}/health/ready`);
    await within(1000, probing, 'the readiness probe');
    await within(1000, ops.close(), 'close');
    await assert.rejects(pending, { code: 'ECONNRESET' });
  });

  test('the process exits after close(), with default metrics on', async () => {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const opsModule = new URL(`../../src/main/ops-server${ext}`, import.meta.url).href;
    const metricsModule = new URL(`../../src/metrics/metrics${ext}`, import.meta.url).href;
    const script = `
      import { Agent, request } from 'node:http';
      const { startOpsServer } = await import(${JSON.stringify(opsModule)});
      const { createMetrics } = await import(${JSON.stringify(metricsModule)});
      const metrics = createMetrics();
      metrics.onCollect(() => metrics.frontierQueued.set(1));
      const ops = await startOpsServer({ port: 0, registry: metrics.registry, readiness: async () => [] });
      const agent = new Agent({ keepAlive: true });
      await new Promise((resolve, reject) => {
        request(ops.url + '/metrics', { agent }, (res) => res.resume().on('end', resolve))
          .on('error', reject)
          .end();
      });
      await ops.close();
      console.log('closed');`;
    const loader = ext === '.ts' ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...loader, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // Generous for a cold tsx start; a dangling handle would keep the child alive for good.
      const code = await within(15_000, exited, 'the child process exit');
      assert.equal(code, 0, output);
      assert.match(output, /closed/);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });
});
