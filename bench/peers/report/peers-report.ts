/**
 * The peer benchmark's results as data: what ran where, every round, and the summary per
 * system (median and min–max over rounds). The JSON file, the Markdown table and the
 * chart are all made from this one shape.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '../../lib/summarize.js';
import type { Spread } from '../../lib/summarize.js';
import type { InstallStep } from '../install-peers.js';
import type { ThreadProfile } from './cpu-profile-summary.js';
import { summarizeDistributed } from './distributed-summary.js';
import type { DistributedSummary } from './distributed-summary.js';
import type { PeerRound } from '../run-system.js';
import type { ServerCeiling } from '../server-ceiling.js';
import type { TuneResult } from '../tune-concurrency.js';

export interface SystemResult {
  id: string;
  label: string;
  kind: 'trawl' | 'peer' | 'ceiling';
  /** Why it did not run, or null. */
  skipped: string | null;
  tuning: TuneResult | null;
  rounds: PeerRound[];
}

export interface SiteResult {
  name: string;
  describe: Record<string, unknown>;
  expectedPages: number;
  serverCeiling: ServerCeiling | null;
  systems: SystemResult[];
  /** An extra, profiled Trawl run (--profile): where its CPU time went. */
  profile?: { run: PeerRound; threads: ThreadProfile[] };
}

export interface MachineInfo {
  cores: number;
  cpu: string;
  memoryGB: number;
  node: string;
  /** 1-minute load average before the run: on a shared machine, figures are lower bounds. */
  loadAverage1mBefore: number;
}

export interface PeersReport {
  kind: 'peers' | 'peers-scale' | 'peers-politeness';
  date: string;
  commit: string | null;
  /** The exact command line that produced this report. */
  command: string;
  machine: MachineInfo;
  options: Record<string, unknown>;
  install: InstallStep[] | null;
  sites: SiteResult[];
}

export interface SystemSummary {
  rounds: number;
  pagesPerSecond: Spread | null;
  fetchedPerSecond: Spread | null;
  cpuSeconds: Spread | null;
  peakRssMB: Spread | null;
  delivered: Spread | null;
  fetched: Spread | null;
  wallSeconds: Spread | null;
  /** Every round delivered every page and exited cleanly. */
  complete: boolean;
  /** One line per round that had warnings. */
  warnings: string[];
  /** Trawl distributed's own measurements, null for every other system. */
  distributed: DistributedSummary | null;
}

export function summarizeSystem(s: SystemResult): SystemSummary {
  const r = s.rounds;
  return {
    rounds: r.length,
    pagesPerSecond: summarize(r.map((x) => x.pagesPerSecond)),
    fetchedPerSecond: summarize(r.map((x) => x.fetchedPerSecond)),
    cpuSeconds: summarize(r.map((x) => x.cpuSeconds)),
    peakRssMB: summarize(
      r.map((x) => (x.run.peakRssBytes === null ? null : x.run.peakRssBytes / 1e6)),
    ),
    delivered: summarize(r.map((x) => x.delivered)),
    fetched: summarize(r.map((x) => x.fetched)),
    wallSeconds: summarize(r.map((x) => x.run.wallSeconds)),
    complete: r.length > 0 && r.every((x) => x.complete),
    warnings: r
      .filter((x) => x.warnings.length > 0)
      .map((x) => `${x.round === null ? 'tuning' : `round ${x.round}`}: ${x.warnings.join(', ')}`),
    distributed: summarizeDistributed(r),
  };
}

/** Writes `<dir>/<prefix>-<timestamp>.json` and returns its path (without extension too). */
export function writeReportJson(
  dir: string,
  prefix: string,
  report: PeersReport,
): { file: string; base: string } {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${prefix}-${report.date.replace(/[:.]/g, '-')}`);
  const withSummaries = {
    ...report,
    sites: report.sites.map((site) => ({
      ...site,
      systems: site.systems.map((s) => ({ ...s, summary: summarizeSystem(s) })),
    })),
  };
  // Millisecond precision is all these figures carry.
  const round3 = (_: string, v: unknown): unknown =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
  writeFileSync(`${base}.json`, JSON.stringify(withSummaries, round3, 2) + '\n');
  return { file: `${base}.json`, base };
}
