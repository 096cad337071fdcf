/** What every mode of the peer benchmark shares: where to work, how long to wait, how to log. */
import type { PeerRound } from './run-system.js';

export interface HarnessContext {
  /** Parent of every run's scratch directory (removed at the end unless kept). */
  tmpRoot: string;
  /** Where peers-<timestamp>.json/.svg go. */
  resultsDir: string;
  /** Kill a crawl that runs longer, ms. */
  timeoutMs: number;
  /** Keep each run's scratch directory. */
  keep: boolean;
  signal: AbortSignal;
  log(line: string): void;
}

/** One line per measured crawl, printed as it finishes. */
export function roundLine(prefix: string, r: PeerRound): string {
  const mb = r.run.peakRssBytes === null ? 'n/a' : (r.run.peakRssBytes / 1e6).toFixed(0);
  const cpu = r.cpuSeconds === null ? 'n/a' : r.cpuSeconds.toFixed(1);
  return (
    `${prefix} ${r.system}${r.concurrency === null ? '' : ` c=${r.concurrency}`}: ` +
    `${r.pagesPerSecond.toFixed(0)} pages/s, delivered ${r.delivered}/${r.expected}, ` +
    `server ${r.fetched} pages (${r.server.requests} requests), ${r.run.wallSeconds.toFixed(1)} s, ` +
    `CPU ${cpu} s, RSS ${mb} MB` +
    (r.warnings.length > 0 ? `\n    ! ${r.warnings.join('\n    ! ')}` : '') +
    (r.stderrTail && r.run.exitCode !== 0
      ? `\n    stderr: ${r.stderrTail.split('\n').join('\n    ')}`
      : '')
  );
}
