/**
 * Where a browser page's time goes: the same system Chromium driven by Trawl's
 * playwright-core, loading a known list of the benchmark site's script pages (no crawler:
 * no link discovery, parsing or storage) in ways that differ in one thing each, so the
 * cost of each step of Trawl's browser fetcher (src/fetch/browser/) and of Crawlee's
 * page-per-request habit can be read off:
 *
 *   node dist/bench/browser/probe-browser.js [--pages 200] [--concurrency 1,4]
 *     [--variants trawl,no-route,...] [--rounds 2]
 *
 * Variants (each a fresh browser, launched as BrowserPool launches it):
 * - trawl: what BrowserFetcher + BrowserPool do per page: one context with
 *   `context.route('**\/*')` blocking image/font/media, the page reused, a 'response'
 *   listener on and off around `page.goto(url, {waitUntil: 'load'})`,
 *   `response.allHeaders()`, `page.content()`, then `page.unrouteAll()` before reuse.
 * - no-route: trawl without the context route (and so without unrouteAll).
 * - no-content: trawl with `page.title()` instead of `page.content()`.
 * - dcl: trawl with waitUntil 'domcontentloaded'.
 * - bare: a reused page, no route, goto(load), title().
 * - new-page: a new page per URL in one shared context, no route, goto(load), title(),
 *   `$$eval('a')` for the links, page.close() (Crawlee's way of using a browser).
 * - new-page-route: new-page with trawl's context route.
 *
 * Reports per variant and concurrency: pages/s, the median ms of each step, CPU ms per
 * page of Chromium (the process tree under this one) and of this Node process, and the
 * site's asset requests per page (scripts and the stylesheet: the browser cache at work
 * or not).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { createJsSiteModel } from './js-site.js';
import type { JsSiteStats } from './js-site.js';
import { sampleTree } from './tree-sampler.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1,4' },
    variants: {
      type: 'string',
      default: 'trawl,no-route,no-content,dcl,bare,new-page,new-page-route',
    },
    rounds: { type: 'string', default: '2' },
    chromium: { type: 'string', default: '/usr/lib/chromium/chromium' },
  },
  strict: true,
});
const pages = Number(values.pages);
const concurrencies = values.concurrency.split(',').map(Number);
const variants = values.variants.split(',');
const rounds = Number(values.rounds);
const WARMUP = 10;
const BLOCKED = new Set(['image', 'font', 'media']);

interface Steps {
  [step: string]: number[];
}

interface Result {
  variant: string;
  concurrency: number;
  round: number;
  pagesPerSecond: number;
  chromiumCpuMsPerPage: number;
  nodeCpuMsPerPage: number;
  assetsPerPage: number;
  steps: Record<string, number>;
}

const site = await startSite(pages + WARMUP + 1);
const model = createJsSiteModel({ pages: pages + WARMUP + 1, scriptShare: 1 });
const urls = Array.from({ length: pages + WARMUP }, (_, k) => `${site.url}${model.pathOf(k + 1)}`);
const results: Result[] = [];

for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? variants : [...variants].reverse();
  for (const c of concurrencies) {
    for (const variant of order) {
      const r = await probe(variant, c, round);
      results.push(r);
      process.stderr.write(
        `${variant} c=${c} round ${round}: ${r.pagesPerSecond.toFixed(2)} pages/s, Chromium ` +
          `${r.chromiumCpuMsPerPage.toFixed(0)} + Node ${r.nodeCpuMsPerPage.toFixed(0)} CPU ms/page, ` +
          `${r.assetsPerPage.toFixed(2)} assets/page, ${JSON.stringify(r.steps)}\n`,
      );
    }
  }
}
await site.stop();

const lines = [
  '| variant | pages at once | pages/s (median of rounds) | Chromium CPU ms/page | Node CPU ms/page | asset requests/page | median ms per step |',
  '|---|---|---|---|---|---|---|',
];
for (const c of concurrencies) {
  for (const variant of variants) {
    const rs = results.filter((r) => r.variant === variant && r.concurrency === c);
    const steps = rs[0]?.steps ?? {};
    const stepText = Object.keys(steps)
      .map((k) => `${k} ${median(rs.map((r) => r.steps[k] ?? NaN)).toFixed(1)}`)
      .join(', ');
    lines.push(
      `| ${variant} | ${c} | ${median(rs.map((r) => r.pagesPerSecond)).toFixed(2)} | ` +
        `${median(rs.map((r) => r.chromiumCpuMsPerPage)).toFixed(0)} | ` +
        `${median(rs.map((r) => r.nodeCpuMsPerPage)).toFixed(0)} | ` +
        `${median(rs.map((r) => r.assetsPerPage)).toFixed(2)} | ${stepText} |`,
    );
  }
}
process.stdout.write(lines.join('\n') + '\n');

async function probe(variant: string, c: number, round: number): Promise<Result> {
  const browser = await chromium.launch({
    executablePath: values.chromium,
    headless: true,
    chromiumSandbox: false,
    args: ['--disable-dev-shm-usage', '--no-first-run', '--mute-audio'],
  });
  const context = await browser.newContext({ userAgent: 'trawl-probe', serviceWorkers: 'block' });
  const routed = ['trawl', 'no-content', 'dcl', 'new-page-route'].includes(variant);
  if (routed) {
    await context.route('**/*', (route) =>
      BLOCKED.has(route.request().resourceType()) ? route.abort() : route.continue(),
    );
  }
  const steps: Steps = {};
  const time = async <T>(step: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      (steps[step] ??= []).push(performance.now() - t0);
    }
  };
  const idle: Page[] = [];
  const one = async (url: string): Promise<void> => {
    if (variant === 'new-page' || variant === 'new-page-route') {
      const page = await time('newPage', () => context.newPage());
      await time('goto', () => page.goto(url, { waitUntil: 'load' }));
      await time('title', () => page.title());
      await time('$$eval links', () =>
        page.$$eval('a', (as) => as.map((a) => a.getAttribute('href'))),
      );
      await time('close', () => page.close());
      return;
    }
    const page = idle.pop() ?? (await time('newPage', () => context.newPage()));
    const onResponse = (_r: Response): void => undefined;
    if (variant !== 'bare') page.on('response', onResponse);
    const waitUntil = variant === 'dcl' ? 'domcontentloaded' : 'load';
    const response = await time('goto', () => page.goto(url, { waitUntil }));
    if (variant !== 'bare') page.off('response', onResponse);
    if (variant !== 'bare') await time('allHeaders', async () => response?.allHeaders());
    if (variant === 'trawl' || variant === 'no-route' || variant === 'dcl') {
      await time('content', async () => Buffer.from(await page.content(), 'utf8'));
    } else {
      await time('title', () => page.title());
    }
    if (routed) await time('unrouteAll', () => page.unrouteAll({ behavior: 'ignoreErrors' }));
    idle.push(page);
  };
  // Warm-up: the browser's first pages (process start, caches) are not measured.
  await runAll(urls.slice(0, WARMUP), c, one);
  for (const k of Object.keys(steps)) delete steps[k];
  await site.reset();
  // One reading now (a sampler reads once when made), then a sampler over the pages.
  const before = sampleTree(process.pid, 100, 1e9).stop();
  const cpu0 = process.cpuUsage();
  const sampler = sampleTree(process.pid, 100, 1e9);
  const t0 = performance.now();
  await runAll(urls.slice(WARMUP), c, one);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const after = sampler.stop();
  const stats = await site.stats();
  await closeContext(context);
  await browser.close();
  const nodeCpuS = (cpu.user + cpu.system) / 1e6;
  // The tree sums include this process: take its CPU out; Chromium's CPU before the
  // measured pages (launch, warm-up) is taken out by the first sampler's reading.
  const chromiumCpuS = after.cpuSeconds - before.cpuSeconds - nodeCpuS;
  return {
    variant,
    concurrency: c,
    round,
    pagesPerSecond: pages / wall,
    chromiumCpuMsPerPage: (1000 * chromiumCpuS) / pages,
    nodeCpuMsPerPage: (1000 * nodeCpuS) / pages,
    assetsPerPage: stats.assetHits / pages,
    steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, median(v)])),
  };
}

async function runAll(
  list: string[],
  c: number,
  one: (url: string) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < list.length) await one(list[next++] as string);
    }),
  );
}

async function closeContext(context: BrowserContext): Promise<void> {
  await context.close().catch(() => undefined);
}

async function startSite(n: number): Promise<{
  url: string;
  stats(): Promise<JsSiteStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}> {
  const child = spawn(
    process.execPath,
    [join(here, 'serve-js-site.js'), '--pages', String(n), '--script-share', '1'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  lines.close();
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    stats: async () => (await (await fetch(`${url}/__stats`)).json()) as JsSiteStats,
    reset: async () => void (await fetch(`${url}/__stats/reset`)).body?.cancel(),
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
