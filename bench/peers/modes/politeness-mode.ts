/**
 * Politeness realism: the crawl spread over many loopback hosts (127.0.1.x), each system
 * asked for the same per-host delay (Trawl --delay, Crawlee sameDomainDelaySecs, Scrapy
 * DOWNLOAD_DELAY), rounds alternating between systems. Reports pages/s and the smallest
 * per-host gap the server measured between two requests.
 */
import type { HarnessContext } from '../harness-context.js';
import { roundLine } from '../harness-context.js';
import { PEER_SYSTEMS } from '../peer-systems.js';
import type { PeersReport, SiteResult, SystemResult } from '../report/peers-report.js';
import { summarizeSystem } from '../report/peers-report.js';
import { count, countSpread, fixed } from '../report/format.js';
import { measureRound } from './measured-round.js';
import { createMultiHostSite } from '../sites/multi-host-site.js';
import { summarize } from '../../lib/summarize.js';

export interface PolitenessOptions {
  hosts: number;
  pagesPerHost: number;
  delayMs: number;
  rounds: number;
  systems: string[];
  /** Requests in flight over all hosts, unless fixed per system. */
  concurrency: number;
  fixedConcurrency: Map<string, number>;
}

export async function runPolitenessMode(
  ctx: HarnessContext,
  o: PolitenessOptions,
): Promise<SiteResult[]> {
  const site = createMultiHostSite({
    hosts: o.hosts,
    pagesPerHost: o.pagesPerHost,
    delayMs: o.delayMs,
  });
  const systems = PEER_SYSTEMS.filter((s) => o.systems.includes(s.id));
  const result: SiteResult = {
    name: site.name,
    describe: site.describe,
    expectedPages: site.expectedPages,
    serverCeiling: null,
    systems: systems.map((s) => {
      const concurrency = s.concurrencies.length
        ? (o.fixedConcurrency.get(s.id) ?? o.concurrency)
        : null;
      const skipped =
        s.unavailable() ??
        (!s.multiHost ? 'takes one start URL only' : !s.delay ? 'has no per-host delay' : null);
      return {
        id: s.id,
        label: s.label,
        kind: s.kind,
        skipped,
        tuning: { concurrency, how: concurrency === null ? 'none' : 'fixed', tried: [] },
        rounds: [],
      } satisfies SystemResult;
    }),
  };
  ctx.log(
    `\n== politeness: ${o.hosts} hosts × ${o.pagesPerHost} pages, delay ${o.delayMs} ms per host, ` +
      `${o.rounds} round(s)`,
  );
  for (let round = 1; round <= o.rounds; round++) {
    for (const s of systems) {
      const slot = result.systems.find((x) => x.id === s.id) as SystemResult;
      if (slot.skipped !== null || ctx.signal.aborted) continue;
      const r = await measureRound(ctx, s, site, slot, round, { delayMs: o.delayMs });
      const g = r.server.gaps;
      ctx.log(
        roundLine(`  [politeness ${round}/${o.rounds}]`, r) +
          (g
            ? `\n    min gap ${g.minGapMs?.toFixed(1)} ms (pages only ${g.minPageGapMs?.toFixed(1)} ms), ${g.gapsBelowDelay} gaps < ${o.delayMs - 1} ms`
            : ''),
      );
    }
  }
  return [result];
}

export function politenessMarkdown(report: PeersReport): string {
  const site = report.sites[0];
  if (!site) return '';
  const d = site.describe;
  const out = [
    `Politeness: ${String(d.hosts)} hosts (${String(d.addresses)}) × ${String(d.pagesPerHost)} pages, ` +
      `${String(d.delayMs)} ms minimum per host; ${report.machine.cores} cores, commit ${report.commit ?? 'unknown'}.`,
    '',
    '```sh',
    report.command,
    '```',
    '',
    '| System | Concurrency | Pages/s, median (min–max) | Fetched / delivered | Min per-host gap ms (all requests / pages only) | Median of per-host min gaps ms | Gaps < delay − 1 ms | CPU s | Peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of site.systems) {
    if (s.skipped !== null) {
      out.push(`| ${s.label} | — | skipped: ${s.skipped} | | | | | | |`);
      continue;
    }
    const sum = summarizeSystem(s);
    const gaps = s.rounds.map((r) => r.server.gaps).filter((g) => g !== undefined);
    const minAll = summarize(gaps.map((g) => g.minGapMs));
    const minPages = summarize(gaps.map((g) => g.minPageGapMs));
    const medHost = summarize(gaps.map((g) => g.medianHostMinGapMs));
    const below = gaps.reduce((n, g) => n + g.gapsBelowDelay, 0);
    const pps = sum.pagesPerSecond;
    out.push(
      `| ${s.label} | ${s.tuning?.concurrency ?? 'default'} | ` +
        `${countSpread(pps)} | ` +
        `${count(sum.fetched?.median)} / ${count(sum.delivered?.median)}${sum.complete ? '' : ' ⚠'} | ` +
        `${fixed(minAll?.min, 1)} / ${fixed(minPages?.min, 1)} | ` +
        `${fixed(medHost?.median, 1)} | ${count(below)} | ` +
        `${fixed(sum.cpuSeconds?.median, 1)} | ${count(sum.peakRssMB?.median)} |`,
    );
  }
  if (site.systems.some((s) => s.id.startsWith('crawlee') && s.rounds.length > 0)) {
    out.push(
      '',
      'Crawlee applies `sameDomainDelaySecs` per registrable domain (`tldts.getDomain(url)`), ' +
        'which is null for an IP address, so on 127.0.1.x hosts it delays nothing; on named ' +
        'hosts it would also share one delay between all subdomains of a domain.',
    );
  }
  return out.join('\n') + '\n';
}
