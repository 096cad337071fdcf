/**
 * Runs one embedded crawl start to finish: open, seed, crawl, export, close. Owns the
 * process-level concerns: SIGINT/SIGTERM (first: finish in-flight requests; second: hand
 * them back), the progress feed and the final summary.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { FrontierStats } from '../frontier/frontier.js';
import { exportPages, type ExportFormat } from '../storage/export/write-export.js';
import { DATABASE_FILE } from '../backends/sqlite/sqlite-database.js';
import { openEmbeddedCrawl } from './embedded-crawl.js';

/** What a crawl run takes in either mode. */
export interface CrawlRunOptions {
  spec: CrawlSpec;
  /** Export file written from the store when the crawl ends. */
  out: string | null;
  format: ExportFormat;
  /** Start over: delete the crawl's state (the data dir's, or the job's) first. */
  fresh: boolean;
  log: Logger;
  /** Called about every `progressIntervalMs` while crawling. */
  onProgress?: (p: CrawlProgress) => void;
  /** @default 250 */
  progressIntervalMs?: number;
  /** Install SIGINT/SIGTERM handlers. @default true */
  handleSignals?: boolean;
}

export interface RunCrawlOptions extends CrawlRunOptions {
  dataDir: string;
}

export interface CrawlProgress {
  /** Frontier totals for the whole crawl (all runs). */
  frontier: FrontierStats;
  /** Pages finished in this run. */
  finishedThisRun: number;
  retries: number;
  bytes: number;
  elapsedMs: number;
  /** Pages finished per second in this run. */
  pagesPerSec: number;
  stopping: boolean;
}

export interface CrawlSummary extends CrawlProgress {
  /** 'complete': nothing left; 'max-pages': budget reached; 'interrupted': stopped by a signal. */
  result: 'complete' | 'max-pages' | 'interrupted';
  pagesStored: number;
  exported: number | null;
  cpuSeconds: number;
  peakRssBytes: number;
}

export async function runCrawl(options: RunCrawlOptions): Promise<CrawlSummary> {
  const { spec, log } = options;
  if (options.fresh) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      await rm(join(options.dataDir, DATABASE_FILE + suffix), { force: true });
    }
  }
  const crawl = await openEmbeddedCrawl({ spec, dataDir: options.dataDir, log });
  const startedAt = Date.now();
  const cpuStart = process.cpuUsage();
  let interrupted = false;

  const snapshot = async (): Promise<CrawlProgress> => {
    const c = crawl.crawler.counters;
    const elapsedMs = Date.now() - startedAt;
    const finishedThisRun = c.succeeded + c.failed;
    return {
      frontier: await crawl.frontier.stats(),
      finishedThisRun,
      retries: c.retries,
      bytes: c.bytes,
      elapsedMs,
      pagesPerSec: elapsedMs > 0 ? (finishedThisRun * 1000) / elapsedMs : 0,
      stopping: crawl.crawler.isStopping,
    };
  };

  const onSignal = (): void => {
    if (!crawl.crawler.isStopping) {
      interrupted = true;
      log.warn('stopping: finishing requests in flight (signal again to stop at once)');
      crawl.crawler.stop('drain');
    } else {
      crawl.crawler.stop('abort');
    }
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let timer: NodeJS.Timeout | undefined;
  if (options.onProgress !== undefined) {
    const report = options.onProgress;
    timer = setInterval(() => void snapshot().then(report), options.progressIntervalMs ?? 250);
  }

  try {
    await crawl.crawler.run();
    if (timer !== undefined) clearInterval(timer);
    const final = await snapshot();
    const pagesStored = await crawl.store.countPages();
    let exported: number | null = null;
    if (options.out !== null) {
      exported = await exportPages(crawl.store, options.out, options.format, {
        warc: { userAgent: spec.userAgent },
      });
    }
    const cpu = process.cpuUsage(cpuStart);
    const result = interrupted
      ? 'interrupted'
      : final.frontier.queued === 0
        ? 'complete'
        : 'max-pages';
    return {
      ...final,
      result,
      pagesStored,
      exported,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    if (timer !== undefined) clearInterval(timer);
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await crawl.close();
  }
}
