/**
 * Judging, printing and saving crawl benchmark rounds. A round with any warning makes the
 * whole result invalid: a fast crawl that missed pages is not a result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CrawlOutputCheck } from './read-crawl-output.js';
import type { ProcSample } from './proc-stats.js';
import type { MeasuredRun } from './run-measured.js';
import { summarize } from './summarize.js';
import type { SiteServerStats } from '../site/site-server.js';

export interface RoundResult {
  round: number;
  run: MeasuredRun;
  output: CrawlOutputCheck | null;
  server: SiteServerStats;
  serverCpuSeconds: number | null;
  /** The server's peak RSS since it started (it is shared by all rounds), bytes. */
  serverPeakRssBytes: number | null;
  /** Pages with status 200 in the output, or the server's distinct pages without one. */
  delivered: number;
  deliveredFrom: 'output' | 'server';
  pagesPerSecond: number;
  warnings: string[];
}

export interface RoundInput {
  round: number;
  /** The site's page count: what a complete crawl delivers. */
  pages: number;
  run: MeasuredRun;
  output: CrawlOutputCheck | null;
  server: SiteServerStats;
  serverBefore: ProcSample | null;
  serverAfter: ProcSample | null;
}

export function assessRound(input: RoundInput): RoundResult {
  const { run, output, server, pages } = input;
  const delivered = output ? output.ok200 : server.uniquePages;
  const warnings: string[] = [];
  if (run.timedOut) warnings.push('crawler timed out');
  if (run.exitCode !== 0) {
    warnings.push(`crawler exited with ${run.killedBy ?? `code ${run.exitCode}`}`);
  }
  if (output === null) warnings.push('no output file: pages counted from server hits instead');
  if (delivered !== pages) {
    warnings.push(`delivered ${delivered} pages with status 200, the site has ${pages}`);
  }
  if (output && output.distinctPages !== output.ok200) {
    warnings.push(`${output.ok200 - output.distinctPages} duplicate or foreign 200 lines`);
  }
  if (output && output.titleMismatches > 0) {
    const ex = output.mismatchExamples[0];
    warnings.push(
      `${output.titleMismatches} titles differ from the site's, e.g. ${ex?.url}: ` +
        `got ${JSON.stringify(ex?.got)}, want ${JSON.stringify(ex?.want)}`,
    );
  }
  if (server.repeatPageHits > 0) {
    warnings.push(`server saw ${server.repeatPageHits} repeat requests for pages already served`);
  }
  const { serverBefore: before, serverAfter: after } = input;
  return {
    round: input.round,
    run,
    output,
    server,
    serverCpuSeconds: before && after ? after.cpuSeconds - before.cpuSeconds : null,
    serverPeakRssBytes: after?.peakRssBytes ?? null,
    delivered,
    deliveredFrom: output ? 'output' : 'server',
    pagesPerSecond: delivered / run.wallSeconds,
    warnings,
  };
}

export function printRound(r: RoundResult, rounds: number, pages: number): void {
  const cpu = cpuOf(r);
  const { server } = r;
  console.log(`\nround ${r.round}/${rounds} (${r.run.method}):`);
  console.table({
    'wall s': fixed(r.run.wallSeconds, 2),
    'pages delivered (200)':
      `${r.delivered} of ${pages}` + (r.deliveredFrom === 'server' ? ' (server count)' : ''),
    'pages/s': fixed(r.pagesPerSecond, 0),
    'server hits (all / pages / repeats / 404)':
      `${server.requests} / ${server.uniquePages} / ${server.repeatPageHits} / ` +
      `${server.byClass.notFound}`,
    'crawler CPU s (user+sys)':
      cpu === null
        ? 'n/a'
        : `${fixed(cpu, 2)} (${fixed(r.run.userSeconds, 2)}+${fixed(r.run.systemSeconds, 2)})`,
    'crawler CPU ms/page': cpu === null ? 'n/a' : fixed((cpu * 1000) / Math.max(1, r.delivered), 2),
    'crawler peak RSS MB': mb(r.run.peakRssBytes),
    'server CPU s': fixed(r.serverCpuSeconds, 2),
    'server peak RSS MB': mb(r.serverPeakRssBytes),
  });
  for (const w of r.warnings) console.warn(`\n!!! WARNING: ${w} !!!`);
}

/** Everything about the run that is not a round: who, where, what was run. */
export interface CrawlReportHeader {
  label: string;
  commit: string | null;
  machine: { node: string; cpu: string; cores: number; loadAverage1mBefore: number };
  site: { pages: number; seed: number; latencyMs: number };
  concurrency: number;
  command: string[];
}

/** Prints the summary (for several rounds), writes `<dir>/<timestamp>.json`, returns its path. */
export function writeCrawlReport(
  dir: string,
  header: CrawlReportHeader,
  results: RoundResult[],
): { file: string; valid: boolean } {
  const summary = {
    wallSeconds: summarize(results.map((r) => r.run.wallSeconds)),
    pagesPerSecond: summarize(results.map((r) => r.pagesPerSecond)),
    cpuSeconds: summarize(results.map(cpuOf)),
    cpuMsPerPage: summarize(
      results.map((r) => (cpuOf(r) ?? NaN) * (1000 / Math.max(1, r.delivered))),
    ),
    peakRssMB: summarize(results.map((r) => (r.run.peakRssBytes ?? NaN) / 1e6)),
  };
  if (results.length > 1) {
    console.log(`\nsummary over ${results.length} rounds (median, min–max):`);
    console.table(
      Object.fromEntries(
        Object.entries(summary).map(([k, s]) => [
          k,
          s ? `${fixed(s.median, 2)}  (${fixed(s.min, 2)}–${fixed(s.max, 2)})` : 'n/a',
        ]),
      ),
    );
  }
  const date = new Date().toISOString();
  const valid = results.every((r) => r.warnings.length === 0);
  const report = {
    kind: 'crawl',
    date,
    ...header,
    measuredWith: results[0]?.run.method,
    valid,
    summary,
    rounds: results.map((r) => ({
      round: r.round,
      wallSeconds: r.run.wallSeconds,
      exitCode: r.run.exitCode,
      delivered: r.delivered,
      deliveredFrom: r.deliveredFrom,
      pagesPerSecond: r.pagesPerSecond,
      userSeconds: r.run.userSeconds,
      systemSeconds: r.run.systemSeconds,
      peakRssBytes: r.run.peakRssBytes,
      serverCpuSeconds: r.serverCpuSeconds,
      serverPeakRssBytes: r.serverPeakRssBytes,
      server: r.server,
      output: r.output,
      warnings: r.warnings,
    })),
  };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date.replace(/[:.]/g, '-')}.json`);
  // Millisecond precision is all these figures carry.
  const round3 = (_: string, v: unknown): unknown =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
  writeFileSync(file, JSON.stringify(report, round3, 2) + '\n');
  return { file, valid };
}

function cpuOf(r: RoundResult): number | null {
  return r.run.userSeconds === null ? null : r.run.userSeconds + (r.run.systemSeconds ?? 0);
}

function fixed(n: number | null | undefined, digits: number): string {
  return n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

function mb(bytes: number | null): string {
  return bytes === null ? 'n/a' : (bytes / 1e6).toFixed(1);
}
