/**
 * One measured crawl: a fresh site server, one system crawling it to the end in its own
 * process (wall time, CPU and peak RSS by bench/lib/run-measured), then both counts — what
 * the server answered and what the system delivered — and the warnings that make a round
 * not a clean result.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readDistributedStats } from '../distributed/distributed-stats.js';
import type { DistributedStats } from '../distributed/distributed-stats.js';
import { readProcStats } from '../lib/proc-stats.js';
import { runMeasured } from '../lib/run-measured.js';
import type { MeasuredRun } from '../lib/run-measured.js';
import { checkFields, fieldWarning } from './field-check.js';
import type { FieldCount } from './field-check.js';
import { distributedStatsFile } from './peer-systems.js';
import type { CrawlJob, PeerSystem } from './peer-systems.js';
import type { OutputCounts, ServerCounts, SiteUnderTest } from './site-under-test.js';

export interface RunOptions {
  /** Round number, or null for a tuning run. */
  round: number | null;
  concurrency: number | null;
  /** @default 0 */
  delayMs?: number;
  /** Development page budget. @default none */
  maxPages?: number | null;
  /** Parent of this run's scratch directory. */
  tmpRoot: string;
  timeoutMs: number;
  /** Keep the scratch directory (for debugging). @default false */
  keep?: boolean;
  signal?: AbortSignal;
}

export interface PeerRound {
  system: string;
  site: string;
  round: number | null;
  concurrency: number | null;
  run: MeasuredRun;
  cpuSeconds: number | null;
  server: ServerCounts;
  /** The server processes' CPU during the run, seconds. */
  serverCpuSeconds: number | null;
  output: OutputCounts | null;
  /** Distinct pages of the site delivered with status 200 (from the output). */
  delivered: number;
  /** Distinct pages the server answered with 200. */
  fetched: number;
  /** Pages a complete crawl delivers. */
  expected: number;
  complete: boolean;
  /** delivered / wall seconds. */
  pagesPerSecond: number;
  /** fetched / wall seconds. */
  fetchedPerSecond: number;
  warnings: string[];
  /** Last lines of the system's stderr when something went wrong. */
  stderrTail: string | null;
  /** The system's field checks (`PeerSystem.fieldChecks`) over its output, if it has any. */
  fields?: FieldCount[];
  /**
   * Trawl distributed only: run-distributed's measurements (per process, Redis, writers).
   * `run` and `cpuSeconds` above are GNU time's for the whole command: CPU summed over
   * every process it reaped, peak RSS of the largest single one (rusage keeps a maximum).
   */
  distributed?: DistributedStats;
}

export async function runSystemOnce(
  system: PeerSystem,
  site: SiteUnderTest,
  options: RunOptions,
): Promise<PeerRound> {
  const tmp = mkdtempSync(join(options.tmpRoot, `${site.name}-${system.id}-`));
  const out = join(tmp, 'out.jsonl');
  const running = await site.start(tmp);
  let stopped = false;
  try {
    const job: CrawlJob = {
      startUrls: running.startUrls,
      out,
      tmp,
      concurrency: options.concurrency,
      delayMs: options.delayMs ?? 0,
      maxPages: options.maxPages ?? null,
      pathsFile: site.pathsFile,
    };
    system.prepare?.(job);
    const argv = system.command(job);
    const cpuBefore = cpuOfProcesses(running.serverPids());
    const run = await runMeasured({
      argv,
      stdoutFile: join(tmp, 'stdout.log'),
      stderrFile: join(tmp, 'stderr.log'),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    const cpuAfter = cpuOfProcesses(running.serverPids());
    stopped = true;
    const server = await running.stop();
    const output = await site.checkOutput(out, system.titles);
    const delivered = output?.distinctPages ?? 0;
    const budget = options.maxPages ?? null;
    const warnings = judge(run, server, output, delivered, budget ? 0 : site.expectedPages);
    const fields = system.fieldChecks ? await checkFields(out, system.fieldChecks) : null;
    for (const c of fields ?? []) {
      const w = fieldWarning(c);
      if (w !== null) warnings.push(w);
    }
    const fieldsOk = fields === null || fields.every((c) => c.ok);
    // Read now: the scratch directory holding it is removed below.
    const distributed = readStatsOf(tmp, warnings);
    return {
      system: system.id,
      site: site.name,
      round: options.round,
      concurrency: options.concurrency,
      run,
      cpuSeconds: run.userSeconds === null ? null : run.userSeconds + (run.systemSeconds ?? 0),
      server,
      serverCpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
      output,
      delivered,
      fetched: server.pages,
      expected: site.expectedPages,
      // A page budget stops crawls at different pages: only a clean exit counts then.
      complete:
        (budget !== null || delivered >= site.expectedPages) && run.exitCode === 0 && fieldsOk,
      pagesPerSecond: delivered / run.wallSeconds,
      fetchedPerSecond: server.pages / run.wallSeconds,
      warnings,
      stderrTail: warnings.length > 0 ? tail(join(tmp, 'stderr.log'), 12) : null,
      ...(fields ? { fields } : {}),
      ...(distributed ? { distributed } : {}),
    };
  } finally {
    if (!stopped) await running.stop().catch(() => undefined);
    if (options.keep) console.log(`  kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

function judge(
  run: MeasuredRun,
  server: ServerCounts,
  output: OutputCounts | null,
  delivered: number,
  expected: number,
): string[] {
  const w: string[] = [];
  if (run.timedOut) w.push('timed out');
  if (run.exitCode !== 0) w.push(`exited with ${run.killedBy ?? `code ${run.exitCode}`}`);
  if (output === null) w.push('wrote no output file');
  if (delivered < expected) w.push(`delivered ${delivered} of ${expected} pages`);
  if (server.pages > delivered) {
    w.push(`server answered ${server.pages} pages, only ${delivered} delivered`);
  }
  if (output) {
    const dupes = output.ok200 - output.foreign - output.resources - output.distinctPages;
    if (dupes > 0) w.push(`${dupes} pages delivered more than once`);
    if (output.foreign > 0) w.push(`${output.foreign} 200 lines for URLs that are not pages`);
    if (output.titleMismatches) {
      const ex = output.mismatchExample;
      w.push(
        `${output.titleMismatches} wrong titles, e.g. ${ex?.url}: ` +
          `${JSON.stringify(ex?.got)} instead of ${JSON.stringify(ex?.want)}`,
      );
    }
  }
  if (server.repeats > 0) w.push(`server saw ${server.repeats} repeat requests for pages`);
  return w;
}

/** A distributed run's stats file, if it wrote one; an unreadable one becomes a warning. */
function readStatsOf(tmp: string, warnings: string[]): DistributedStats | null {
  try {
    return readDistributedStats(distributedStatsFile(tmp));
  } catch (err) {
    warnings.push(`distributed stats unreadable: ${(err as Error).message}`);
    return null;
  }
}

/** Summed CPU seconds of processes, or null when one of them cannot be read. */
export function cpuOfProcesses(pids: number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const s = readProcStats(pid);
    if (s === null) return null;
    sum += s.cpuSeconds;
  }
  return sum;
}

function tail(file: string, lines: number): string | null {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text === '' ? null : text.split('\n').slice(-lines).join('\n');
  } catch {
    return null;
  }
}
