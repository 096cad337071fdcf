/**
 * One result writer's handling of a batch in hand (see result-writer.ts): write it in one
 * transaction, acknowledge it after the commit, retry it through outages, bisect it around
 * records the store refuses, dead-letter what cannot be stored.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { PageSink } from './page-store.js';
import type { QueuedResult, ResultQueue } from './result-queue.js';

/**
 * The writer's metrics: TrawlMetrics (metrics/metrics.ts) has them all; declared here by
 * shape because src/storage may not import src/metrics.
 */
export interface ResultWriterMetrics {
  /** One committed batch: its rows, and its transaction's duration in seconds. */
  recordWriterBatch(rows: number, durationSeconds: number): void;
  readonly writerDeadLettersTotal: { inc(value?: number): void };
  /** Each retry of a write: through an outage, or of a record refused alone. */
  readonly writerRetriesTotal: { inc(value?: number): void };
}

/** What a wait gives back when the writer was told to stop first. */
export const STOPPED: unique symbol = Symbol('stopped');
export type Stopped = typeof STOPPED;

/**
 * `promise`'s outcome, or STOPPED as soon as `signal` aborts (at once if it has). A promise
 * given up on keeps running; its late rejection is absorbed here, never unhandled.
 */
export function raced<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | Stopped> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(STOPPED);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Waits `ms`; false (early) when `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export interface BatchStorerOptions {
  queue: ResultQueue;
  sink: PageSink;
  isTransient: (err: unknown) => boolean;
  log: Logger;
  metrics: ResultWriterMetrics | undefined;
  onBatch: ((jobId: string, rows: number) => void) | undefined;
  recordAttempts: number;
  maxDeadLettersInARow: number;
  /** Retry delay after `attempt` failures (0-based), ms. */
  backoff: (attempt: number) => number;
  /** The writer's stop: retry waits end at once. */
  signal: AbortSignal;
  /** The stop plus the grace period: writes and acks in flight are given up. */
  hardStop: AbortSignal;
}

export interface BatchStorer {
  /** Writes, acks or dead-letters every entry; false when stopped first (the rest stays pending). */
  store(jobId: string, entries: QueuedResult[]): Promise<boolean>;
  /** Dead-letters one entry, retrying the queue; false when stopped first. */
  deadLetter(jobId: string, entry: QueuedResult, error: string): Promise<boolean>;
}

/** Most entry ids whose failures are remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;

export function batchStorer(o: BatchStorerOptions): BatchStorer {
  const { queue, sink, log } = o;
  /** Data-error failures per entry id, while it fails alone. */
  const failures = new Map<string, number>();
  /** The last write failed transiently: an outage is being waited out (for the log). */
  let down = false;
  let deadInARow = 0;

  /** Runs a queue step until it succeeds; false when stopped first. */
  async function settle(jobId: string, what: string, step: () => Promise<unknown>) {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await raced(step(), o.hardStop)) !== STOPPED;
      } catch (err) {
        log.warn({ err, jobId }, `${what} failed; retrying`);
        if (!(await pause(o.backoff(attempt), o.hardStop))) return false;
      }
    }
  }

  async function deadLetter(jobId: string, entry: QueuedResult, error: string) {
    const moved = await settle(jobId, 'dead-lettering a result', () =>
      queue.deadLetter(jobId, entry, error),
    );
    if (!moved) return false;
    failures.delete(entry.id);
    o.metrics?.writerDeadLettersTotal.inc();
    log.error({ jobId, id: entry.id, url: entry.record.url, error }, 'result dead-lettered');
    return true;
  }

  /** One sink write: 'ok', STOPPED, or what it failed with. */
  async function write(jobId: string, entries: QueuedResult[]) {
    const started = performance.now();
    try {
      const records = entries.map((e) => e.record);
      if ((await raced(sink.writeBatch(jobId, records), o.hardStop)) === STOPPED) return STOPPED;
    } catch (err) {
      return { err };
    }
    o.metrics?.recordWriterBatch(entries.length, (performance.now() - started) / 1000);
    return 'ok' as const;
  }

  async function store(jobId: string, entries: QueuedResult[]): Promise<boolean> {
    let outages = 0;
    let refusals = 0;
    for (;;) {
      const outcome = await write(jobId, entries);
      if (outcome === STOPPED) return false;
      if (outcome === 'ok') {
        if (down) log.info({ jobId }, 'the page store accepts writes again');
        down = false;
        deadInARow = 0;
        const ids = entries.map((e) => e.id);
        // Committed: from here on, a lost ack costs a second (idempotent) write, not a row.
        if (!(await settle(jobId, 'acknowledging a batch', () => queue.ack(jobId, ids)))) {
          return false;
        }
        for (const id of ids) failures.delete(id);
        o.onBatch?.(jobId, entries.length);
        return true;
      }
      const { err } = outcome;
      if (o.isTransient(err)) {
        // Keep the batch and read nothing more: it is not the data's fault.
        if (!down || outages % 20 === 0) {
          log.warn(
            { err, jobId, entries: entries.length },
            'the page store is unavailable; retrying',
          );
        }
        down = true;
        o.metrics?.writerRetriesTotal.inc();
        if (!(await pause(o.backoff(outages++), o.signal))) return false;
        continue;
      }
      if (entries.length > 1) {
        log.warn({ err, jobId, entries: entries.length }, 'a batch was refused; bisecting it');
        const half = Math.ceil(entries.length / 2);
        return (
          (await store(jobId, entries.slice(0, half))) && (await store(jobId, entries.slice(half)))
        );
      }
      const entry = entries[0]!;
      const failed = remember(entry.id);
      if (failed < o.recordAttempts || deadInARow >= o.maxDeadLettersInARow) {
        if (failed >= o.recordAttempts && (failed - o.recordAttempts) % 10 === 0) {
          log.error(
            { err, jobId, deadInARow },
            'every record is refused: the store looks broken, not the data; retrying without dead-lettering',
          );
        }
        o.metrics?.writerRetriesTotal.inc();
        if (!(await pause(o.backoff(refusals++), o.signal))) return false;
        continue;
      }
      if (!(await deadLetter(jobId, entry, errorMessage(err)))) return false;
      deadInARow++;
      return true;
    }
  }

  /** Counts one more failure of `id` alone; returns its failures so far. */
  function remember(id: string): number {
    const n = (failures.get(id) ?? 0) + 1;
    failures.delete(id);
    failures.set(id, n);
    if (failures.size > MAX_REMEMBERED) failures.delete(failures.keys().next().value!);
    return n;
  }

  return { store, deadLetter };
}

function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}
