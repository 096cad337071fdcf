/**
 * The peer benchmark as Markdown, for the terminal and for BENCHMARKS.md: per site a table
 * of every system (median and min–max over rounds; server-side and delivered page counts),
 * the server's own ceiling, and the ratios the issue's targets are stated in.
 */
import { profileMarkdown } from './cpu-profile-summary.js';
import { distributedSection } from './distributed-markdown.js';
import { EXTRACTING_SYSTEMS, extractionSection } from './extraction-markdown.js';
import { count as n, countSpread as spread, fixed, fixedSpread } from './format.js';
import { summarizeSystem } from './peers-report.js';
import type { PeersReport, SiteResult, SystemResult, SystemSummary } from './peers-report.js';

export function peersMarkdown(report: PeersReport): string {
  const m = report.machine;
  const lines: string[] = [
    `Measured ${report.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cores} cores ` +
      `(${m.cpu}), ${m.memoryGB} GB, Node ${m.node}, commit ${report.commit ?? 'unknown'}; ` +
      `1-min load before the run ${m.loadAverage1mBefore.toFixed(2)}.`,
    '',
    '```sh',
    report.command,
    '```',
  ];
  for (const site of report.sites) lines.push('', ...siteSection(site));
  return lines.join('\n') + '\n';
}

function siteSection(site: SiteResult): string[] {
  const d = site.describe;
  if (d.skipped !== undefined) return [`#### ${site.name} site: skipped (${String(d.skipped)})`];
  const title =
    d.kind === 'real'
      ? `Real site: ${String(d.debianPackage)} (${n(site.expectedPages)} HTML pages reachable` +
        `${d.pageBudget ? `, budget ${n(Number(d.pageBudget))} pages — development run` : ''}), ` +
        `${String(d.server)}`
      : `Synthetic site: ${n(site.expectedPages)} pages of ${String(d.pageBytes)}, ` +
        `${String(d.linksPerPage)} links each, ${String(d.server)}`;
  const out = [`#### ${title}`, ''];
  const c = site.serverCeiling;
  if (c) {
    out.push(
      `Server ceiling (autocannon, ${c.connections} connections, ${c.seconds} s, random pages): ` +
        `${n(c.requestsPerSecond)} requests/s` +
        (c.serverCpuCores !== null ? ` using ${c.serverCpuCores.toFixed(2)} server cores` : '') +
        (c.projectedRequestsPerCore !== null
          ? ` → ${n(c.projectedRequestsPerCore)} requests/s per fully busy server core`
          : '') +
        (c.errors > 0 ? ` (${c.errors} errors)` : '') +
        '.',
      '',
    );
  }
  const summaries = new Map(site.systems.map((s) => [s.id, summarizeSystem(s)]));
  const trawl = summaries.get('trawl')?.pagesPerSecond?.median ?? null;
  out.push(
    '| System | Concurrency | Pages/s delivered, median (min–max) | Pages fetched (server) / delivered, median | CPU s, median (min–max) | Peak RSS MB, median (min–max) | Trawl is … × faster |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of site.systems) {
    const sum = summaries.get(s.id) as SystemSummary;
    if (s.skipped !== null || sum.rounds === 0) {
      out.push(`| ${s.label} | — | skipped: ${s.skipped ?? 'no round ran'} | | | | |`);
      continue;
    }
    const pps = sum.pagesPerSecond;
    const ratio =
      trawl !== null && pps && pps.median > 0 ? `${(trawl / pps.median).toFixed(2)}×` : '';
    out.push(
      `| ${s.label} | ${concurrencyCell(s)} | ${spread(pps)} | ` +
        `${n(sum.fetched?.median)} / ${n(sum.delivered?.median)}${sum.complete ? '' : ' ⚠'} | ` +
        `${fixedSpread(sum.cpuSeconds, 1)} | ${spread(sum.peakRssMB)} | ` +
        `${s.id === 'trawl' ? '—' : ratio} |`,
    );
  }
  out.push('', ...ratios(site, summaries));
  const distributed = distributedSection(site, summaries);
  if (distributed.length > 0) out.push('', ...distributed);
  const extraction = extractionSection(site, summaries);
  if (extraction.length > 0) out.push('', ...extraction);
  if (site.profile) {
    out.push('', ...profileMarkdown('Trawl embedded', site.profile.threads));
  }
  const notes = site.systems.filter((s) => (summaries.get(s.id)?.warnings.length ?? 0) > 0);
  if (notes.length > 0) {
    out.push('', '⚠ = not every round delivered every page cleanly:');
    for (const s of notes) {
      out.push(`- ${s.label}: ${(summaries.get(s.id) as SystemSummary).warnings.join('; ')}`);
    }
  }
  return out;
}

/** The issue's targets, stated as ratios of medians in this run. */
function ratios(site: SiteResult, sums: Map<string, SystemSummary>): string[] {
  const med = (id: string): number | null => sums.get(id)?.pagesPerSecond?.median ?? null;
  const trawl = med('trawl');
  if (trawl === null) return loopRatios(site, sums);
  // A peer that also makes Markdown is the Markdown rows' peer (extraction section).
  const completePeers = site.systems.filter(
    (s) =>
      s.kind === 'peer' &&
      !EXTRACTING_SYSTEMS.has(s.id) &&
      sums.get(s.id)?.complete &&
      med(s.id) !== null,
  );
  const best = completePeers.reduce<SystemResult | null>(
    (b, s) => (b === null || (med(s.id) as number) > (med(b.id) as number) ? s : b),
    null,
  );
  const out: string[] = [];
  const trawlComplete = sums.get('trawl')?.complete ? 'every page' : 'NOT every page';
  out.push(`Trawl embedded delivered ${trawlComplete} in every round.`);
  out.push(...beforeAndAfter(site, sums));
  if (best) {
    out.push(
      `- Trawl ÷ best complete peer (${best.label}): **${(trawl / (med(best.id) as number)).toFixed(1)}×** (target ≥ 15×)`,
    );
  }
  const spider = med('spider-rs');
  if (spider) out.push(`- Trawl ÷ spider-rs: **${(trawl / spider).toFixed(2)}×** (target > 1)`);
  out.push(...loopRatios(site, sums));
  const raw = med('ceiling-raw-get');
  if (raw) out.push(`- Trawl ÷ raw GETs without parsing: ${(trawl / raw).toFixed(2)}×`);
  return out;
}

/** Trawl embedded against another build of itself (`trawl-before`) in the same run. */
function beforeAndAfter(site: SiteResult, sums: Map<string, SystemSummary>): string[] {
  const after = sums.get('trawl');
  const before = sums.get('trawl-before');
  const a = after?.pagesPerSecond?.median;
  const b = before?.pagesPerSecond?.median;
  if (!after || !before || a === undefined || b === undefined || b <= 0) return [];
  // The row's label names the build ("Trawl embedded, before (69c8c24)"): keep the name.
  const label = site.systems.find((s) => s.id === 'trawl-before')?.label ?? '';
  const build = /\(([^)]*)\)$/.exec(label)?.[1];
  return [
    `- Trawl embedded after / before${build ? ` (${build})` : ''}: **${(a / b).toFixed(2)}×** pages/s ` +
      `(CPU s ${fixed(before.cpuSeconds?.median, 1)} → ${fixed(after.cpuSeconds?.median, 1)}, ` +
      `peak RSS ${n(before.peakRssMB?.median)} → ${n(after.peakRssMB?.median)} MB)` +
      (before.complete ? '' : ' ⚠ before did not deliver every page'),
  ];
}

/**
 * Every Trawl row ÷ the single-threaded undici + htmlparser2 loop: embedded's ratio must
 * not fall with the distributed work, so the build before it is listed beside it.
 */
function loopRatios(site: SiteResult, sums: Map<string, SystemSummary>): string[] {
  const loop = sums.get('ceiling-minimal')?.pagesPerSecond?.median;
  if (!loop) return [];
  const out: string[] = [];
  for (const s of site.systems.filter((x) => x.kind === 'trawl')) {
    const pps = sums.get(s.id)?.pagesPerSecond?.median;
    if (pps === undefined) continue;
    const ratio = (pps / loop).toFixed(2);
    out.push(
      s.id === 'trawl'
        ? `- Trawl ÷ single-threaded undici + htmlparser2 loop: **${ratio}×** (target ≥ 1.0, and not below before's)`
        : `- ${s.label} ÷ the same loop: ${ratio}×`,
    );
  }
  return out;
}

function concurrencyCell(s: SystemResult): string {
  const t = s.tuning;
  if (t === null || t.how === 'none') return 'engine default (not settable)';
  const used = String(t.concurrency);
  if (t.how === 'fixed') return `${used} (fixed)`;
  if (t.tried.length === 0) return `${used} (default, not tuned)`;
  const tried = t.tried
    .map((x) => `${x.concurrency}: ${n(x.pagesPerSecond)}${x.complete ? '' : '⚠'}`)
    .join(', ');
  return `**${used}** (tried ${tried} pages/s)`;
}
