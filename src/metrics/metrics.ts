/**
 * Every Prometheus metric Trawl exports, by name, in this one file — so dashboards, alerts
 * and code can be checked against a single list ({@link METRIC_NAMES}).
 *
 * The `crawler_*` names and labels are the ones the monitoring design (S2 in
 * shared/SEEDS.md) promises its Grafana dashboard and alerts; `trawl_*` are Trawl's own
 * (frontier, leases, results stream, PostgreSQL writer).
 *
 * Cardinality rule: every label value comes from a small closed set — an HTTP status
 * class, an error code from the catalogue, an adapter/platform name, an engine or
 * processor name, a pool state. Never a URL, a host, a job id or a task id: each distinct
 * value is a new time series held in memory by this process and by Prometheus, and a crawl
 * sees millions of URLs and hosts. Per-host or per-job numbers belong in logs and in the
 * status API, not here.
 *
 * Each call of {@link createMetrics} registers on its own {@link Registry}, never on
 * prom-client's global one, so tests and several in-process workers don't collide.
 */
import type { Logger } from 'pino';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type LabelValues,
} from 'prom-client';
import { ERROR_CATALOGUE } from '../core/errors.js';

/** The exported metric names. Keep S2's `crawler_*` names as they are: dashboards use them. */
export const METRIC_NAMES = {
  requestsTotal: 'crawler_requests_total',
  requestDuration: 'crawler_request_duration_seconds',
  errorsTotal: 'crawler_errors_total',
  activeEngines: 'crawler_active_engines',
  proxyPoolSize: 'crawler_proxy_pool_size',
  redisConnections: 'crawler_redis_connections',
  dbConnections: 'crawler_db_connections',
  systemInfo: 'crawler_system_info',
  dataProcessedTotal: 'crawler_data_processed_total',
  dataProcessingDuration: 'crawler_data_processing_duration_seconds',
  frontierQueued: 'trawl_frontier_queued',
  frontierInFlight: 'trawl_frontier_in_flight',
  fetchBytesTotal: 'trawl_fetch_bytes_total',
  leasesExpiredTotal: 'trawl_leases_expired_total',
  commitsRefusedTotal: 'trawl_commits_refused_total',
  resultsStreamLength: 'trawl_results_stream_length',
  writerBatchRows: 'trawl_writer_batch_rows',
  writerRowsTotal: 'trawl_writer_rows_total',
  writerBatchDuration: 'trawl_writer_batch_duration_seconds',
  writerDeadLettersTotal: 'trawl_writer_dead_letters_total',
  writerRetriesTotal: 'trawl_writer_retries_total',
} as const;

/** S2's request-latency buckets (seconds): a 30 s fetch timeout must land below the top. */
export const REQUEST_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
/** Rows per writer batch; the top matches the largest batch the writer is meant to build. */
export const WRITER_BATCH_ROWS_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2000] as const;
/** One INSERT transaction per batch: milliseconds when healthy, seconds under lock contention. */
const WRITER_BATCH_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Pipeline processors are CPU work per item, so the buckets start at a millisecond. */
const PROCESSING_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** The `state` values of `crawler_db_connections`, as a pg pool reports them. */
export type DbConnectionState = 'total' | 'idle' | 'waiting';

/** Records one fetch attempt for a fixed platform and engine. See {@link TrawlMetrics.recordRequest}. */
export interface RequestRecorder {
  /**
   * @param status the final response's HTTP status, or null when no response arrived
   * @param errorCode the attempt's error code (see core/errors.ts), or null on success
   * @param durationSeconds wall time of the attempt, in seconds; NaN or negative is not observed
   */
  record(status: number | null, errorCode: string | null, durationSeconds: number): void;
}

export interface CreateMetricsOptions {
  /**
   * Register on this registry instead of a new one. Every name can be registered once per
   * registry, so a second createMetrics() on the same registry throws.
   * @default a new Registry
   */
  registry?: Registry;
  /**
   * Labels added to every series, e.g. `{ service: 'worker' }`. Same cardinality rule as
   * every other label. Replaces the registry's existing default labels.
   * @default none
   */
  defaultLabels?: Record<string, string>;
  /** Also export prom-client's process metrics (CPU, memory, event-loop lag, GC). @default true */
  collectDefault?: boolean;
  /**
   * How long one {@link TrawlMetrics.onCollect} callback may take before the scrape goes on
   * without it, in milliseconds. Prometheus' own scrape timeout defaults to 10 s.
   * @default 2000
   */
  collectTimeoutMs?: number;
  /** Sets `crawler_system_info` at creation; see {@link TrawlMetrics.setSystemInfo}. @default unset */
  systemInfo?: { version: string; mode: string };
  /** Where failing collect callbacks are reported. @default silent */
  log?: Logger;
}

/** The metric handles, on their own registry, plus the helpers the hot path uses. */
export interface TrawlMetrics {
  readonly registry: Registry;

  /** `status` is an HTTP status class ("2xx") or an error code ("timeout"); see recordRequest. */
  readonly requestsTotal: Counter<'platform' | 'engine' | 'status'>;
  /** Seconds per fetch attempt, {@link REQUEST_DURATION_BUCKETS}. */
  readonly requestDuration: Histogram<'platform' | 'engine'>;
  /** `error_type` is an error code or a component's own small set of failure kinds. */
  readonly errorsTotal: Counter<'error_type' | 'platform' | 'component'>;
  readonly activeEngines: Gauge<'engine_type'>;
  /** Proxies of the jobs' pools by status (active, benched, dead). */
  readonly proxyPoolSize: Gauge<'status'>;
  readonly redisConnections: Gauge;
  readonly dbConnections: Gauge<'state'>;
  /** Always 1; the information is in the labels. Set with {@link setSystemInfo}. */
  readonly systemInfo: Gauge<'version' | 'node_version' | 'mode'>;
  readonly dataProcessedTotal: Counter<'platform' | 'processor_type' | 'status'>;
  /** Seconds per processor call. */
  readonly dataProcessingDuration: Histogram<'processor_type'>;

  /** Requests waiting in the frontier, summed over the jobs this process serves. */
  readonly frontierQueued: Gauge;
  /** Requests leased and not yet committed, summed over the jobs this process serves. */
  readonly frontierInFlight: Gauge;
  /** Body bytes received, after decoding. */
  readonly fetchBytesTotal: Counter;
  /** Leases that ran out before their holder committed; the request goes back to the queue. */
  readonly leasesExpiredTotal: Counter;
  /** Commits refused because their lease token was stale (another worker holds it now). */
  readonly commitsRefusedTotal: Counter;
  /** Results stream entries not yet written to PostgreSQL. */
  readonly resultsStreamLength: Gauge;
  /** Rows per writer batch, {@link WRITER_BATCH_ROWS_BUCKETS}. */
  readonly writerBatchRows: Histogram;
  readonly writerRowsTotal: Counter;
  /** Seconds per writer batch transaction. */
  readonly writerBatchDuration: Histogram;
  /** Entries the writer gave up on and moved to the dead-letter stream. */
  readonly writerDeadLettersTotal: Counter;
  /** Batches the writer retried after a failed transaction. */
  readonly writerRetriesTotal: Counter;

  /**
   * Count and time one fetch attempt for platform "generic", engine "http". Status label:
   * the attempt's error code when it has one (unknown codes become "other"), except
   * `http_status`, which is reported by its class ("4xx", "5xx") since the class says more;
   * otherwise the status class; "other" when neither is known. Allocates nothing itself.
   */
  recordRequest(status: number | null, errorCode: string | null, durationSeconds: number): void;
  /**
   * A recorder for one platform and engine, with its label sets resolved once. Cached, so
   * calling it again with the same pair is cheap — but keep both to small closed sets.
   * @param platform @default "generic"
   * @param engine @default "http"
   */
  requestRecorder(labels?: { platform?: string; engine?: string }): RequestRecorder;
  /** Observe one writer batch: its row count, the rows counter and its duration in seconds. */
  recordWriterBatch(rows: number, durationSeconds: number): void;
  /** Replace `crawler_system_info`'s one series; `node_version` is this process's. */
  setSystemInfo(info: { version: string; mode: string }): void;
  /**
   * Run `fn` at every scrape, before any of these gauges is read, so values that live
   * elsewhere (queue depth, stream length, pool sizes) are read then rather than polled.
   * `fn` should set gauges. A callback that throws, rejects or outlasts `collectTimeoutMs`
   * is logged and counted in `crawler_errors_total{component="metrics"}`; the scrape goes
   * on and its gauges keep their last value.
   * @returns a function that removes the callback
   */
  onCollect(fn: () => void | Promise<void>): () => void;
}

export function createMetrics(options: CreateMetricsOptions = {}): TrawlMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const collectTimeoutMs = options.collectTimeoutMs ?? 2000;
  const log = options.log;
  if (options.defaultLabels !== undefined) registry.setDefaultLabels(options.defaultLabels);
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry });

  const collectors = new Set<() => void | Promise<void>>();
  let round: Promise<void> | undefined;

  // prom-client reads every metric concurrently (Promise.all over metric.get()), and each
  // gauge awaits its own `collect` first. Giving every gauge (and crawler_errors_total) the
  // same hook, which joins one shared round of callbacks per scrape, guarantees that all
  // callbacks have settled before any of them is read — whichever gauge a callback sets —
  // and that each callback runs once per scrape. Counters and histograms are read at once:
  // callbacks should only set gauges.
  const collectHook = (): Promise<void> | undefined => {
    if (collectors.size === 0) return undefined;
    round ??= runCollectors().finally(() => {
      round = undefined;
    });
    return round;
  };

  const gauge = <T extends string>(name: string, help: string, labelNames: readonly T[] = []) =>
    new Gauge<T>({ name, help, labelNames, registers, collect: collectHook });
  const counter = <T extends string>(name: string, help: string, labelNames: readonly T[] = []) =>
    new Counter<T>({ name, help, labelNames, registers });
  const histogram = <T extends string>(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly T[] = [],
  ) => new Histogram<T>({ name, help, labelNames, buckets: [...buckets], registers });

  const n = METRIC_NAMES;
  const m = {
    registry,
    requestsTotal: counter(n.requestsTotal, 'Fetch attempts by HTTP status class or error code.', [
      'platform',
      'engine',
      'status',
    ] as const),
    requestDuration: histogram(
      n.requestDuration,
      'Fetch attempt duration in seconds.',
      REQUEST_DURATION_BUCKETS,
      ['platform', 'engine'] as const,
    ),
    // Joins the collect round too, so a callback failing in this scrape is counted in it.
    errorsTotal: new Counter({
      name: n.errorsTotal,
      help: 'Errors by type and the component that hit them.',
      labelNames: ['error_type', 'platform', 'component'] as const,
      registers,
      collect: collectHook,
    }),
    activeEngines: gauge(n.activeEngines, 'Fetch engines currently running, by type.', [
      'engine_type',
    ] as const),
    proxyPoolSize: gauge(n.proxyPoolSize, 'Proxies in the pools of running jobs, by status.', [
      'status',
    ] as const),
    redisConnections: gauge(n.redisConnections, 'Open Redis connections.'),
    dbConnections: gauge(n.dbConnections, 'Database pool connections by state.', [
      'state',
    ] as const),
    systemInfo: gauge(n.systemInfo, 'Build and runtime information; the value is always 1.', [
      'version',
      'node_version',
      'mode',
    ] as const),
    dataProcessedTotal: counter(n.dataProcessedTotal, 'Items through a pipeline processor.', [
      'platform',
      'processor_type',
      'status',
    ] as const),
    dataProcessingDuration: histogram(
      n.dataProcessingDuration,
      'Pipeline processor call duration in seconds.',
      PROCESSING_DURATION_BUCKETS,
      ['processor_type'] as const,
    ),
    frontierQueued: gauge(n.frontierQueued, 'Requests queued in the frontier (all jobs served).'),
    frontierInFlight: gauge(n.frontierInFlight, 'Requests leased, not yet committed (all jobs).'),
    fetchBytesTotal: counter(n.fetchBytesTotal, 'Response body bytes received, after decoding.'),
    leasesExpiredTotal: counter(n.leasesExpiredTotal, 'Leases that expired before a commit.'),
    commitsRefusedTotal: counter(n.commitsRefusedTotal, 'Commits refused for a stale lease token.'),
    resultsStreamLength: gauge(n.resultsStreamLength, 'Results not yet written to PostgreSQL.'),
    writerBatchRows: histogram(
      n.writerBatchRows,
      'Rows per writer batch.',
      WRITER_BATCH_ROWS_BUCKETS,
    ),
    writerRowsTotal: counter(n.writerRowsTotal, 'Rows written to PostgreSQL.'),
    writerBatchDuration: histogram(
      n.writerBatchDuration,
      'Writer batch transaction duration in seconds.',
      WRITER_BATCH_DURATION_BUCKETS,
    ),
    writerDeadLettersTotal: counter(n.writerDeadLettersTotal, 'Results moved to dead letters.'),
    writerRetriesTotal: counter(n.writerRetriesTotal, 'Writer batches retried.'),
  };

  async function runCollectors(): Promise<void> {
    await Promise.all([...collectors].map((fn) => runOne(fn)));
  }

  async function runOne(fn: () => void | Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, collectTimeoutMs, TIMED_OUT);
      // A hung callback must not keep a shutting-down process alive.
      timer.unref();
    });
    try {
      // Promise.resolve().then() also turns a synchronous throw into a rejection.
      const outcome = await Promise.race([Promise.resolve().then(fn), deadline]);
      if (outcome === TIMED_OUT) collectFailed('collect_timeout', undefined);
    } catch (err) {
      collectFailed('collect_failed', err);
    } finally {
      clearTimeout(timer);
    }
  }

  function collectFailed(errorType: 'collect_failed' | 'collect_timeout', err: unknown): void {
    m.errorsTotal.inc({ error_type: errorType, platform: 'generic', component: 'metrics' });
    if (errorType === 'collect_timeout') {
      log?.warn({ timeoutMs: collectTimeoutMs }, 'metrics collect callback timed out');
    } else {
      log?.warn({ err }, 'metrics collect callback failed; its gauges keep their last value');
    }
  }

  const recorders = new Map<string, RequestRecorder>();
  const requestRecorder = (labels: { platform?: string; engine?: string } = {}) => {
    const platform = labels.platform ?? 'generic';
    const engine = labels.engine ?? 'http';
    const key = `${platform}\n${engine}`;
    let recorder = recorders.get(key);
    if (recorder === undefined) {
      recorder = makeRecorder(m.requestsTotal, m.requestDuration, platform, engine);
      recorders.set(key, recorder);
    }
    return recorder;
  };
  const defaultRecorder = requestRecorder();

  const setSystemInfo = (info: { version: string; mode: string }): void => {
    m.systemInfo.reset();
    m.systemInfo.set({ version: info.version, node_version: process.version, mode: info.mode }, 1);
  };
  if (options.systemInfo !== undefined) setSystemInfo(options.systemInfo);

  return {
    ...m,
    recordRequest: (status, errorCode, durationSeconds) =>
      defaultRecorder.record(status, errorCode, durationSeconds),
    requestRecorder,
    recordWriterBatch(rows, durationSeconds) {
      // Guards, not throws: prom-client rejects NaN and negative counts.
      if (rows >= 0) {
        m.writerBatchRows.observe(rows);
        m.writerRowsTotal.inc(rows);
      }
      if (durationSeconds >= 0) m.writerBatchDuration.observe(durationSeconds);
    },
    setSystemInfo,
    onCollect(fn) {
      collectors.add(fn);
      return () => void collectors.delete(fn);
    },
  };
}

const TIMED_OUT = Symbol('timed out');

type RequestLabelValues = LabelValues<'platform' | 'engine' | 'status'>;

/**
 * Every label set a recorder can produce is built here, once: the status classes, one per
 * catalogue error code, and "other" for anything else (which also keeps the label bounded
 * if a caller passes a code the catalogue doesn't know).
 *
 * Measured with prom-client 15 (Node 20, one core): a labelled counter inc costs ~0.3 µs and
 * a labelled histogram observe ~0.5 µs, whether given a label object or a `.labels()` child —
 * the child re-hashes its labels on every call, so pre-resolving children buys nothing. What
 * we can avoid is building label objects per call, so they are frozen and reused here:
 * record() costs ~0.8 µs against ~1.0 µs for building labels inline, so 10,000 requests/s
 * spend under 1 % of one core on it. (An unlabelled counter inc is ~0.03 µs.)
 */
function makeRecorder(
  requests: Counter<'platform' | 'engine' | 'status'>,
  duration: Histogram<'platform' | 'engine'>,
  platform: string,
  engine: string,
): RequestRecorder {
  const labelsFor = (status: string): RequestLabelValues =>
    Object.freeze({ platform, engine, status });
  // Index 1..5 for 1xx..5xx; index 0 unused so the lookup is one division.
  const byClass = [0, 1, 2, 3, 4, 5].map((c) => labelsFor(`${c}xx`));
  const byCode = new Map(Object.keys(ERROR_CATALOGUE).map((code) => [code, labelsFor(code)]));
  const other = labelsFor('other');
  const durationLabels = Object.freeze({ platform, engine });

  const classOf = (status: number | null): RequestLabelValues | undefined =>
    status !== null && status >= 100 && status < 600
      ? byClass[Math.floor(status / 100)]
      : undefined;

  return {
    record(status, errorCode, durationSeconds) {
      let labels = errorCode === null || errorCode === 'http_status' ? classOf(status) : undefined;
      if (labels === undefined && errorCode !== null) labels = byCode.get(errorCode);
      requests.inc(labels ?? other);
      // prom-client throws on NaN; a metrics call must never fail a crawl.
      if (durationSeconds >= 0) duration.observe(durationLabels, durationSeconds);
    },
  };
}
