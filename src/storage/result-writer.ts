/**
 * The result writer (S1's storage worker, S4's batch writer): drains the jobs' result queues
 * into the page store, one batch per transaction, acknowledging a batch only once its
 * transaction has committed. Talks to ports only (ResultQueue, PageSink), so any number of
 * writer processes can share the work; the queue hands each entry to one of them and gives
 * a dead writer's entries to another.
 *
 * Guarantees, and what they cost:
 * - Nothing is lost: an entry leaves the queue only by an ack after its commit, or by a
 *   dead letter. A writer killed between COMMIT and ack leaves its batch pending; another
 *   writer claims it and writes it again, which the upsert (newest fetch wins) makes
 *   harmless. So each page is stored exactly once, by url, at least once by delivery.
 * - An outage of the store (isTransient) never drops or dead-letters anything: the batch in
 *   hand is retried with backoff and nothing more is read meanwhile.
 * - A record the store refuses (a data error) costs only itself: the batch is bisected until
 *   the good records are written and the bad one is alone; that one is retried a few times
 *   and then dead-lettered with the error.
 * - An entry delivered more than maxDeliveries times (it kept killing writers) is
 *   dead-lettered when claimed, without another try.
 * - Entries the queue cannot decode never reach the writer: the queue adapter dead-letters
 *   them itself, raw (see redis-result-queue.ts).
 */
import type { Logger } from 'pino';
import {
  batchStorer,
  pause,
  raced,
  STOPPED,
  type ResultWriterMetrics,
} from './result-batch-storer.js';
import type { PageSink } from './page-store.js';
import type { QueuedResult, ResultQueue } from './result-queue.js';

export type { ResultWriterMetrics };

export interface ResultWriterOptions {
  queue: ResultQueue;
  sink: PageSink;
  /** The ids of the jobs whose queues to drain; called about every `jobsIntervalMs`. */
  jobs: () => Promise<string[]>;
  /**
   * Whether a failed sink write will pass by itself (the store is unreachable, restarting,
   * overloaded) rather than being the data's fault. For the PostgreSQL sink, pass
   * isTransientPgError. Passed in because the writer knows ports only.
   */
  isTransient: (err: unknown) => boolean;
  signal: AbortSignal;
  log: Logger;
  metrics?: ResultWriterMetrics;
  /** Told about each batch committed and acknowledged (not dead letters). */
  onBatch?: (jobId: string, rows: number) => void;
  /** Most entries read, and written in one transaction. @default 500 */
  batchSize?: number;
  /** Entries pending this long on another writer (it died or stalled) are taken over, ms. @default 30000 */
  claimIdleMs?: number;
  /** How often each job is checked for such entries, ms. @default the smaller of 5000 and claimIdleMs */
  claimIntervalMs?: number;
  /** An entry claimed after more deliveries than this is dead-lettered untried. @default 5 */
  maxDeliveries?: number;
  /** Tries of a lone record the store refuses before it is dead-lettered. @default 3 */
  recordAttempts?: number;
  /**
   * Records dead-lettered in a row for data errors (no write succeeding between) after which
   * the writer stops dead-lettering and retries with backoff instead: when every record
   * fails, the store is broken (a missing table, revoked rights), not the data. @default 10
   */
  maxDeadLettersInARow?: number;
  /** How often `jobs` is called, ms. @default 1000 */
  jobsIntervalMs?: number;
  /** Pause after a pass over every job that found nothing, ms. @default 100 */
  idleMs?: number;
  /** First retry delay after a failure, doubled per retry, ms. @default 100 */
  retryMinMs?: number;
  /** Longest retry delay, ms. @default 5000 */
  retryMaxMs?: number;
  /**
   * After `signal` aborts, how long the batch in hand may take to be written and
   * acknowledged, ms. Past it, run returns and leaves the batch pending for another writer
   * (never lost: at worst written twice). @default 10000
   */
  shutdownGraceMs?: number;
}

/**
 * Runs the writer until `signal` aborts, then finishes (writes and acknowledges) the batch
 * in hand and resolves: "flush the writer" on a graceful stop. Never rejects for a failing
 * store or queue: failures are logged and retried.
 */
export async function runResultWriter(options: ResultWriterOptions): Promise<void> {
  const { queue, signal, log } = options;
  const batchSize = options.batchSize ?? 500;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const claimIntervalMs = options.claimIntervalMs ?? Math.min(5_000, claimIdleMs);
  const maxDeliveries = options.maxDeliveries ?? 5;
  const jobsIntervalMs = options.jobsIntervalMs ?? 1_000;
  const idleMs = options.idleMs ?? 100;
  const retryMinMs = options.retryMinMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5_000;
  const backoff = (attempt: number): number =>
    // Jitter, so writers that failed together do not retry in lockstep.
    Math.min(retryMaxMs, retryMinMs * 2 ** attempt) * (0.8 + 0.4 * Math.random());

  // Writes and acks get the grace period after the abort; reads and waits stop at once.
  const hardStop = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    graceTimer = setTimeout(() => hardStop.abort(), options.shutdownGraceMs ?? 10_000);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  const storer = batchStorer({
    queue,
    sink: options.sink,
    isTransient: options.isTransient,
    log,
    metrics: options.metrics,
    onBatch: options.onBatch,
    recordAttempts: options.recordAttempts ?? 3,
    maxDeadLettersInARow: options.maxDeadLettersInARow ?? 10,
    backoff,
    signal,
    hardStop: hardStop.signal,
  });

  /** Per job: when claimStale last ran, and whether it came back full (more to claim). */
  const claims = new Map<string, { at: number; full: boolean }>();
  let jobs: string[] = [];
  let jobsAt = -Infinity;
  let queueFailures = 0;

  /** Claims (when due) and reads one batch of `job`; true when there was work. */
  async function turn(jobId: string): Promise<boolean> {
    let busy = false;
    const claim = claims.get(jobId);
    const claimDue = claim === undefined || claim.full || Date.now() - claim.at >= claimIntervalMs;
    // Claims happen only between batches: a writer retrying through an outage holds its
    // batch and claims nothing, so an outage adds at most one delivery per idle writer.
    if (claimDue) {
      // Raced against the hard stop only: what a read hands out is delivered to this
      // writer in the queue, so it must be written (within the grace) once it arrives.
      const claimed = await raced(queue.claimStale(jobId, batchSize, claimIdleMs), hardStop.signal);
      if (claimed === STOPPED) return false;
      claims.set(jobId, { at: Date.now(), full: claimed.length >= batchSize });
      if (claimed.length > 0) {
        busy = true;
        log.info({ jobId, entries: claimed.length }, 'took over results pending on another writer');
        if (!(await storeClaimed(jobId, claimed))) return busy;
      }
    }
    if (signal.aborted) return busy;
    const batch = await raced(queue.read(jobId, batchSize), hardStop.signal);
    if (batch === STOPPED || batch.length === 0) return busy;
    await storer.store(jobId, batch);
    return true;
  }

  async function storeClaimed(jobId: string, claimed: QueuedResult[]): Promise<boolean> {
    const fresh: QueuedResult[] = [];
    for (const entry of claimed) {
      if (entry.deliveries <= maxDeliveries) fresh.push(entry);
      else if (!(await storer.deadLetter(jobId, entry, poisonMessage(entry)))) return false;
    }
    return fresh.length === 0 || storer.store(jobId, fresh);
  }

  async function refreshJobs(): Promise<void> {
    if (Date.now() - jobsAt < jobsIntervalMs) return;
    jobsAt = Date.now();
    try {
      const listed = await raced(options.jobs(), signal);
      if (listed === STOPPED) return;
      jobs = listed;
      for (const jobId of claims.keys()) if (!jobs.includes(jobId)) claims.delete(jobId);
    } catch (err) {
      // Keep draining the jobs known so far.
      log.warn({ err }, 'listing the jobs failed; keeping the previous list');
    }
  }

  try {
    while (!signal.aborted) {
      await refreshJobs();
      let busy = false;
      for (const jobId of jobs) {
        if (signal.aborted) break;
        try {
          busy = (await turn(jobId)) || busy;
          queueFailures = 0;
        } catch (err) {
          // The queue failed (Redis refused a command; the client itself waits through
          // reconnects). Whatever this writer had read stays pending: retried like an outage.
          log.warn({ err, jobId }, 'the result queue failed; retrying');
          await pause(backoff(queueFailures++), signal);
        }
      }
      if (!busy) await pause(idleMs, signal);
    }
  } finally {
    clearTimeout(graceTimer);
    signal.removeEventListener('abort', onAbort);
  }
}

function poisonMessage(entry: QueuedResult): string {
  return `delivered ${entry.deliveries} times without being written`;
}
