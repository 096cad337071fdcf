import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { register as globalRegistry } from 'prom-client';
import {
  METRIC_NAMES,
  REQUEST_DURATION_BUCKETS,
  WRITER_BATCH_ROWS_BUCKETS,
  createMetrics,
} from '../../src/metrics/metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse Prometheus text exposition into samples (enough of the format for these tests). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with exactly these labels, or undefined. */
function valueOf(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  const hits = parse(text).filter(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  );
  assert.ok(hits.length <= 1, `${name} ${want} appears ${hits.length} times`);
  return hits[0]?.value;
}

/** Fail instead of hanging when a promise does not settle within `ms`. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function captureLog(): { log: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { log, lines };
}

/** name -> [type, labels] as the monitoring design (SEEDS.md S2) and the brief define them. */
const EXPECTED: Record<string, [string, string[]]> = {
  crawler_requests_total: ['counter', ['platform', 'engine', 'status']],
  crawler_request_duration_seconds: ['histogram', ['platform', 'engine']],
  crawler_errors_total: ['counter', ['error_type', 'platform', 'component']],
  crawler_active_engines: ['gauge', ['engine_type']],
  crawler_proxy_pool_size: ['gauge', ['status']],
  crawler_redis_connections: ['gauge', []],
  crawler_db_connections: ['gauge', ['state']],
  crawler_system_info: ['gauge', ['version', 'node_version', 'mode']],
  crawler_data_processed_total: ['counter', ['platform', 'processor_type', 'status']],
  crawler_data_processing_duration_seconds: ['histogram', ['processor_type']],
  trawl_frontier_queued: ['gauge', []],
  trawl_frontier_in_flight: ['gauge', []],
  trawl_fetch_bytes_total: ['counter', []],
  trawl_leases_expired_total: ['counter', []],
  trawl_commits_refused_total: ['counter', []],
  trawl_results_stream_length: ['gauge', []],
  trawl_writer_batch_rows: ['histogram', []],
  trawl_writer_rows_total: ['counter', []],
  trawl_writer_batch_duration_seconds: ['histogram', []],
  trawl_writer_dead_letters_total: ['counter', []],
  trawl_writer_retries_total: ['counter', []],
};

describe('createMetrics', () => {
  test('exports every S2 and Trawl metric with HELP and TYPE lines', async () => {
    const metrics = createMetrics({ collectDefault: false });
    assert.deepEqual(Object.values(METRIC_NAMES).sort(), Object.keys(EXPECTED).sort());
    const text = await metrics.registry.metrics();
    for (const [name, [type]] of Object.entries(EXPECTED)) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S.*$`, 'm'), `HELP for ${name}`);
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `TYPE for ${name}`);
    }
  });

  test('each metric takes exactly its documented labels', async () => {
    const metrics = createMetrics({ collectDefault: false });
    const use = {
      crawler_requests_total: () => metrics.recordRequest(200, null, 0.2),
      crawler_request_duration_seconds: () => metrics.recordRequest(200, null, 0.2),
      crawler_errors_total: () =>
        metrics.errorsTotal.inc({ error_type: 'network', platform: 'generic', component: 'fetch' }),
      crawler_active_engines: () => metrics.activeEngines.set({ engine_type: 'http' }, 2),
      crawler_proxy_pool_size: () => metrics.proxyPoolSize.set({ status: 'benched' }, 1),
      crawler_redis_connections: () => metrics.redisConnections.set(1),
      crawler_db_connections: () => metrics.dbConnections.set({ state: 'idle' }, 3),
      crawler_system_info: () => metrics.setSystemInfo({ version: '1.0.0', mode: 'embedded' }),
      crawler_data_processed_total: () =>
        metrics.dataProcessedTotal.inc({
          platform: 'generic',
          processor_type: 'clean',
          status: 'ok',
        }),
      crawler_data_processing_duration_seconds: () =>
        metrics.dataProcessingDuration.observe({ processor_type: 'clean' }, 0.01),
    };
    for (const fn of Object.values(use)) fn();
    const samples = parse(await metrics.registry.metrics());
    for (const [name, [, labels]] of Object.entries(EXPECTED)) {
      const series = samples.filter((s) => s.name === name || s.name.startsWith(`${name}_`));
      assert.ok(series.length > 0, `${name} has a series`);
      for (const s of series) {
        const keys = Object.keys(s.labels).filter((k) => k !== 'le');
        assert.deepEqual(keys.sort(), [...labels].sort(), `labels of ${s.name}`);
      }
    }
  });

  test('registers on its own registry, never the global one', async () => {
    const a = createMetrics({ collectDefault: true });
    const b = createMetrics({ collectDefault: true }); // would throw on a shared registry
    assert.notEqual(a.registry, b.registry);
    assert.equal(globalRegistry.getSingleMetric(METRIC_NAMES.requestsTotal), undefined);
    a.recordRequest(200, null, 1);
    assert.equal(
      valueOf(await b.registry.metrics(), 'crawler_requests_total', labels('2xx')),
      undefined,
    );
  });

  test('recordRequest labels by status class or error code', async () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.recordRequest(200, null, 0.05);
    metrics.recordRequest(204, null, 0.3);
    metrics.recordRequest(503, null, 0.3);
    metrics.recordRequest(404, 'http_status', 0.3); // the class says more than "http_status"
    metrics.recordRequest(null, 'timeout', 30);
    metrics.recordRequest(200, 'too_large', 1); // a 200 whose body was refused: the code says why
    metrics.recordRequest(null, 'no-such-code', 1); // unknown codes must not grow the label set
    metrics.recordRequest(999, null, 1);
    metrics.recordRequest(null, null, Number.NaN); // counted, not observed, never thrown
    const text = await metrics.registry.metrics();
    const count = (status: string) => valueOf(text, 'crawler_requests_total', labels(status));
    assert.equal(count('2xx'), 2);
    assert.equal(count('5xx'), 1);
    assert.equal(count('4xx'), 1);
    assert.equal(count('timeout'), 1);
    assert.equal(count('too_large'), 1);
    assert.equal(count('other'), 3);
    assert.equal(count('http_status'), undefined);

    const base = { platform: 'generic', engine: 'http' };
    const bucket = (le: string) =>
      valueOf(text, 'crawler_request_duration_seconds_bucket', { ...base, le });
    assert.deepEqual(
      parse(text)
        .filter((s) => s.name === 'crawler_request_duration_seconds_bucket')
        .map((s) => s.labels.le),
      [...REQUEST_DURATION_BUCKETS.map(String), '+Inf'],
    );
    assert.equal(bucket('0.1'), 1);
    assert.equal(bucket('0.25'), 1);
    assert.equal(bucket('0.5'), 4);
    assert.equal(bucket('30'), 8);
    assert.equal(valueOf(text, 'crawler_request_duration_seconds_count', base), 8);
  });

  test('requestRecorder counts under its own platform and engine', async () => {
    const metrics = createMetrics({ collectDefault: false });
    const browser = metrics.requestRecorder({ platform: 'booking', engine: 'browser' });
    assert.equal(metrics.requestRecorder({ platform: 'booking', engine: 'browser' }), browser);
    browser.record(200, null, 2);
    browser.record(null, 'network', 0.2);
    const text = await metrics.registry.metrics();
    const at = { platform: 'booking', engine: 'browser' };
    assert.equal(valueOf(text, 'crawler_requests_total', { ...at, status: '2xx' }), 1);
    assert.equal(valueOf(text, 'crawler_requests_total', { ...at, status: 'network' }), 1);
    assert.equal(valueOf(text, 'crawler_request_duration_seconds_sum', at), 2.2);
    assert.equal(valueOf(text, 'crawler_requests_total', labels('2xx')), undefined);
  });

  test('onCollect callbacks run once per scrape and their values are read then', async () => {
    const metrics = createMetrics({ collectDefault: false });
    let queued = 5;
    let calls = 0;
    metrics.onCollect(() => {
      calls++;
      metrics.frontierQueued.set(queued);
    });
    metrics.onCollect(async () => {
      // A value that needs I/O (e.g. XLEN): set after an await, still before the read.
      await new Promise((resolve) => setImmediate(resolve));
      metrics.resultsStreamLength.set(queued * 10);
      metrics.dbConnections.set({ state: 'waiting' }, 2);
    });
    let text = await metrics.registry.metrics();
    assert.equal(valueOf(text, 'trawl_frontier_queued'), 5);
    assert.equal(valueOf(text, 'trawl_results_stream_length'), 50);
    assert.equal(valueOf(text, 'crawler_db_connections', { state: 'waiting' }), 2);
    queued = 9;
    text = await metrics.registry.metrics();
    assert.equal(valueOf(text, 'trawl_frontier_queued'), 9);
    assert.equal(valueOf(text, 'trawl_results_stream_length'), 90);
    assert.equal(calls, 2, 'once per scrape, not once per gauge');
  });

  test('a throwing callback keeps the last value and the scrape goes on', async () => {
    const { log, lines } = captureLog();
    const metrics = createMetrics({ collectDefault: false, log });
    let fail = false;
    metrics.onCollect(() => {
      if (fail) throw new Error('redis down');
      metrics.resultsStreamLength.set(3);
    });
    metrics.onCollect(() => metrics.frontierInFlight.set(fail ? 7 : 1));
    await metrics.registry.metrics();
    fail = true;
    const text = await metrics.registry.metrics();
    assert.equal(valueOf(text, 'trawl_results_stream_length'), 3);
    assert.equal(valueOf(text, 'trawl_frontier_in_flight'), 7, 'other callbacks still ran');
    const failed = { error_type: 'collect_failed', platform: 'generic', component: 'metrics' };
    assert.equal(valueOf(text, 'crawler_errors_total', failed), 1);
    assert.ok(lines.some((l) => l.level === 40 && /collect callback failed/.test(l.msg)));
  });

  test('a hanging callback is cut off at collectTimeoutMs', async () => {
    const metrics = createMetrics({ collectDefault: false, collectTimeoutMs: 50 });
    metrics.onCollect(() => new Promise<void>(() => {}));
    metrics.onCollect(() => metrics.frontierQueued.set(4));
    const text = await within(2000, metrics.registry.metrics(), 'scrape');
    assert.equal(valueOf(text, 'trawl_frontier_queued'), 4);
    const timedOut = { error_type: 'collect_timeout', platform: 'generic', component: 'metrics' };
    assert.equal(valueOf(text, 'crawler_errors_total', timedOut), 1);
  });

  test('the function onCollect returns removes the callback', async () => {
    const metrics = createMetrics({ collectDefault: false });
    let calls = 0;
    const off = metrics.onCollect(() => void calls++);
    await metrics.registry.metrics();
    off();
    await metrics.registry.metrics();
    assert.equal(calls, 1);
  });

  test('default process metrics and default labels', async () => {
    const withDefaults = createMetrics({ defaultLabels: { service: 'worker' } });
    const text = await withDefaults.registry.metrics();
    assert.match(text, /^# TYPE process_cpu_user_seconds_total counter$/m);
    assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    assert.equal(valueOf(text, 'trawl_fetch_bytes_total', { service: 'worker' }), 0);

    const bare = await createMetrics({ collectDefault: false }).registry.metrics();
    assert.doesNotMatch(bare, /process_cpu_user_seconds_total/);
  });

  test('setSystemInfo keeps exactly one series, set to 1', async () => {
    const metrics = createMetrics({
      collectDefault: false,
      systemInfo: { version: '0.1.0', mode: 'embedded' },
    });
    metrics.setSystemInfo({ version: '0.2.0', mode: 'distributed' });
    const samples = parse(await metrics.registry.metrics()).filter(
      (s) => s.name === 'crawler_system_info',
    );
    assert.deepEqual(samples, [
      {
        name: 'crawler_system_info',
        labels: { version: '0.2.0', node_version: process.version, mode: 'distributed' },
        value: 1,
      },
    ]);
  });

  test('recordWriterBatch observes rows, the rows counter and the duration', async () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.recordWriterBatch(100, 0.02);
    metrics.recordWriterBatch(1500, 0.4);
    const text = await metrics.registry.metrics();
    assert.deepEqual(
      parse(text)
        .filter((s) => s.name === 'trawl_writer_batch_rows_bucket')
        .map((s) => s.labels.le),
      [...WRITER_BATCH_ROWS_BUCKETS.map(String), '+Inf'],
    );
    assert.equal(valueOf(text, 'trawl_writer_batch_rows_bucket', { le: '100' }), 1);
    assert.equal(valueOf(text, 'trawl_writer_batch_rows_bucket', { le: '2000' }), 2);
    assert.equal(valueOf(text, 'trawl_writer_rows_total'), 1600);
    assert.equal(valueOf(text, 'trawl_writer_batch_duration_seconds_count'), 2);
  });
});

function labels(status: string): Record<string, string> {
  return { platform: 'generic', engine: 'http', status };
}
