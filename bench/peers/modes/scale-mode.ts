/**
 * Scale with the site: the same crawl on synthetic sites of growing size (5,000 / 20,000 /
 * 100,000 pages by default), Trawl embedded unless told otherwise, sizes alternating
 * within each round. Flat pages/s and sub-linear memory is the goal.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HarnessContext } from '../harness-context.js';
import { roundLine } from '../harness-context.js';
import { PEER_SYSTEMS } from '../peer-systems.js';
import type { SiteResult, SystemResult } from '../report/peers-report.js';
import { summarizeSystem } from '../report/peers-report.js';
import type { PeersReport } from '../report/peers-report.js';
import { count as n, countSpread, fixed } from '../report/format.js';
import { measureRound } from './measured-round.js';
import type { SiteUnderTest } from '../site-under-test.js';
import { createSyntheticSite } from '../sites/synthetic-site.js';

export interface ScaleOptions {
  sizes: number[];
  rounds: number;
  seed: number;
  systems: string[];
  fixedConcurrency: Map<string, number>;
}

export async function runScaleMode(ctx: HarnessContext, o: ScaleOptions): Promise<SiteResult[]> {
  const systems = PEER_SYSTEMS.filter((s) => o.systems.includes(s.id));
  const work = join(ctx.tmpRoot, 'sites');
  mkdirSync(work, { recursive: true });
  const sites: SiteUnderTest[] = [];
  for (const pages of o.sizes) {
    sites.push(
      await createSyntheticSite({ pages, seed: o.seed, workDir: work, name: `synthetic-${pages}` }),
    );
  }
  const results: SiteResult[] = sites.map((site) => ({
    name: site.name,
    describe: site.describe,
    expectedPages: site.expectedPages,
    serverCeiling: null,
    systems: systems.map((s) => {
      const concurrency = o.fixedConcurrency.get(s.id) ?? s.concurrencies[0] ?? null;
      return {
        id: s.id,
        label: s.label,
        kind: s.kind,
        skipped: s.unavailable(),
        tuning: {
          concurrency,
          how: concurrency === null ? 'none' : o.fixedConcurrency.has(s.id) ? 'fixed' : 'default',
          tried: [],
        },
        rounds: [],
      } satisfies SystemResult;
    }),
  }));
  for (let round = 1; round <= o.rounds; round++) {
    for (const [i, site] of sites.entries()) {
      for (const s of systems) {
        const slot = (results[i] as SiteResult).systems.find((x) => x.id === s.id) as SystemResult;
        if (slot.skipped !== null || ctx.signal.aborted) continue;
        const r = await measureRound(ctx, s, site, slot, round);
        ctx.log(roundLine(`  [${site.name} ${round}/${o.rounds}]`, r));
      }
    }
  }
  return results;
}

/** One table: a row per site size and system. */
export function scaleMarkdown(report: PeersReport): string {
  const out = [
    `Scale: ${report.machine.cores} cores, ${report.date.slice(0, 16).replace('T', ' ')} UTC, ` +
      `commit ${report.commit ?? 'unknown'}.`,
    '',
    '```sh',
    report.command,
    '```',
    '',
    '| Pages | System | Concurrency | Pages/s, median (min–max) | Delivered | CPU s | Peak RSS MB, median (min–max) | RSS KB per page |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const site of report.sites) {
    for (const s of site.systems) {
      if (s.skipped !== null) {
        out.push(`| ${n(site.expectedPages)} | ${s.label} | — | skipped: ${s.skipped} | | | | |`);
        continue;
      }
      const sum = summarizeSystem(s);
      const pps = sum.pagesPerSecond;
      const rss = sum.peakRssMB;
      out.push(
        `| ${n(site.expectedPages)} | ${s.label} | ${s.tuning?.concurrency ?? 'default'} | ` +
          `${countSpread(pps)} | ` +
          `${n(sum.delivered?.median)}${sum.complete ? '' : ' ⚠'} | ${fixed(sum.cpuSeconds?.median, 1)} | ` +
          `${countSpread(rss)} | ` +
          `${rss ? ((rss.median * 1000) / site.expectedPages).toFixed(1) : 'n/a'} |`,
      );
    }
  }
  return out.join('\n') + '\n';
}
