/**
 * Entry point of a parse worker thread (see WorkerPageParser). Receives batches of jobs,
 * parses them with the same parsePage() the inline parser runs, and answers each batch
 * with one message: per-message overhead, not parsing, dominates at thousands of pages/s.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ParsedPage } from '../core/types.js';
import type { PageParserOptions } from './page-parser.js';
import { forgetReturnedLinks } from './extract-page.js';
import { createParseContext, parsePage } from './parse-page.js';

/** A job as it travels to a worker. */
export interface WireJob {
  id: number;
  url: string;
  /** Transferred, not copied, whenever the caller's Buffer owned its memory. */
  body: Uint8Array;
  contentType: string | null;
  extractLinks: boolean;
}

export type ToWorker =
  | { jobs: WireJob[] }
  /** Forget links returned before (PageParser.forgetLinks). */
  | { forget: string[] | 'all' };

export type WireResult = { id: number; page: ParsedPage } | { id: number; error: string };

export type FromWorker = { type: 'ready' } | { type: 'results'; results: WireResult[] };

if (parentPort === null) throw new Error('parse-worker must run in a worker thread');
const port = parentPort;
const options = workerData as PageParserOptions;
const ctx = createParseContext(options);

port.on('message', (msg: ToWorker) => {
  if ('forget' in msg) {
    forgetReturnedLinks(ctx, msg.forget);
    return;
  }
  const results: WireResult[] = [];
  for (const job of msg.jobs) {
    try {
      const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
      const { url, contentType, extractLinks } = job;
      const page = parsePage({ url, body, contentType, extractLinks }, ctx);
      results.push({ id: job.id, page });
    } catch (err) {
      results.push({ id: job.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  port.postMessage({ type: 'results', results } satisfies FromWorker);
});

port.postMessage({ type: 'ready' } satisfies FromWorker);
