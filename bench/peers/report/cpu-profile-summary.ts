/**
 * Where a crawler's CPU time goes, from V8 CPU profiles (`node --cpu-prof`): self time by
 * area (Trawl's own folders, each dependency, Node internals, GC, idle) and the hottest
 * functions, per thread. What BENCHMARKS.md quotes when Trawl falls short of a target.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ThreadProfile {
  /** The profile file name (Node names it CPU.<date>.<pid>.<thread>.<seq>.cpuprofile). */
  file: string;
  /** Sampled time, ms. */
  totalMs: number;
  /** Self time by area, ms, largest first. */
  areas: { area: string; ms: number }[];
  /** Hottest functions by self time, ms. */
  functions: { name: string; where: string; ms: number }[];
}

/** Summaries of every .cpuprofile in `dir`, the busiest thread first. */
export function summarizeProfiles(dir: string, top = 12): ThreadProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(join(dir, f), f, top))
    .sort((a, b) => busy(b) - busy(a));
}

function busy(t: ThreadProfile): number {
  return t.totalMs - (t.areas.find((a) => a.area === '(idle)')?.ms ?? 0);
}

function summarizeProfile(path: string, file: string, top: number): ThreadProfile {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const areas = new Map<string, number>();
  const fns = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : area;
    const key = `${frame.functionName}@${where}`;
    const f = fns.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  return {
    file,
    totalMs: totalUs / 1000,
    areas: [...areas].map(([area, us]) => ({ area, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000 })),
  };
}

/** Trawl's folder (src/parse), the npm package, node internals, or V8's pseudo-frames. */
function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node internals';
  const src = /\/(src|bench)\/([^/]+)\//.exec(url);
  if (src) return `trawl ${src[1]}/${src[2]}`;
  return 'other';
}

function shortUrl(url: string): string {
  const i = url.search(/\/(src|bench|node_modules)\//);
  return i === -1 ? url.replace(/^file:\/\//, '') : url.slice(i + 1);
}

/** Markdown: per thread, areas above 1 % and the hottest functions. */
export function profileMarkdown(label: string, threads: ThreadProfile[]): string[] {
  const out = [`CPU profile of one extra ${label} run (node --cpu-prof; self time):`, ''];
  for (const t of threads) {
    const pct = (ms: number): string => `${((100 * ms) / Math.max(1, t.totalMs)).toFixed(1)} %`;
    out.push(`- ${threadName(t.file)} (${(t.totalMs / 1000).toFixed(1)} s sampled):`);
    out.push(
      '  - by area: ' +
        t.areas
          .filter((a) => a.ms / t.totalMs >= 0.01)
          .map((a) => `${a.area} ${pct(a.ms)}`)
          .join(', '),
    );
    out.push(
      '  - hottest: ' +
        t.functions
          .filter((f) => !f.name.startsWith('('))
          .slice(0, 8)
          .map((f) => `\`${f.name}\` (${f.where}) ${pct(f.ms)}`)
          .join(', '),
    );
  }
  return out;
}

/** `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`: thread 0 is the main thread. */
function threadName(file: string): string {
  const thread = file.split('.')[4];
  return thread === '0' ? 'main thread' : thread ? `worker thread ${thread}` : file;
}
