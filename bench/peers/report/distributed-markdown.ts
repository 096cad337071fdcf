/**
 * The "Distributed mode" part of a site's Markdown: each distributed row against Trawl
 * embedded in the same run, what every process of it cost, and Redis's and the writers'
 * figures — the numbers the distributed mode's targets are stated in.
 */
import type { Spread } from '../../lib/summarize.js';
import type { DistributedSummary, ProcessSummary } from './distributed-summary.js';
import { count, countSpread, fixedSpread } from './format.js';
import type { SiteResult, SystemResult, SystemSummary } from './peers-report.js';

/** Two workers should deliver at least this share of Trawl embedded's pages/s. */
const TWO_WORKER_TARGET = 0.8;

interface Row {
  system: SystemResult;
  sum: SystemSummary;
  dist: DistributedSummary;
}

/** Empty when no distributed row ran on this site. */
export function distributedSection(site: SiteResult, sums: Map<string, SystemSummary>): string[] {
  const rows = site.systems.flatMap((system): Row[] => {
    const sum = sums.get(system.id);
    return sum?.distributed ? [{ system, sum, dist: sum.distributed }] : [];
  });
  if (rows.length === 0) return [];
  const embedded = sums.get('trawl')?.pagesPerSecond?.median ?? null;
  return [
    '##### Distributed mode',
    '',
    embedded === null
      ? 'Trawl embedded did not run on this site: no "× embedded" ratios.'
      : `Trawl embedded in this run: ${count(embedded)} pages/s (median).`,
    '',
    ...throughputTable(rows, embedded),
    '',
    'CPU s · peak RSS MB per process, median (min–max), read from /proc just before each exits:',
    '',
    ...processTable(rows),
    '',
    ...notes(),
  ];
}

function throughputTable(rows: Row[], embedded: number | null): string[] {
  const out = [
    '| System | Pages/s, whole command | × embedded | Pages/s, crawl only (submit → export) | × embedded | Redis bytes / seen URL | Redis bytes / queued URL at peak (URLs queued) | Redis commands / page: client calls (all, incl. script internals) | Writer rows/s |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { system, sum, dist } of rows) {
    const target = dist.workers === 2 ? TWO_WORKER_TARGET : null;
    out.push(
      `| ${system.label} | ${countSpread(sum.pagesPerSecond)} | ` +
        `${timesEmbedded(sum.pagesPerSecond, embedded, target)} | ` +
        `${countSpread(dist.crawlPagesPerSecond)} | ` +
        `${timesEmbedded(dist.crawlPagesPerSecond, embedded, target)} | ` +
        `${fixedSpread(dist.bytesPerSeenUrl, 1)} | ` +
        `${countSpread(dist.bytesPerQueuedUrlAtPeak)} (${countSpread(dist.peakQueued)}) | ` +
        `${fixedSpread(dist.clientCommandsPerPage, 2)} (${fixedSpread(dist.allCommandsPerPage, 1)}) | ` +
        `${countSpread(dist.writerRowsPerSecond)} |`,
    );
  }
  return out;
}

/** Ratio of medians; with the target when the row has one (2 workers). */
function timesEmbedded(pps: Spread | null, embedded: number | null, target: number | null): string {
  if (pps === null || embedded === null || embedded <= 0) return 'n/a';
  const ratio = `${(pps.median / embedded).toFixed(2)}×`;
  return target === null ? ratio : `**${ratio}** (target ≥ ${target.toFixed(2)})`;
}

function processTable(rows: Row[]): string[] {
  // One column per role any row has, so 1 and 2 workers share a table.
  const roles = [...new Set(rows.flatMap((r) => r.dist.processes.map((p) => p.role)))].sort(
    (a, b) => roleRank(a) - roleRank(b),
  );
  const out = [
    `| System | ${roles.map(shortRole).join(' | ')} | Σ processes (RSS: sum of peaks) |`,
    `|---|${roles.map(() => '---|').join('')}---|`,
  ];
  for (const { system, dist } of rows) {
    const cells = roles.map((role) => {
      const p = dist.processes.find((x) => x.role === role);
      return p ? processCell(p) : '—';
    });
    const total = cpuAndRss(dist.processCpuSeconds, dist.processPeakRssMBSum);
    out.push(`| ${system.label} | ${cells.join(' | ')} | ${total} |`);
  }
  return out;
}

/** Submitter, then workers by number, then redis-server (and anything else) last. */
function roleRank(role: string): number {
  if (role.startsWith('submitter')) return 0;
  const worker = /^worker (\d+)$/.exec(role);
  if (worker) return Number(worker[1]);
  return role === 'redis-server' ? 10_000 : 10_001;
}

function processCell(p: ProcessSummary): string {
  return cpuAndRss(p.cpuSeconds, p.peakRssMB);
}

function cpuAndRss(cpu: Spread | null, rssMB: Spread | null): string {
  return `${fixedSpread(cpu, 1)} s · ${countSpread(rssMB)} MB`;
}

/** `submitter (trawl crawl --workers 0)` → `submitter`: the header says what, the notes how. */
function shortRole(role: string): string {
  return role.replace(/ \(.*\)$/, '');
}

function notes(): string[] {
  return [
    "- Whole command: the table above's figure, from run-distributed's start to its exit — " +
      "redis-server start, a fresh PostgreSQL schema and its migrations, the workers' " +
      "start and shutdown, and the crawl. Crawl only: the submitter's lifetime (submit, " +
      'crawl, export) with the workers already running, as in a deployment.',
    "- The table above's CPU and peak RSS are GNU time's for the whole command: CPU summed " +
      'over every process it waited for (the wrapper and `trawl migrate` too), peak RSS of ' +
      "the largest single process. PostgreSQL's own server processes are in neither.",
    '- Redis commands: client calls count a script call (EVALSHA) once; "all" counts every ' +
      'command Redis ran, those inside scripts included. Bytes per queued URL: used memory ' +
      "at the largest queue, less the baseline and the seen set's share, per queued URL.",
  ];
}
