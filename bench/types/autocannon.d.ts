/**
 * The part of autocannon 8's programmatic API the benchmarks use (it ships no types, and
 * @types/autocannon is not installed). Shapes follow autocannon/lib/aggregateResult.js.
 */
declare module 'autocannon' {
  export interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  export interface RequestSpec extends RequestParams {
    /** Called before each request; returns the request to send. */
    setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams;
  }

  export interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    amount?: number;
    workers?: number;
    requests?: RequestSpec[];
  }

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  export interface Result {
    /** Seconds. */
    duration: number;
    connections: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    /** Per-second samples of completed requests. */
    requests: Histogram & { sent: number };
    /** Per-second samples of bytes read. */
    throughput: Histogram;
    /** Milliseconds. */
    latency: Histogram;
  }

  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
