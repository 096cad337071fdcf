/**
 * The per-process operations server: liveness, readiness and Prometheus metrics.
 *
 * Plain node:http rather than a framework: every worker process runs one of these for
 * three tiny routes, so it should cost no dependencies, no plugin boot and next to no
 * memory. The API service, which has real routes, validation and auth, uses Fastify.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';

/** One dependency's state, as `/health/ready` reports it. */
export interface ReadinessCheck {
  /** The dependency, e.g. "redis" or "postgres". */
  name: string;
  ok: boolean;
  /** Why it is not ok: one line, never a stack trace. */
  error?: string;
  /** How long the check took, in milliseconds. */
  latencyMs?: number;
}

/** A named dependency check for {@link readinessFromProbes}. */
export interface ReadinessProbe {
  name: string;
  /**
   * Resolves when the dependency answers, throws or rejects when it does not (e.g.
   * `() => redis.ping()`). `signal` aborts at the deadline, for clients that can cancel.
   */
  check(signal: AbortSignal): Promise<unknown>;
}

export interface OpsServerOptions {
  /** Interface to bind. Use "0.0.0.0" in a container so Prometheus can reach it. @default "127.0.0.1" */
  host?: string;
  /** TCP port; 0 picks any free port. */
  port: number;
  /**
   * When `port` is taken, try port+1 … port+maxPortTries and log the one bound: handy when
   * several workers run on one laptop. 0 fails at once. Ignored when `port` is 0.
   * @default 0
   */
  maxPortTries?: number;
  /** Served at `/metrics`. */
  registry: Registry;
  /**
   * The dependency checks behind `/health/ready`; {@link readinessFromProbes} builds one
   * that times each check out separately, so the response names the dependency that hung.
   */
  readiness: () => Promise<ReadinessCheck[]>;
  /**
   * Deadline for the whole `readiness()` call, in milliseconds: a backstop for readiness
   * functions without deadlines of their own. Keep it above the probes' own deadlines.
   * @default 2500
   */
  readinessTimeoutMs?: number;
  log?: Logger;
}

export interface OpsServer {
  /** The bound address, e.g. "127.0.0.1". */
  readonly host: string;
  /** The bound port: differs from the requested one when 0 or after a fallback. */
  readonly port: number;
  /** Base URL, e.g. "http://127.0.0.1:9464". */
  readonly url: string;
  /** Stop listening and drop every connection, keep-alive ones too. Idempotent. */
  close(): Promise<void>;
}

/** Default deadline per readiness probe, in milliseconds. */
export const DEFAULT_PROBE_TIMEOUT_MS = 2000;

/**
 * Turn named probes into a readiness function: probes run concurrently, each with its own
 * deadline; one that throws, rejects or hangs is reported as not ok with its reason.
 * @param options.timeoutMs deadline per probe in milliseconds. @default 2000
 */
export function readinessFromProbes(
  probes: readonly ReadinessProbe[],
  options: { timeoutMs?: number } = {},
): () => Promise<ReadinessCheck[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  return () => Promise.all(probes.map((probe) => runProbe(probe, timeoutMs)));
}

async function runProbe(probe: ReadinessProbe, timeoutMs: number): Promise<ReadinessCheck> {
  const controller = new AbortController();
  const started = performance.now();
  const latencyMs = () => Math.round(performance.now() - started);
  const result = await withDeadline(
    Promise.resolve()
      .then(() => probe.check(controller.signal))
      .then(
        (): ReadinessCheck => ({ name: probe.name, ok: true, latencyMs: latencyMs() }),
        (err: unknown): ReadinessCheck => ({
          name: probe.name,
          ok: false,
          error: errorLine(err),
          latencyMs: latencyMs(),
        }),
      ),
    timeoutMs,
  );
  if (result !== TIMED_OUT) return result;
  controller.abort();
  return { name: probe.name, ok: false, error: timedOut(timeoutMs), latencyMs: latencyMs() };
}

/**
 * Start the ops server. Routes: `GET /health` (liveness: answers while the event loop
 * runs), `GET /health/ready` (200 when every check is ok, else 503 naming which is down
 * and why), `GET /metrics`. HEAD is answered like GET, other methods get 405, other paths
 * 404; every body but /metrics is JSON and none carries a stack trace.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? '127.0.0.1';
  const maxPortTries = options.port === 0 ? 0 : (options.maxPortTries ?? 0);
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2500;
  const { registry, log } = options;
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${options.port}`);
  }
  if (!Number.isInteger(maxPortTries) || maxPortTries < 0) {
    throw new RangeError(`maxPortTries must be a non-negative integer, got ${maxPortTries}`);
  }

  // Concurrent probes (kubelet, load balancer, a human with curl) share one run, so a slow
  // dependency is not hit by a pile of checks while it is already struggling.
  let readyRun: Promise<ReadinessCheck[]> | undefined;
  let wasReady: boolean | undefined;
  const checkReadiness = (): Promise<ReadinessCheck[]> => {
    readyRun ??= runReadiness(options.readiness, readinessTimeoutMs).finally(() => {
      readyRun = undefined;
    });
    return readyRun;
  };

  const routes: Record<string, (res: ServerResponse) => Promise<void>> = {
    '/health': async (res) => sendJson(res, 200, { status: 'ok' }),
    '/health/ready': async (res) => {
      const checks = await checkReadiness();
      const ready = checks.every((c) => c.ok);
      // Log transitions only: probes arrive every few seconds for as long as a dependency is down.
      if (ready !== wasReady) {
        if (ready) log?.info('ops: ready');
        else log?.warn({ down: checks.filter((c) => !c.ok) }, 'ops: not ready');
        wasReady = ready;
      }
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
    },
    '/metrics': async (res) => {
      const body = await registry.metrics();
      res.writeHead(200, {
        'content-type': registry.contentType,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      res.end(body);
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'method not allowed' });
    }
    await route(res);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      log?.error({ err, path: req.url }, 'ops: request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };

  const server = await listenWithFallback(listener, host, options.port, maxPortTries, log);
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  log?.info({ url }, 'ops server listening');

  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        // Since Node 19 close() drops idle keep-alive sockets itself, but it still waits for
        // requests in flight (a readiness check stuck on a dependency, a slow scrape), and
        // with them the process. Dropping every connection lets shutdown finish now.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function runReadiness(
  readiness: () => Promise<ReadinessCheck[]>,
  timeoutMs: number,
): Promise<ReadinessCheck[]> {
  try {
    const checks = await withDeadline(Promise.resolve().then(readiness), timeoutMs);
    if (checks === TIMED_OUT) return [{ name: 'readiness', ok: false, error: timedOut(timeoutMs) }];
    // The checks come from outside: make sure no multi-line error reaches the response.
    return checks.map((c) => (c.error === undefined ? c : { ...c, error: oneLine(c.error) }));
  } catch (err) {
    return [{ name: 'readiness', ok: false, error: errorLine(err) }];
  }
}

function listenOnce(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer(listener);
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

async function listenWithFallback(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
  maxPortTries: number,
  log: Logger | undefined,
): Promise<Server> {
  const last = Math.min(port + maxPortTries, 65535);
  for (let candidate = port; ; candidate++) {
    try {
      const server = await listenOnce(listener, host, candidate);
      if (candidate !== port) {
        log?.warn(
          { requested: port, port: candidate },
          `ops: port ${port} in use, using ${candidate}`,
        );
      }
      return server;
    } catch (err) {
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!inUse || candidate >= last) {
        const what =
          inUse && last > port ? `ports ${port}-${last} are all in use` : `port ${candidate}`;
        throw new Error(`ops server could not listen on ${host}: ${what}`, { cause: err });
      }
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

const TIMED_OUT = Symbol('timed out');

/** Race `promise` against a timer that is cleared when it settles and never holds the process. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const timedOut = (ms: number) => `timed out after ${ms} ms`;

/** An error's message, first line only: responses never carry stack traces. */
function errorLine(err: unknown): string {
  // A refused connection to a host with several addresses is an AggregateError with an
  // empty message; the first attempt's error says what happened.
  const cause = err instanceof AggregateError && err.message === '' ? err.errors[0] : err;
  const message = cause instanceof Error ? cause.message : String(cause);
  return oneLine(message) || (cause instanceof Error ? cause.name : 'failed');
}

function oneLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
