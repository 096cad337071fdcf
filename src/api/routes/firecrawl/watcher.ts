/**
 * The WebSocket watcher of a Firecrawl job, on the status routes' paths
 * (`/v2/crawl/{id}`, `/v2/batch/scrape/{id}`, `/v1/crawl/{id}`): each document once, as
 * it is stored, then the end. Messages as the SDK's watchers read them:
 *
 * - `catchup` `{data: {status, completed, total, creditsUsed, expiresAt, data: [docs]}}`
 *   first, with the documents stored so far (up to a page; the rest follow as documents).
 *   The v2 watcher ends on a final status in it, so for a job already final it is left
 *   out and every document comes as `document`.
 * - `document` `{data: doc}` for each new document.
 * - the end. v2: `done` for a completed job; a final `status` snapshot for a failed or
 *   cancelled one (the v2 watcher ends with that status; `done` would say completed).
 *   v1: the v1 watcher reads the end from the close reason (it parses it as a message),
 *   so the socket closes with `{"type":"done"}` or `{"type":"error","error":…}`.
 *
 * Polled like Trawl's SSE progress: the counts and documents are exact in both modes.
 */
import { isFinalState } from '../../../jobs/job-service.js';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import type { FirecrawlVersion } from './crawl-request.js';
import { documentPage, firecrawlJob, statusCounts } from './job-status.js';

const POLL_MS = 250;
const BATCH = 100;
const OPEN = 1;

/** The part of a `ws` WebSocket the watcher uses. */
export interface WatcherSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): unknown;
}

export function watchJob(
  socket: WatcherSocket,
  deps: AppDeps,
  id: string,
  kind: 'crawl' | 'batch',
  version: FirecrawlVersion,
): void {
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  const send = (message: unknown): void => {
    if (!closed && socket.readyState === OPEN) socket.send(JSON.stringify(message));
  };
  const end = (type: 'done' | 'error', error?: string): void => {
    if (closed) return;
    // A close reason holds at most 123 bytes.
    const reason = JSON.stringify(
      type === 'done' ? { type } : { type, error: error?.slice(0, 80) },
    );
    socket.close(1000, version === 'v1' ? reason : undefined);
  };
  const run = async (): Promise<void> => {
    const kinds = version === 'v1' ? (['crawl', 'batch'] as const) : [kind];
    let { job, meta } = await firecrawlJob(deps.jobs, id, kinds);
    let after: string | undefined;
    if (version === 'v1' || !isFinalState(job.state)) {
      const first = await documentPage(
        deps.jobs,
        job,
        meta,
        undefined,
        BATCH,
        deps.settings.publicUrl,
      );
      after = first.last;
      send({ type: 'catchup', data: { ...statusCounts(job), data: first.data } });
    }
    while (!closed) {
      const final = isFinalState(job.state);
      // Every document stored by the time the job was read is sent before its end.
      for (;;) {
        const page = await documentPage(
          deps.jobs,
          job,
          meta,
          after,
          BATCH,
          deps.settings.publicUrl,
        );
        after = page.last;
        for (const doc of page.data) send({ type: 'document', data: doc });
        if (!page.more || closed) break;
      }
      if (final) {
        const counts = statusCounts(job);
        if (version === 'v1') {
          if (job.state === 'completed') end('done');
          else end('error', job.state === 'cancelled' ? 'cancelled' : (job.error ?? 'failed'));
        } else {
          send(
            job.state === 'completed'
              ? { type: 'done', data: { ...counts, data: [] } }
              : { type: 'status', data: { ...counts, data: [], error: job.error } },
          );
          end('done');
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      ({ job, meta } = await firecrawlJob(deps.jobs, id, kinds));
    }
  };
  run().catch((err: unknown) => {
    const notFound = err instanceof ApiError && err.code === 'job_not_found';
    const message = notFound ? err.message : 'the watcher failed';
    if (!notFound && deps.log !== false) deps.log.warn({ err, job: id }, message);
    send({ type: 'error', error: message });
    end('error', message);
  });
}
