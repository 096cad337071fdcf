/**
 * Memory and CPU of a whole process tree — a crawler and every Chromium process under it
 * (browser, zygotes, GPU/network/storage utilities, one renderer per page) — read from
 * Linux /proc while it runs:
 *
 * - **RSS sum**, every `intervalMs` (100 ms): VmRSS of each process of the tree, summed.
 *   Pages shared between processes (the Chromium binary and its libraries, shared memory)
 *   count once per process that maps them, so the sum over-counts; it does so for every
 *   crawler driving the same Chromium alike, so sums compare. The peak is the largest sum.
 * - **PSS sum**, every `pssEveryMs` (1 s): Pss from /proc/PID/smaps_rollup, which divides
 *   each shared page among the processes mapping it: the tree's real footprint, sampled
 *   less often because the kernel walks every mapping to compute it.
 * - **CPU**: utime + stime of each process (all its threads), the last value seen per PID,
 *   summed over every PID ever seen in the tree (a process that exits keeps its last
 *   reading; cutime is not added, so a reaped child is not counted twice). CPU used after
 *   a process's last sample (< one interval) is missed.
 *
 * The tree is the root PID and its descendants by parent PID, found afresh each sample.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { clockTicksPerSecond } from '../lib/proc-stats.js';

export interface TreeSample {
  /** ms since the sampler started. */
  t: number;
  rssBytes: number;
  processes: number;
  /** Only on the samples where PSS was read. */
  pssBytes?: number;
}

export interface TreeSamplerResult {
  samples: TreeSample[];
  peakRssBytes: number;
  peakPssBytes: number | null;
  peakProcesses: number;
  cpuSeconds: number;
  /** Distinct PIDs seen in the tree. */
  pidsSeen: number;
}

export interface TreeSampler {
  /** The latest sum of RSS. */
  current(): TreeSample | null;
  /** Every PID seen in the tree so far. */
  pids(): number[];
  stop(): TreeSamplerResult;
}

const PAGE_SIZE = 4096;

export function sampleTree(rootPid: number, intervalMs = 100, pssEveryMs = 1000): TreeSampler {
  const started = performance.now();
  const cpuTicks = new Map<number, number>();
  const samples: TreeSample[] = [];
  let peakRss = 0;
  let peakPss: number | null = null;
  let peakProcs = 0;
  let lastPss = -Infinity;
  let latest: TreeSample | null = null;

  const tick = (): void => {
    const t = performance.now() - started;
    const tree = treeOf(rootPid);
    if (tree.length === 0) return;
    let rss = 0;
    let alive = 0;
    for (const pid of tree) {
      const stat = readStat(pid);
      if (stat === null) continue;
      alive++;
      cpuTicks.set(pid, stat.ticks);
      rss += stat.rssPages * PAGE_SIZE;
    }
    const sample: TreeSample = { t: Math.round(t), rssBytes: rss, processes: alive };
    if (t - lastPss >= pssEveryMs) {
      lastPss = t;
      let pss = 0;
      for (const pid of tree) pss += readPss(pid);
      sample.pssBytes = pss;
      peakPss = Math.max(peakPss ?? 0, pss);
    }
    samples.push(sample);
    latest = sample;
    peakRss = Math.max(peakRss, rss);
    peakProcs = Math.max(peakProcs, alive);
  };

  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    current: () => latest,
    pids: () => [...cpuTicks.keys()],
    stop: () => {
      clearInterval(timer);
      let ticks = 0;
      for (const v of cpuTicks.values()) ticks += v;
      return {
        samples,
        peakRssBytes: peakRss,
        peakPssBytes: peakPss,
        peakProcesses: peakProcs,
        cpuSeconds: ticks / clockTicksPerSecond(),
        pidsSeen: cpuTicks.size,
      };
    },
  };
}

/** The root and its descendants, by walking every process's parent PID. */
export function treeOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [pid]);
    else list.push(pid);
  }
  if (parentOf(root) === null) return [];
  const out = [root];
  for (let k = 0; k < out.length; k++) {
    for (const child of children.get(out[k] as number) ?? []) out.push(child);
  }
  return out;
}

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (which may hold spaces and parentheses): state is field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  const f = statFields(pid);
  return f === null ? null : Number(f[1]);
}

/** utime + stime (ticks) and RSS (pages) from /proc/PID/stat. */
function readStat(pid: number): { ticks: number; rssPages: number } | null {
  const f = statFields(pid);
  if (f === null) return null;
  // Fields 14 (utime), 15 (stime) and 24 (rss) sit at 11, 12 and 21 once pid and comm are gone.
  return { ticks: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
}

function readPss(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const m = /^Pss:\s+(\d+) kB/m.exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
