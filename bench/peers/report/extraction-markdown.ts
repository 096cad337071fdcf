/**
 * The "Extraction and the pipeline" part of a site's Markdown (issue 13): the plain crawl
 * beside the same crawl with `--extract` and with the `standard` chain, as pages/s and as
 * CPU per page, and Trawl producing Markdown against Crawlee producing Markdown of the
 * same pages — the two ratios the targets are stated in.
 */
import { summarize } from '../../lib/summarize.js';
import type { Spread } from '../../lib/summarize.js';
import { count, countSpread, fixed, fixedSpread } from './format.js';
import type { SiteResult, SystemResult, SystemSummary } from './peers-report.js';

/** Full extraction may cost at most 25 % of the plain crawl's pages/s on the real site. */
const FULL_EXTRACT_TARGET = 0.75;
/** Trawl with Markdown ÷ Crawlee with Markdown. */
const MARKDOWN_PEER_TARGET = 10;

/** The rows this section is about, in its order; `trawl` is the plain crawl they divide by. */
const ROWS = ['trawl', 'trawl-markdown', 'trawl-extract', 'trawl-standard', 'crawlee-markdown'];

/**
 * Systems whose work per page is more than a crawl's: left out of the "best complete
 * peer" the plain crawl is compared with, since a peer producing Markdown is not the
 * plain crawl's peer.
 */
export const EXTRACTING_SYSTEMS: ReadonlySet<string> = new Set(ROWS.slice(1));

/** Empty when none of the extracting rows ran on this site. */
export function extractionSection(site: SiteResult, sums: Map<string, SystemSummary>): string[] {
  const ran = (id: string): boolean => (sums.get(id)?.rounds ?? 0) > 0;
  if (![...EXTRACTING_SYSTEMS].some(ran)) return [];
  const rows = ROWS.flatMap((id) => {
    const system = site.systems.find((s) => s.id === id);
    const sum = sums.get(id);
    return system && sum && ran(id) ? [{ system, sum }] : [];
  });
  const med = (id: string): number | null => sums.get(id)?.pagesPerSecond?.median ?? null;
  const plain = med('trawl');
  const plainCpu = cpuMsPerPage(site.systems.find((s) => s.id === 'trawl'))?.median ?? null;
  const out = [
    '##### Extraction and the pipeline',
    '',
    '| System | Pages/s, median (min–max) | × plain Trawl | CPU ms per page, median | + CPU ms per page over plain | Peak RSS MB, median | Fields checked (worst round) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const { system, sum } of rows) {
    const pps = sum.pagesPerSecond?.median ?? null;
    const cpu = cpuMsPerPage(system);
    const extra = cpu !== null && plainCpu !== null ? cpu.median - plainCpu : null;
    out.push(
      `| ${system.label} | ${countSpread(sum.pagesPerSecond)}${sum.complete ? '' : ' ⚠'} | ` +
        `${system.id === 'trawl' ? '1.00×' : times(pps, plain)} | ${fixedSpread(cpu, 2)} | ` +
        `${system.id === 'trawl' ? '—' : fixed(extra, 2)} | ${count(sum.peakRssMB?.median)} | ` +
        `${fieldsCell(system)} |`,
    );
  }
  out.push('');
  const budget = site.describe.pageBudget !== undefined;
  const full = med('trawl-extract');
  if (plain !== null && full !== null) {
    const ratio = full / plain;
    const verdict =
      site.name !== 'real'
        ? `the target, ≥ ${FULL_EXTRACT_TARGET}, is stated for the real site`
        : budget
          ? `target ≥ ${FULL_EXTRACT_TARGET}; a page-budget development run does not decide it`
          : `target ≥ ${FULL_EXTRACT_TARGET}: ${ratio >= FULL_EXTRACT_TARGET ? 'met' : 'NOT met'}`;
    out.push(
      `- Full extraction (\`--extract markdown,metadata,structured\`) ÷ plain crawl: ` +
        `**${ratio.toFixed(2)}×** pages/s (${verdict})`,
    );
  }
  const chain = med('trawl-standard');
  if (plain !== null && chain !== null) {
    out.push(
      `- Full extraction + \`standard\` chain ÷ plain crawl: ${(chain / plain).toFixed(2)}×`,
    );
  }
  const ours = med('trawl-markdown');
  const theirs = med('crawlee-markdown');
  if (ours !== null && theirs !== null && theirs > 0) {
    const ratio = ours / theirs;
    const complete = sums.get('crawlee-markdown')?.complete && sums.get('trawl-markdown')?.complete;
    out.push(
      `- Trawl with Markdown ÷ Crawlee CheerioCrawler with Markdown (turndown): ` +
        `**${ratio.toFixed(1)}×** (target ≥ ${MARKDOWN_PEER_TARGET}×; ` +
        `${ratio >= MARKDOWN_PEER_TARGET ? 'met' : 'NOT met'}` +
        `${complete ? '' : ', ⚠ not every round of both was complete'})`,
    );
  }
  return out;
}

/** CPU ms per delivered page over the system's rounds. */
function cpuMsPerPage(system: SystemResult | undefined): Spread | null {
  if (system === undefined) return null;
  return summarize(
    system.rounds.map((r) =>
      r.cpuSeconds === null || r.delivered === 0 ? null : (r.cpuSeconds * 1000) / r.delivered,
    ),
  );
}

function times(x: number | null, of: number | null): string {
  return x === null || of === null || of <= 0 ? 'n/a' : `${(x / of).toFixed(2)}×`;
}

/**
 * Each checked field as `markdown 20,000/20,000` (HTML records passing / checked), from
 * the round where it fared worst; a field that must be absent reads `no pipelineErrors …`.
 */
function fieldsCell(system: SystemResult): string {
  const byField = new Map<string, { passing: number; records: number; ok: boolean }>();
  const absent = new Set<string>();
  for (const r of system.rounds) {
    for (const c of r.fields ?? []) {
      if (c.want === 'absent') absent.add(c.field);
      const worst = byField.get(c.field);
      const share = c.htmlRecords > 0 ? c.passing / c.htmlRecords : 0;
      if (worst === undefined || share < (worst.records > 0 ? worst.passing / worst.records : 0)) {
        byField.set(c.field, { passing: c.passing, records: c.htmlRecords, ok: c.ok });
      }
    }
  }
  if (byField.size === 0) return '—';
  return [...byField]
    .map(
      ([field, c]) =>
        `${absent.has(field) ? 'no ' : ''}${field} ${count(c.passing)}/${count(c.records)}` +
        (c.ok ? '' : ' ⚠'),
    )
    .join(', ');
}
