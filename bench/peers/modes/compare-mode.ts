/**
 * The main comparison: every system on the synthetic site and on the real site, each at
 * its tuned concurrency, rounds alternating between systems (A B C A B C …) with a fresh
 * site server for every crawl.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DOCS_SITES } from '../../real-site/docs-site.js';
import type { HarnessContext } from '../harness-context.js';
import { roundLine } from '../harness-context.js';
import { PEER_SYSTEMS } from '../peer-systems.js';
import type { PeerSystem } from '../peer-systems.js';
import type { SiteResult, SystemResult } from '../report/peers-report.js';
import { runSystemOnce } from '../run-system.js';
import { measureRound } from './measured-round.js';
import { measureServerCeiling } from '../server-ceiling.js';
import type { SiteUnderTest } from '../site-under-test.js';
import { createRealDocsSite, realSiteMissing } from '../sites/real-docs-site.js';
import { createSyntheticSite } from '../sites/synthetic-site.js';
import { summarizeProfiles } from '../report/cpu-profile-summary.js';
import { tuneConcurrency } from '../tune-concurrency.js';
import type { TuneResult } from '../tune-concurrency.js';

export interface CompareOptions {
  systems: string[];
  sites: ('synthetic' | 'real')[];
  rounds: number;
  /** Synthetic site size. */
  pages: number;
  seed: number;
  realDoc: string;
  /** Development budget for the real site (null: whole site). */
  realMaxPages: number | null;
  /** Concurrency fixed per system id on the command line. */
  fixedConcurrency: Map<string, number>;
  tune: boolean;
  /** Synthetic site size the tuning runs use. */
  tunePages: number;
  /** autocannon duration for the server ceiling (0: skip). */
  ceilingSeconds: number;
  ceilingConnections: number;
  /** After the rounds, one more Trawl run per site under `node --cpu-prof`. */
  profile: boolean;
}

export async function runCompareMode(
  ctx: HarnessContext,
  o: CompareOptions,
): Promise<SiteResult[]> {
  const systems = PEER_SYSTEMS.filter((s) => o.systems.includes(s.id));
  const skipped = new Map(systems.map((s) => [s.id, s.unavailable()]));
  const runnable = systems.filter((s) => skipped.get(s.id) === null);
  const work = join(ctx.tmpRoot, 'sites');
  mkdirSync(work, { recursive: true });

  const tuning = new Map<string, TuneResult>();
  const tuneSite = await createSyntheticSite({
    pages: o.tunePages,
    seed: o.seed,
    workDir: work,
    name: 'tune',
  });
  ctx.log(
    `\n== concurrency: ${o.tune ? `tuned on a ${o.tunePages}-page synthetic site` : 'defaults (--no-tune)'}`,
  );
  for (const s of runnable) {
    if (ctx.signal.aborted) break;
    const t = await tuneConcurrency(s, tuneSite, {
      fixed: o.fixedConcurrency.get(s.id),
      tune: o.tune,
      tmpRoot: ctx.tmpRoot,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
      log: ctx.log,
    });
    tuning.set(s.id, t);
    ctx.log(`  ${s.id}: ${t.concurrency ?? 'engine default'} (${t.how})`);
  }

  const results: SiteResult[] = [];
  for (const name of o.sites) {
    if (ctx.signal.aborted) break;
    let site: SiteUnderTest;
    try {
      site = await prepareSite(name, o, work, ctx);
    } catch (err) {
      ctx.log(`\n== ${name}: skipped (${(err as Error).message})`);
      results.push(skippedSite(name, systems, (err as Error).message));
      continue;
    }
    const result: SiteResult = {
      name: site.name,
      describe: site.describe,
      expectedPages: site.expectedPages,
      serverCeiling: null,
      systems: systems.map((s) => ({
        id: s.id,
        label: s.label,
        kind: s.kind,
        skipped: skipped.get(s.id) ?? null,
        tuning: tuning.get(s.id) ?? null,
        rounds: [],
      })),
    };
    results.push(result);
    if (o.ceilingSeconds > 0) {
      ctx.log(`\n== ${site.name}: server ceiling (${o.ceilingSeconds} s of autocannon)`);
      result.serverCeiling = await measureServerCeiling(site, join(ctx.tmpRoot, 'ceiling'), {
        seconds: o.ceilingSeconds,
        connections: o.ceilingConnections,
      });
      const c = result.serverCeiling;
      if (c) {
        ctx.log(
          `  ${c.requestsPerSecond.toFixed(0)} requests/s, server CPU ${c.serverCpuCores?.toFixed(2)} cores ` +
            `→ ${c.projectedRequestsPerCore?.toFixed(0)} requests/s per server core`,
        );
      }
    }
    ctx.log(`\n== ${site.name}: ${o.rounds} round(s), ${site.expectedPages} pages to deliver`);
    for (let round = 1; round <= o.rounds; round++) {
      for (const s of runnable) {
        if (ctx.signal.aborted) break;
        const slot = result.systems.find((x) => x.id === s.id) as SystemResult;
        const r = await measureRound(ctx, s, site, slot, round, {
          maxPages: site.name === 'real' ? o.realMaxPages : null,
        });
        ctx.log(roundLine(`  [${site.name} ${round}/${o.rounds}]`, r));
      }
    }
    const trawl = runnable.find((s) => s.id === 'trawl');
    if (o.profile && trawl && !ctx.signal.aborted) {
      result.profile = await profileTrawl(
        ctx,
        trawl,
        site,
        tuning.get('trawl')?.concurrency ?? null,
        o,
      );
    }
  }
  return results;
}

async function profileTrawl(
  ctx: HarnessContext,
  trawl: PeerSystem,
  site: SiteUnderTest,
  concurrency: number | null,
  o: CompareOptions,
): Promise<SiteResult['profile']> {
  const dir = join(ctx.tmpRoot, `profile-${site.name}`);
  mkdirSync(dir, { recursive: true });
  const profiled: PeerSystem = {
    ...trawl,
    command: (job) => {
      const [node, ...rest] = trawl.command(job);
      return [node as string, '--cpu-prof', `--cpu-prof-dir=${dir}`, ...rest];
    },
  };
  ctx.log(`\n== ${site.name}: one more Trawl run under --cpu-prof (not in the table)`);
  const run = await runSystemOnce(profiled, site, {
    round: null,
    concurrency,
    maxPages: site.name === 'real' ? o.realMaxPages : null,
    tmpRoot: ctx.tmpRoot,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  });
  ctx.log(roundLine('  [profile]', run));
  return { run, threads: summarizeProfiles(dir) };
}

async function prepareSite(
  name: 'synthetic' | 'real',
  o: CompareOptions,
  work: string,
  ctx: HarnessContext,
): Promise<SiteUnderTest> {
  if (name === 'synthetic')
    return createSyntheticSite({ pages: o.pages, seed: o.seed, workDir: work });
  const docs = DOCS_SITES[o.realDoc];
  if (!docs)
    throw new Error(
      `unknown --real-doc ${o.realDoc} (known: ${Object.keys(DOCS_SITES).join(', ')})`,
    );
  const missing = realSiteMissing(docs);
  if (missing) throw new Error(missing);
  ctx.log(`\n== real: reference crawl of ${docs.id} (lists the pages a complete crawl reaches)`);
  const site = await createRealDocsSite({
    docs,
    workDir: work,
    maxPages: o.realMaxPages ?? undefined,
  });
  ctx.log(
    `  ${String(site.describe.reachableHtmlPages)} HTML pages reachable from ${docs.startPath}`,
  );
  return site;
}

function skippedSite(name: string, systems: PeerSystem[], why: string): SiteResult {
  return {
    name,
    describe: { kind: name, skipped: why },
    expectedPages: 0,
    serverCeiling: null,
    systems: systems.map((s) => ({
      id: s.id,
      label: s.label,
      kind: s.kind,
      skipped: `site skipped: ${why}`,
      tuning: null,
      rounds: [],
    })),
  };
}
