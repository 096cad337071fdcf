/**
 * The measurements run-distributed writes with --stats: one distributed crawl split by
 * process, plus what Redis and the result writers did. The peer benchmark reads the file
 * back into its round results, so both sides share this one shape.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface DistributedProcess {
  /** `submitter (trawl crawl --workers 0)`, `worker 1`, …, `redis-server`. */
  role: string;
  /** user + system CPU, seconds, read just before the process exited. */
  cpuSeconds: number | null;
  /** Peak resident set (VmHWM), bytes. */
  peakRssBytes: number | null;
}

export interface DistributedRedisStats {
  /** used_memory after the crawl minus before it, bytes. */
  usedMemoryBytes: number;
  seenUrls: number;
  seenSetBytes: number;
  bytesPerSeenUrl: number | null;
  /** The most URLs queued at once (sampled every 200 ms). */
  peakQueued: number;
  /** Memory at that peak, net of the baseline and of the seen set's share, per queued URL. */
  bytesPerQueuedUrlAtPeak: number | null;
  clientCommands: number;
  /** Commands clients sent (a script call counts once) per page. */
  commandsPerPage: number | null;
  /** Every command Redis ran, script internals included, per page. */
  allCommandsPerPage: number | null;
  cpuSecondsPerPage: number | null;
}

export interface DistributedStats {
  workers: number;
  /** From the submitter's spawn to its exit (submit, crawl, export), seconds. */
  wallSeconds: number;
  /** ok + failed in the job's counters. */
  pages: number;
  pagesPerSecond: number;
  processes: DistributedProcess[];
  redis: DistributedRedisStats;
  writer: { rowsWritten: number; rowsPerSecond: number };
}

/**
 * The stats file of one run, or null when there is none (the wrapper died before writing
 * it). Throws when it exists but is not this shape, so a format drift is not silently lost.
 */
export function readDistributedStats(file: string): DistributedStats | null {
  if (!existsSync(file)) return null;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isDistributedStats(parsed)) throw new Error(`${file}: not run-distributed --stats output`);
  return parsed;
}

function isDistributedStats(x: unknown): x is DistributedStats {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    typeof o.workers === 'number' &&
    typeof o.wallSeconds === 'number' &&
    Array.isArray(o.processes) &&
    o.processes.every((p) => typeof (p as { role?: unknown }).role === 'string') &&
    typeof o.redis === 'object' &&
    o.redis !== null &&
    typeof o.writer === 'object' &&
    o.writer !== null
  );
}
