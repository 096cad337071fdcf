/**
 * The browser benchmark: Trawl's browser engine next to Crawlee's PlaywrightCrawler, both
 * on the same system Chromium, on a local site whose pages need JavaScript (js-site.ts),
 * in one run with the systems alternating; then `--engine auto` on a mixed site against
 * all-browser.
 *
 *   npx tsc -p tsconfig.json
 *   node dist/bench/browser/run-browser.js [--rounds 3] [--pages 1000] [--concurrency 1,2,4]
 *     [--modes compare,auto,soak] [--mixed-share 0.2] [--soak-pages 3000]
 *     [--trawl-dist DIR] [--chromium PATH] [--crawlee-content] [--out-dir DIR]
 *
 * Modes:
 * - compare: every script page site (all `pages` need the script), Trawl `--engine
 *   browser --concurrency N` and Crawlee `maxConcurrency N` for each N, alternating
 *   (A B C … in odd rounds, … C B A in even ones), a fresh site process per crawl.
 * - auto: the mixed site (`--mixed-share` of the pages are script pages under /app/, the
 *   rest static under /docs/), Trawl `--engine auto`, `--engine browser` and, as the
 *   reference that misses the script pages' content, `--engine http`, concurrency 4.
 * - soak: one longer crawl per round (`--soak-pages`) by Trawl and by Crawlee at 4, for
 *   memory over more pages than a browser serves before Trawl replaces it (1,000).
 *
 * Each crawl is measured as a whole process tree (tree-sampler.ts): the crawler plus every
 * Chromium process under it, RSS summed every 100 ms, PSS summed every second, CPU summed
 * over every process seen. Pages/s = pages delivered (distinct site pages with status 200
 * in the system's output) / wall seconds of the whole command (start-up, Chromium's launch
 * and the export included). Memory over the crawl: the tree's RSS while the server had
 * served the first quarter of the pages against while it served the last quarter.
 *
 * Trawl's `--concurrency N` is the number of pages its browser pool keeps open at once
 * (min(N, 4)), all in one browser context (a fresh one every 100 pages, a new browser every
 * 1,000): src/main/job-parts.ts → BrowserFetcher maxPages → BrowserPool. Crawlee's
 * maxConcurrency N likewise keeps N pages open, in one shared context per browser (a new
 * browser every 100 pages, a new page per request).
 *
 * Writes bench/results/browser-<timestamp>.json (every crawl, every sample) and
 * .md (the tables).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  closeSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createJsSiteModel, zeroStats } from './js-site.js';
import type { JsSiteModel, JsSiteStats } from './js-site.js';
import { sampleTree } from './tree-sampler.js';
import type { TreeSample, TreeSamplerResult } from './tree-sampler.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Other processes' CPU during a crawl above this (cores) makes the crawl a warning. */
const FOREIGN_LIMIT = 0.25;
const QUIET_CORES = 0.2;
const QUIET_WINDOW_MS = 5000;
const QUIET_MAX_MS = 15 * 60_000;
/** Clock ticks per second of /proc times (set on first use; declared before the run). */
let ticks: number | undefined;
/** The repository root: dist/bench/browser → ../../.. */
const ROOT = resolve(here, '..', '..', '..');
const PEERS = join(ROOT, 'bench', 'peers');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    pages: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,2,4' },
    modes: { type: 'string', default: 'compare,auto' },
    'mixed-share': { type: 'string', default: '0.2' },
    'soak-pages': { type: 'string', default: '3000' },
    'trawl-dist': { type: 'string', default: join(ROOT, 'dist') },
    /** For a --trawl-dist outside a git checkout (e.g. a `git archive` of a commit). */
    'trawl-commit': { type: 'string' },
    chromium: { type: 'string' },
    'crawlee-content': { type: 'boolean', default: false },
    systems: { type: 'string' },
    'out-dir': { type: 'string', default: join(ROOT, 'bench', 'results') },
    'timeout-s': { type: 'string', default: '1200' },
    keep: { type: 'boolean', default: false },
    resume: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write((readHeader() ?? 'see bench/browser/run-browser.ts') + '\n');
  process.exit(0);
}

const rounds = int(values.rounds, 'rounds');
const pages = int(values.pages, 'pages');
const concurrencies = values.concurrency.split(',').map((c) => int(c, 'concurrency'));
const modes = new Set(values.modes.split(',').map((m) => m.trim()));
const mixedShare = Number(values['mixed-share']);
const soakPages = int(values['soak-pages'], 'soak-pages');
const trawlCli = join(resolve(values['trawl-dist']), 'src', 'cli', 'main.js');
const chromium =
  values.chromium ??
  ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p)) ??
  null;
const timeoutMs = int(values['timeout-s'], 'timeout-s') * 1000;
const onlySystems = values.systems ? new Set(values.systems.split(',')) : null;
if (chromium === null) {
  console.error('no Chromium: apt-get install chromium (never downloaded)');
  process.exit(2);
}
if (!existsSync(trawlCli)) {
  console.error(`no Trawl CLI at ${trawlCli}: compile first (npx tsc -p tsconfig.json)`);
  process.exit(2);
}
if (!existsSync(join(PEERS, 'node_modules', '@crawlee', 'playwright', 'package.json'))) {
  console.error(
    'Crawlee is not installed in bench/peers: cd bench/peers && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install',
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------
// Systems

interface System {
  id: string;
  label: string;
  concurrency: number;
  argv(start: string, work: string, out: string): string[];
}

function trawl(engine: 'browser' | 'auto' | 'http', c: number): System {
  return {
    id: `trawl-${engine}-c${c}`,
    label: `Trawl \`--engine ${engine}\``,
    concurrency: c,
    argv: (start, work, out) => [
      process.execPath,
      trawlCli,
      'crawl',
      start,
      '--engine',
      engine,
      '--concurrency',
      String(c),
      '--delay',
      '0',
      '--data-dir',
      join(work, 'data'),
      '--out',
      out,
      '--format',
      'jsonl',
      '--no-progress',
    ],
  };
}

function crawlee(c: number, content: boolean): System {
  return {
    id: `crawlee-playwright${content ? '-content' : ''}-c${c}`,
    label: `Crawlee PlaywrightCrawler${content ? ' + page.content()' : ''}`,
    concurrency: c,
    argv: (start, work, out) => [
      process.execPath,
      join(PEERS, 'systems', 'crawlee-playwright.mjs'),
      '--out',
      out,
      '--storage-dir',
      join(work, 'storage'),
      '--concurrency',
      String(c),
      '--chromium',
      chromium as string,
      '--memory',
      ...(content ? ['--content'] : []),
      start,
    ],
  };
}

// ---------------------------------------------------------------------------------------
// The site, as its own process

interface SiteProcess {
  url: string;
  pid: number;
  stats(): Promise<JsSiteStats>;
  stop(): Promise<void>;
}

async function startSite(sitePages: number, share: number): Promise<SiteProcess> {
  const child = spawn(
    process.execPath,
    [join(here, 'serve-js-site.js'), '--pages', String(sitePages), '--script-share', String(share)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  exited.catch(() => undefined);
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  lines.close();
  const info = JSON.parse(first) as { url: string; pid: number };
  return {
    url: info.url,
    pid: info.pid,
    stats: async () => (await (await fetch(`${info.url}/__stats`)).json()) as JsSiteStats,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------
// One measured crawl

interface PageMark {
  t: number;
  pages: number;
}

interface OutputCheck {
  lines: number;
  /** Distinct site pages with status 200. */
  delivered: number;
  /** Of those, with the right title (the script ran to its end on script pages). */
  contentFound: number;
  scriptDelivered: number;
  scriptContentFound: number;
  staticDelivered: number;
  staticContentFound: number;
  /** Delivered script pages whose record says engine browser (Trawl only). */
  scriptRendered: number;
  staticRendered: number;
  titleExample: { url: string; got: unknown; want: string } | null;
  errors: number;
}

interface Crawl {
  system: string;
  label: string;
  site: string;
  round: number;
  concurrency: number;
  exitCode: number | null;
  timedOut: boolean;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  peakPssMB: number | null;
  peakProcesses: number;
  pidsSeen: number;
  serverCpuSeconds: number | null;
  /**
   * CPU the rest of the machine used during the crawl, cores on average: /proc/stat's busy
   * time minus the crawl's tree, the site server and this runner. Other people's jobs on a
   * shared machine show up here; a crawl above FOREIGN_LIMIT gets a warning.
   */
  foreignCores: number | null;
  /** Seconds spent waiting for a quiet machine before the crawl. */
  quietWaitSeconds: number;
  server: JsSiteStats;
  output: OutputCheck;
  pagesPerSecond: number;
  complete: boolean;
  memory: QuarterMemory | null;
  warnings: string[];
  stderrTail: string | null;
  samples: TreeSample[];
  marks: PageMark[];
}

interface QuarterMemory {
  /** Median and max RSS sum (MB) while the first quarter of the pages was served. */
  firstMedianMB: number;
  firstMaxMB: number;
  lastMedianMB: number;
  lastMaxMB: number;
  /** last median ÷ first median. */
  growth: number;
  firstPssMedianMB: number | null;
  lastPssMedianMB: number | null;
}

async function runCrawl(
  system: System,
  siteName: string,
  sitePages: number,
  share: number,
  round: number,
): Promise<Crawl> {
  const model = createJsSiteModel({ pages: sitePages, scriptShare: share });
  const quietWaitSeconds = await waitQuiet();
  const work = mkdtempSync(join(tmpdir(), `trawl-browser-${system.id}-`));
  const out = join(work, 'out.jsonl');
  const site = await startSite(sitePages, share);
  const argv = system.argv(`${site.url}/`, work, out);
  const stderrFile = join(work, 'stderr.txt');
  // A file descriptor the child writes to directly (no pipe to drain here).
  const stderr = openSync(stderrFile, 'w');
  const busy0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const started = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['ignore', 'ignore', stderr],
    detached: true,
    env: {
      ...process.env,
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
      TRAWL_CHROMIUM_PATH: chromium as string,
    },
  });
  const exited = once(child, 'exit');
  exited.catch(() => undefined);
  await Promise.race([once(child, 'spawn'), exited]);
  const pid = child.pid as number;
  const tree = sampleTree(pid, 100, 1000);
  const marks: PageMark[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      try {
        const s = await site.stats();
        marks.push({ t: Math.round(performance.now() - started), pages: s.uniquePages });
      } catch {
        // the site is busy or stopping
      }
      await sleep(500);
    }
  })();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), 5000).unref();
  }, timeoutMs);
  const [code] = (await exited) as [number | null];
  const wallSeconds = (performance.now() - started) / 1000;
  clearTimeout(timer);
  closeSync(stderr);
  // The browser may still be shutting down: wait for every process the tree had.
  const measured: TreeSamplerResult = tree.stop();
  await waitGone(tree.pids(), 10_000);
  polling = false;
  await poll;
  const serverCpuSeconds = procCpu(site.pid);
  const busy1 = machineBusySeconds();
  const self = process.cpuUsage(self0);
  const foreignCores =
    busy0 === null || busy1 === null
      ? null
      : Math.max(
          0,
          busy1 -
            busy0 -
            measured.cpuSeconds -
            (serverCpuSeconds ?? 0) -
            (self.user + self.system) / 1e6,
        ) / wallSeconds;
  let server: JsSiteStats;
  let siteGone = false;
  try {
    server = await site.stats();
  } catch {
    siteGone = true;
    server = zeroStats();
  }
  await site.stop();
  const output = await checkOutput(out, model);
  const warnings: string[] = [];
  if (code !== 0) warnings.push(`exit code ${code}`);
  if (siteGone) warnings.push('the site server was gone at the end');
  if (timedOut) warnings.push('timed out');
  if (output.delivered < sitePages) {
    warnings.push(`delivered ${output.delivered} of ${sitePages} pages`);
  }
  if (server.repeatPageHits > 0) warnings.push(`${server.repeatPageHits} pages fetched twice`);
  if (foreignCores !== null && foreignCores > FOREIGN_LIMIT) {
    warnings.push(`other processes used ${foreignCores.toFixed(2)} cores during the crawl`);
  }
  const stderrTail = code !== 0 || timedOut ? tail(stderrFile) : null;
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  const crawl: Crawl = {
    system: system.id,
    label: system.label,
    site: siteName,
    round,
    concurrency: system.concurrency,
    exitCode: code,
    timedOut,
    wallSeconds,
    cpuSeconds: measured.cpuSeconds,
    peakRssMB: mb(measured.peakRssBytes),
    peakPssMB: measured.peakPssBytes === null ? null : mb(measured.peakPssBytes),
    peakProcesses: measured.peakProcesses,
    pidsSeen: measured.pidsSeen,
    serverCpuSeconds,
    foreignCores,
    quietWaitSeconds,
    server,
    output,
    pagesPerSecond: output.delivered / wallSeconds,
    complete: output.delivered === sitePages && code === 0 && !siteGone,
    memory: quarters(measured.samples, marks, sitePages),
    warnings,
    stderrTail,
    samples: measured.samples,
    marks,
  };
  return crawl;
}

function tail(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n') || null;
  } catch {
    return null;
  }
}

async function checkOutput(file: string, model: JsSiteModel): Promise<OutputCheck> {
  const check: OutputCheck = {
    lines: 0,
    delivered: 0,
    contentFound: 0,
    scriptDelivered: 0,
    scriptContentFound: 0,
    staticDelivered: 0,
    staticContentFound: 0,
    scriptRendered: 0,
    staticRendered: 0,
    titleExample: null,
    errors: 0,
  };
  if (!existsSync(file)) return check;
  const seen = new Uint8Array(model.pages);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    check.lines++;
    let r: { url?: unknown; status?: unknown; title?: unknown; engine?: unknown; error?: unknown };
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      check.errors++;
      continue;
    }
    if (r.status !== 200) {
      check.errors++;
      continue;
    }
    let i: number | null = null;
    try {
      i = model.pageAt(new URL(String(r.url)).pathname);
    } catch {
      i = null;
    }
    if (i === null || seen[i] === 1) continue;
    seen[i] = 1;
    const script = model.isScript(i);
    const right = r.title === model.titleOf(i);
    check.delivered++;
    if (right) check.contentFound++;
    else check.titleExample ??= { url: String(r.url), got: r.title, want: model.titleOf(i) };
    if (script) {
      check.scriptDelivered++;
      if (right) check.scriptContentFound++;
      if (r.engine === 'browser') check.scriptRendered++;
    } else {
      check.staticDelivered++;
      if (right) check.staticContentFound++;
      if (r.engine === 'browser') check.staticRendered++;
    }
  }
  return check;
}

/** RSS while the first quarter of the pages was served against the last quarter. */
function quarters(samples: TreeSample[], marks: PageMark[], total: number): QuarterMemory | null {
  if (marks.length < 4) return null;
  const pagesAt = (t: number): number => {
    let p = 0;
    for (const m of marks) {
      if (m.t > t) break;
      p = m.pages;
    }
    return p;
  };
  // Samples taken before the crawl reached its first page (Chromium starting) or after the
  // last page was served (export, shutdown) are in neither quarter.
  const firstPageT = marks.find((m) => m.pages > 0)?.t ?? 0;
  const lastPageT = marks.find((m) => m.pages >= total)?.t ?? Infinity;
  const first: TreeSample[] = [];
  const last: TreeSample[] = [];
  for (const s of samples) {
    if (s.t < firstPageT || s.t > lastPageT) continue;
    const p = pagesAt(s.t);
    if (p < total / 4) first.push(s);
    else if (p >= (3 * total) / 4) last.push(s);
  }
  if (first.length === 0 || last.length === 0) return null;
  const rss = (xs: TreeSample[]): number[] => xs.map((s) => s.rssBytes);
  const pss = (xs: TreeSample[]): number[] =>
    xs.filter((s) => s.pssBytes !== undefined).map((s) => s.pssBytes as number);
  const fm = median(rss(first));
  const lm = median(rss(last));
  const fp = pss(first);
  const lp = pss(last);
  return {
    firstMedianMB: mb(fm),
    firstMaxMB: mb(Math.max(...rss(first))),
    lastMedianMB: mb(lm),
    lastMaxMB: mb(Math.max(...rss(last))),
    growth: lm / fm,
    firstPssMedianMB: fp.length ? mb(median(fp)) : null,
    lastPssMedianMB: lp.length ? mb(median(lp)) : null,
  };
}

// ---------------------------------------------------------------------------------------
// The run

interface Block {
  name: string;
  site: string;
  sitePages: number;
  share: number;
  systems: System[];
}

const blocks: Block[] = [];
if (modes.has('compare')) {
  const systems: System[] = [];
  for (const c of concurrencies) {
    systems.push(trawl('browser', c), crawlee(c, false));
    if (values['crawlee-content']) systems.push(crawlee(c, true));
  }
  blocks.push({ name: 'compare', site: `script-${pages}`, sitePages: pages, share: 1, systems });
}
if (modes.has('auto')) {
  blocks.push({
    name: 'auto',
    site: `mixed-${pages}`,
    sitePages: pages,
    share: mixedShare,
    systems: [trawl('auto', 4), trawl('browser', 4), trawl('http', 4)],
  });
}
if (modes.has('soak')) {
  blocks.push({
    name: 'soak',
    site: `script-${soakPages}`,
    sitePages: soakPages,
    share: 1,
    systems: [trawl('browser', 4), crawlee(4, false)],
  });
}
for (const b of blocks) {
  if (onlySystems) b.systems = b.systems.filter((s) => onlySystems.has(s.id));
}

const startedAt = new Date();
const meta = {
  startedAt: startedAt.toISOString(),
  command: process.argv.slice(1).join(' '),
  commit:
    values['trawl-commit'] ??
    git(['rev-parse', '--short', 'HEAD'], resolve(values['trawl-dist'], '..')) ??
    git(['rev-parse', '--short', 'HEAD'], ROOT),
  trawlCli,
  chromium,
  chromiumVersion: safe(() => execFileSync(chromium, ['--version'], { encoding: 'utf8' }).trim()),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? null,
  memGB: Math.round(totalmem() / 2 ** 30),
  loadBefore: loadavg()[0] ?? 0,
  crawleeVersion: pkgVersion(join(PEERS, 'node_modules', '@crawlee', 'playwright')),
  playwrightVersion: pkgVersion(join(PEERS, 'node_modules', 'playwright')),
  trawlPlaywrightCore: pkgVersion(join(ROOT, 'node_modules', 'playwright-core')),
  rounds,
};
log(`browser bench: ${JSON.stringify(meta)}`);

const crawls: Crawl[] = [];
const discarded: Crawl[] = [];
const RERUNS = 2;
const redo = (c: Crawl): boolean =>
  !c.complete || (c.foreignCores !== null && c.foreignCores > FOREIGN_LIMIT);
const controller = { stop: false };
process.on('SIGINT', () => (controller.stop = true));
process.on('SIGTERM', () => (controller.stop = true));

mkdirSync(values['out-dir'], { recursive: true });
// --resume FILE: a run's JSON (written after every crawl): its crawls count, and only
// the (system, site, round) crawls it lacks are run.
const resumed = values.resume
  ? (JSON.parse(readFileSync(values.resume, 'utf8')) as {
      meta: { startedAt: string };
      crawls: Crawl[];
      discarded?: Crawl[];
    })
  : null;
if (resumed) {
  meta.startedAt = resumed.meta.startedAt;
  crawls.push(...resumed.crawls);
  discarded.push(...(resumed.discarded ?? []));
}
const base = resumed
  ? resolve(values.resume as string).replace(/\.json$/, '')
  : join(values['out-dir'], `browser-${startedAt.toISOString().replace(/[:.]/g, '-')}`);
const save = (): void =>
  writeFileSync(
    `${base}.json`,
    JSON.stringify(
      { meta: { ...meta, finishedAt: new Date().toISOString() }, crawls, discarded },
      null,
      1,
    ),
  );

for (const block of blocks) {
  for (let round = 1; round <= rounds && !controller.stop; round++) {
    const order = round % 2 === 1 ? block.systems : [...block.systems].reverse();
    for (const system of order) {
      if (controller.stop) break;
      if (
        crawls.some((c) => c.system === system.id && c.site === block.site && c.round === round)
      ) {
        continue;
      }
      log(`[${block.name}] round ${round}: ${system.id} on ${block.site} …`);
      let crawl = await runCrawl(system, block.site, block.sitePages, block.share, round);
      // A crawl that shared the machine with someone else's job, or did not finish (on
      // this shared machine other jobs have killed Chromium processes and servers), is run
      // again, twice at most; the one set aside stays in the JSON.
      for (let again = 0; again < RERUNS && redo(crawl) && !controller.stop; again++) {
        log(`  set aside (${crawl.warnings.join('; ')}), run again`);
        discarded.push(crawl);
        save();
        crawl = await runCrawl(system, block.site, block.sitePages, block.share, round);
      }
      crawls.push(crawl);
      save();
      log(
        `  ${crawl.pagesPerSecond.toFixed(2)} pages/s, ${crawl.output.delivered}/${block.sitePages} delivered, ` +
          `${crawl.output.contentFound} with content, ${crawl.wallSeconds.toFixed(1)} s, ` +
          `CPU ${crawl.cpuSeconds.toFixed(1)} s, peak RSS sum ${crawl.peakRssMB} MB` +
          (crawl.peakPssMB === null ? '' : ` (PSS ${crawl.peakPssMB})`) +
          (crawl.memory
            ? `, RSS 1st/last quarter ${crawl.memory.firstMedianMB}/${crawl.memory.lastMedianMB} MB`
            : '') +
          `, others ${crawl.foreignCores === null ? '?' : crawl.foreignCores.toFixed(2)} cores` +
          (crawl.warnings.length ? `  ⚠ ${crawl.warnings.join('; ')}` : ''),
      );
      if (crawl.stderrTail) log(`  stderr: ${crawl.stderrTail}`);
    }
  }
}

const finishedAt = new Date().toISOString();
save();
const md =
  markdown(meta, finishedAt, blocks, crawls) +
  (discarded.length
    ? `\n${discarded.length} crawl(s) set aside and run again (other processes over ${FOREIGN_LIMIT} cores meanwhile, or an incomplete crawl): ` +
      discarded.map((c) => `${c.system} round ${c.round} (${c.warnings.join('; ')})`).join('; ') +
      '.\n'
    : '');
writeFileSync(`${base}.md`, md);
process.stdout.write(md + `\nResults: ${base}.json, ${base}.md\n`);
process.exit(controller.stop ? 130 : 0);

// ---------------------------------------------------------------------------------------
// Report

function markdown(m: typeof meta, finished: string, bs: Block[], all: Crawl[]): string {
  const lines: string[] = [];
  lines.push(
    `Measured ${m.startedAt.slice(0, 16).replace('T', ' ')}–${finished.slice(11, 16)} UTC on ` +
      `${m.cpus} cores (${m.cpuModel}), ${m.memGB} GB, Node ${m.node}, ${m.chromiumVersion}, ` +
      `Trawl ${m.commit} (playwright-core ${m.trawlPlaywrightCore}), @crawlee/playwright ` +
      `${m.crawleeVersion} with playwright ${m.playwrightVersion}; 1-min load before: ${m.loadBefore.toFixed(2)}.`,
  );
  lines.push('');
  for (const b of bs) {
    const rows = all.filter((c) => c.site === b.site && b.systems.some((s) => s.id === c.system));
    if (rows.length === 0) continue;
    lines.push(
      `### ${b.name}: ${b.site} (${b.sitePages} pages, ${Math.round(b.share * 100)} % need the script)`,
    );
    lines.push('');
    lines.push(
      "| system | pages at once | pages/s, median (min–max) | delivered / with content (worst round) | wall s | CPU s (tree) | CPU ms per page | peak RSS sum MB, median (min–max) | peak PSS sum MB | RSS 1st → last quarter MB | processes (peak) | other processes' CPU, cores (max) |",
    );
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of b.systems) {
      const cs = rows.filter((c) => c.system === s.id);
      if (cs.length === 0) continue;
      const pps = cs.map((c) => c.pagesPerSecond);
      const rss = cs.map((c) => c.peakRssMB);
      const pss = cs.map((c) => c.peakPssMB).filter((x): x is number => x !== null);
      const worst = cs.reduce((a, c) => (c.output.contentFound < a.output.contentFound ? c : a));
      const q = cs.map((c) => c.memory).filter((x): x is QuarterMemory => x !== null);
      lines.push(
        `| ${s.label} | ${s.concurrency} | **${fmt(median(pps), 2)}** (${fmt(Math.min(...pps), 2)}–${fmt(Math.max(...pps), 2)}) | ` +
          `${worst.output.delivered} / ${worst.output.contentFound}${cs.some((c) => c.warnings.length) ? ' ⚠' : ''} | ` +
          `${fmt(median(cs.map((c) => c.wallSeconds)), 1)} | ${fmt(median(cs.map((c) => c.cpuSeconds)), 1)} | ` +
          `${fmt(median(cs.map((c) => (1000 * c.cpuSeconds) / Math.max(1, c.output.delivered))), 1)} | ` +
          `**${fmt(median(rss), 0)}** (${fmt(Math.min(...rss), 0)}–${fmt(Math.max(...rss), 0)}) | ` +
          `${pss.length ? fmt(median(pss), 0) : '—'} | ` +
          `${q.length ? `${fmt(median(q.map((x) => x.firstMedianMB)), 0)} → ${fmt(median(q.map((x) => x.lastMedianMB)), 0)} (×${fmt(median(q.map((x) => x.growth)), 2)})` : '—'} | ` +
          `${fmt(median(cs.map((c) => c.peakProcesses)), 0)} | ` +
          `${fmt(Math.max(...cs.map((c) => c.foreignCores ?? NaN)), 2)} |`,
      );
    }
    lines.push('');
    if (b.name === 'compare' || b.name === 'soak') {
      for (const c of concurrencies) {
        const t = rows.filter((r) => r.system === `trawl-browser-c${c}`);
        const k = rows.filter((r) => r.system === `crawlee-playwright-c${c}`);
        if (t.length === 0 || k.length === 0) continue;
        const ratio =
          median(t.map((r) => r.pagesPerSecond)) / median(k.map((r) => r.pagesPerSecond));
        const rssRatio = median(t.map((r) => r.peakRssMB)) / median(k.map((r) => r.peakRssMB));
        // Per round, the same round's pair (alternating order).
        const perRound = t
          .map((r) => {
            const other = k.find((x) => x.round === r.round);
            return other ? fmt(r.pagesPerSecond / other.pagesPerSecond, 2) : null;
          })
          .filter((x) => x !== null)
          .join(', ');
        lines.push(
          `- ${c} at once: Trawl ÷ Crawlee pages/s **${fmt(ratio, 2)}×** (per round: ${perRound}; target ≥ 1.5×), ` +
            `peak RSS sum Trawl ÷ Crawlee ${fmt(rssRatio, 2)} (target ≤ 1)`,
        );
      }
      lines.push('');
    }
    if (b.name === 'auto') {
      for (const s of b.systems) {
        const cs = rows.filter((c) => c.system === s.id);
        if (cs.length === 0) continue;
        const w = cs.reduce((a, c) => (c.output.contentFound < a.output.contentFound ? c : a));
        lines.push(
          `- ${s.label}: script pages ${w.output.scriptContentFound}/${b.sitePages > 0 ? createJsSiteModel({ pages: b.sitePages, scriptShare: b.share }).scriptPages : 0} with content ` +
            `(${w.output.scriptRendered} rendered), static pages ${w.output.staticContentFound} with content (${w.output.staticRendered} rendered); ` +
            `server page hits ${w.server.scriptPageHits + w.server.staticPageHits}, assets ${w.server.assetHits} (worst round)`,
        );
      }
      lines.push('');
    }
    const warned = rows.filter((c) => c.warnings.length > 0);
    for (const c of warned)
      lines.push(`- ⚠ ${c.system} round ${c.round}: ${c.warnings.join('; ')}`);
    if (warned.length) lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// Helpers

function procCpu(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clockTicks();
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine so far (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number | null {
  return safe(() => {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f as number[];
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      clockTicks()
    );
  });
}

/**
 * Waits until the machine has been quiet (under QUIET_CORES busy, this runner idle) for
 * QUIET_WINDOW_MS, at most QUIET_MAX_MS; returns the seconds waited. On a shared machine
 * other jobs come and go: starting a crawl in the middle of one would measure both.
 */
async function waitQuiet(): Promise<number> {
  const t0 = performance.now();
  let said = false;
  while (performance.now() - t0 < QUIET_MAX_MS) {
    const b0 = machineBusySeconds();
    await sleep(QUIET_WINDOW_MS);
    const b1 = machineBusySeconds();
    if (b0 === null || b1 === null) return 0;
    const cores = (b1 - b0) / (QUIET_WINDOW_MS / 1000);
    if (cores < QUIET_CORES) break;
    if (!said) log(`  waiting for a quiet machine (${cores.toFixed(2)} cores busy) …`);
    said = true;
  }
  const waited = (performance.now() - t0) / 1000;
  if (said) log(`  waited ${waited.toFixed(0)} s`);
  return waited;
}

function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

/**
 * Waits until none of the tree's processes is left (Playwright launches Chromium in its
 * own process group, so the crawler's group does not hold it); SIGKILLs, by PID, any that
 * outlive the grace period.
 */
async function waitGone(pids: number[], graceMs: number): Promise<void> {
  const deadline = performance.now() + graceMs;
  const alive = (): number[] => pids.filter((p) => existsSync(`/proc/${p}/stat`));
  while (alive().length > 0 && performance.now() < deadline) await sleep(50);
  const left = alive();
  if (left.length > 0) log(`  killing ${left.length} leftover process(es): ${left.join(' ')}`);
  for (const p of left) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function fmt(x: number, digits: number): string {
  if (!Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function mb(bytes: number): number {
  return Math.round(bytes / 1e6);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function int(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function git(args: string[], cwd: string): string | null {
  return safe(() => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim());
}

function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

function pkgVersion(dir: string): string | null {
  return safe(
    () =>
      (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version,
  );
}

function readHeader(): string | null {
  return safe(() => {
    const src = readFileSync(join(ROOT, 'bench', 'browser', 'run-browser.ts'), 'utf8');
    const end = src.indexOf('*/');
    return src.slice(0, end + 2);
  });
}
