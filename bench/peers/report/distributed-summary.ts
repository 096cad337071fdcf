/**
 * A distributed system's rounds summed up (median and min–max over rounds) from the
 * measurements run-distributed leaves in each round: throughput with the setup left out,
 * CPU and memory per process, Redis's cost per URL and per page, the writers' rate.
 */
import { summarize } from '../../lib/summarize.js';
import type { Spread } from '../../lib/summarize.js';
import type { DistributedStats } from '../../distributed/distributed-stats.js';
import type { PeerRound } from '../run-system.js';

export interface ProcessSummary {
  role: string;
  cpuSeconds: Spread | null;
  peakRssMB: Spread | null;
}

export interface DistributedSummary {
  /** Rounds that left a stats file. */
  rounds: number;
  workers: number;
  /**
   * Pages delivered over the submitter's lifetime (submit, crawl, export): what a
   * deployment with running workers pays per crawl, without redis-server's start, the
   * schema and migrations, and the workers' start and shutdown that the round's wall
   * time includes.
   */
  crawlPagesPerSecond: Spread | null;
  /** In the order run-distributed lists them: submitter, worker 1 … N, redis-server. */
  processes: ProcessSummary[];
  /** CPU of the processes above, summed per round. */
  processCpuSeconds: Spread | null;
  /** Their peaks added up per round: an upper bound, the peaks need not coincide. */
  processPeakRssMBSum: Spread | null;
  bytesPerSeenUrl: Spread | null;
  bytesPerQueuedUrlAtPeak: Spread | null;
  peakQueued: Spread | null;
  clientCommandsPerPage: Spread | null;
  allCommandsPerPage: Spread | null;
  writerRowsPerSecond: Spread | null;
}

/** Null for a system whose rounds carry no distributed measurements. */
export function summarizeDistributed(rounds: PeerRound[]): DistributedSummary | null {
  const runs = rounds.filter(
    (r): r is PeerRound & { distributed: DistributedStats } => r.distributed !== undefined,
  );
  if (runs.length === 0) return null;
  const stats = runs.map((r) => r.distributed);
  const over = (f: (s: DistributedStats) => number | null): Spread | null =>
    summarize(stats.map(f));
  return {
    rounds: runs.length,
    workers: stats[0]?.workers ?? 0,
    crawlPagesPerSecond: summarize(
      runs.map((r) =>
        r.distributed.wallSeconds > 0 ? r.delivered / r.distributed.wallSeconds : null,
      ),
    ),
    processes: roles(stats).map((role) => processSummary(role, stats)),
    processCpuSeconds: over((s) => sumOf(s.processes.map((p) => p.cpuSeconds))),
    processPeakRssMBSum: over((s) => mb(sumOf(s.processes.map((p) => p.peakRssBytes)))),
    bytesPerSeenUrl: over((s) => s.redis.bytesPerSeenUrl),
    bytesPerQueuedUrlAtPeak: over((s) => s.redis.bytesPerQueuedUrlAtPeak),
    peakQueued: over((s) => s.redis.peakQueued),
    clientCommandsPerPage: over((s) => s.redis.commandsPerPage),
    allCommandsPerPage: over((s) => s.redis.allCommandsPerPage),
    writerRowsPerSecond: over((s) => s.writer.rowsPerSecond),
  };
}

/** Every role seen in any round, first-seen order. */
function roles(stats: DistributedStats[]): string[] {
  return [...new Set(stats.flatMap((s) => s.processes.map((p) => p.role)))];
}

function processSummary(role: string, stats: DistributedStats[]): ProcessSummary {
  const of = stats.map((s) => s.processes.find((p) => p.role === role));
  return {
    role,
    cpuSeconds: summarize(of.map((p) => p?.cpuSeconds ?? null)),
    peakRssMB: summarize(of.map((p) => mb(p?.peakRssBytes ?? null))),
  };
}

/** The sum, or null when any part is unknown (a partial sum would read as a low figure). */
function sumOf(xs: (number | null)[]): number | null {
  return xs.some((x) => x === null) ? null : xs.reduce<number>((a, x) => a + (x as number), 0);
}

function mb(bytes: number | null): number | null {
  return bytes === null ? null : bytes / 1e6;
}
