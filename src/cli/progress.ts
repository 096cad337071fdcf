/**
 * What the user sees while a crawl runs: one live line on a TTY, a plain line every few
 * seconds otherwise (CI logs, pipes), and a summary at the end.
 */
import type { CrawlProgress, CrawlSummary } from '../main/run-crawl.js';

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export function progressLine(p: CrawlProgress): string {
  const f = p.frontier;
  return [
    `${f.succeeded} done`,
    `${f.failed} failed`,
    `${f.queued} queued`,
    `${f.inFlight} in flight`,
    `${p.pagesPerSec.toFixed(1)} pages/s`,
    clock(p.elapsedMs),
    p.stopping ? 'stopping…' : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** Returns the progress callback for runCrawl, writing to `stream`. */
export function progressReporter(
  stream: NodeJS.WriteStream,
  plainEveryMs = 5_000,
): {
  onProgress: (p: CrawlProgress) => void;
  intervalMs: number;
  clear: () => void;
} {
  if (stream.isTTY) {
    return {
      onProgress: (p) => stream.write(`\r\x1b[K${progressLine(p)}`),
      intervalMs: 250,
      clear: () => stream.write('\r\x1b[K'),
    };
  }
  return {
    onProgress: (p) => stream.write(`[trawl] ${new Date().toISOString()} ${progressLine(p)}\n`),
    intervalMs: plainEveryMs,
    clear: () => undefined,
  };
}

/** @param where the line naming where the crawl's state is (data dir, or job). */
export function summaryText(s: CrawlSummary, out: string | null, where: string): string {
  const f = s.frontier;
  const head =
    s.result === 'complete'
      ? 'Crawl complete'
      : s.result === 'max-pages'
        ? 'Stopped at --max-pages'
        : 'Crawl interrupted (run the same command again to resume)';
  const lines = [
    `${head} in ${(s.elapsedMs / 1000).toFixed(1)} s.`,
    `  this run:   ${s.finishedThisRun} pages (${s.pagesPerSec.toFixed(1)} pages/s), ${s.retries} retries, ${(s.bytes / 1e6).toFixed(1)} MB`,
    `  whole crawl: ${s.pagesStored} pages stored (${f.succeeded} ok, ${f.failed} failed), ${f.queued} still queued`,
    `  resources:  ${s.cpuSeconds.toFixed(1)} CPU s, peak RSS ${(s.peakRssBytes / 1048576).toFixed(0)} MB`,
  ];
  if (out !== null) lines.push(`  output:     ${out} (${s.exported} pages)`);
  lines.push(`  ${where}`);
  return lines.join('\n') + '\n';
}
