/**
 * Trawl side by side with what users would pick instead, on one machine in one run:
 *
 *   npm run bench:peers -- [--install] [--rounds 3] [--pages 20000] [--sites synthetic,real]
 *     [--systems trawl,crawlee-disk,...] [--mode compare|scale|politeness]
 *
 * Run with --help for every option. Writes bench/results/peers-<timestamp>.json (every
 * round), .svg (the chart) and .md (the table printed here, for BENCHMARKS.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DOCS_SITE, DOCS_SITES } from '../real-site/docs-site.js';
import type { DocsSite } from '../real-site/docs-site.js';
import type { HarnessContext } from './harness-context.js';
import { installPeers, npmPeersInstalled } from './install-peers.js';
import type { InstallStep } from './install-peers.js';
import { runCompareMode } from './modes/compare-mode.js';
import { politenessMarkdown, runPolitenessMode } from './modes/politeness-mode.js';
import { runScaleMode, scaleMarkdown } from './modes/scale-mode.js';
import { REPO_DIR } from './paths.js';
import { PEER_SYSTEMS, scrapyPython, useBeforeBuild } from './peer-systems.js';
import { peersChartSvg } from './report/peers-chart.js';
import { peersMarkdown } from './report/peers-markdown.js';
import { writeReportJson } from './report/peers-report.js';
import type { PeersReport, SiteResult } from './report/peers-report.js';
import { realSiteMissing } from './sites/real-docs-site.js';

const HELP = `usage: npm run bench:peers -- [options]

  --mode M                compare (default) | scale | politeness
  --systems a,b           systems to run (default: compare all; scale trawl;
                          politeness trawl,crawlee-memory); known:
                          ${PEER_SYSTEMS.map((s) => s.id).join(', ')}
  --before-dist DIR       another build of Trawl (the dist/ holding src/cli/main.js,
                          e.g. of the commit before a change) as system trawl-before:
                          Trawl embedded before and after in one run; compare runs it
                          by default once this is given
  --rounds N              rounds, systems alternating within each (default 3)
  --install               run the installer first (npm peers in bench/peers, and from
                          Debian python3-scrapy, nginx and the docs package); it also
                          runs by itself when something is missing, unless --no-install
  --no-install            never install; missing systems are reported as skipped
 compare:
  --sites a,b             synthetic,real (default both)
  --pages N               synthetic site size (default 20000)
  --real-doc ID           ${Object.keys(DOCS_SITES).join(' | ')} (default ${DEFAULT_DOCS_SITE})
  --real-max-pages N      stop every crawl of the real site after N pages (quick
                          development runs only: not a comparable result)
  --concurrency a=N,...   fix a system's concurrency (no tuning for it)
  --no-tune               use each system's default concurrency instead of tuning
  --tune-pages N          synthetic site size for the tuning runs (default 4000)
  --ceiling-s S           autocannon seconds for each site's server ceiling (default 5, 0 = skip)
  --profile               after the rounds, one more Trawl run per site under node
                          --cpu-prof; the table gets a where-the-time-goes summary
 scale:
  --scale-pages a,b,c     site sizes (default 5000,20000,100000)
 politeness:
  --hosts N               loopback hosts 127.0.1.1..N (default 200)
  --host-pages N          pages per host (default 50)
  --delay-ms MS           minimum gap per host asked of every system (default 100)
  --politeness-concurrency N  requests in flight over all hosts (default 200)
 general:
  --seed N                synthetic site variant (default 1)
  --timeout-s S           kill a crawl after S seconds (default 1800)
  --results-dir DIR       (default bench/results)
  --tmp-dir DIR           scratch space (default the OS tmp dir)
  --keep                  keep every run's scratch directory`;

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'compare' },
    systems: { type: 'string' },
    'before-dist': { type: 'string' },
    rounds: { type: 'string', default: '3' },
    install: { type: 'boolean', default: false },
    'no-install': { type: 'boolean', default: false },
    sites: { type: 'string', default: 'synthetic,real' },
    pages: { type: 'string', default: '20000' },
    'real-doc': { type: 'string', default: DEFAULT_DOCS_SITE },
    'real-max-pages': { type: 'string' },
    concurrency: { type: 'string', default: '' },
    'no-tune': { type: 'boolean', default: false },
    'tune-pages': { type: 'string', default: '4000' },
    'ceiling-s': { type: 'string', default: '5' },
    'scale-pages': { type: 'string', default: '5000,20000,100000' },
    hosts: { type: 'string', default: '200' },
    'host-pages': { type: 'string', default: '50' },
    'delay-ms': { type: 'string', default: '100' },
    'politeness-concurrency': { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    'timeout-s': { type: 'string', default: '1800' },
    'results-dir': { type: 'string', default: join(REPO_DIR, 'bench', 'results') },
    'tmp-dir': { type: 'string', default: tmpdir() },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const mode = values.mode;
if (mode !== 'compare' && mode !== 'scale' && mode !== 'politeness') fail(`unknown --mode ${mode}`);
const beforeDist = values['before-dist'] ? resolve(values['before-dist']) : null;
if (beforeDist && !existsSync(join(beforeDist, 'src', 'cli', 'main.js')))
  fail(`--before-dist: no src/cli/main.js in ${beforeDist}`);
useBeforeBuild(beforeDist);
const defaultSystems = {
  // trawl-before only has something to run when a build was given.
  compare: PEER_SYSTEMS.map((s) => s.id).filter((id) => id !== 'trawl-before' || beforeDist),
  scale: ['trawl'],
  politeness: ['trawl', 'crawlee-memory'],
}[mode];
const systems = values.systems ? list(values.systems) : defaultSystems;
for (const id of systems) {
  if (!PEER_SYSTEMS.some((s) => s.id === id)) fail(`unknown system ${id}`);
}
const sites = list(values.sites);
for (const s of sites) if (s !== 'synthetic' && s !== 'real') fail(`unknown site ${s}`);
const fixedConcurrency = new Map<string, number>();
for (const pair of list(values.concurrency)) {
  const [id, value] = pair.split('=');
  if (!id || !PEER_SYSTEMS.some((s) => s.id === id))
    fail(`--concurrency: unknown system in "${pair}"`);
  fixedConcurrency.set(id, int(`--concurrency ${id}`, value ?? ''));
}
const docsOrNone = DOCS_SITES[values['real-doc']];
if (!docsOrNone) fail(`unknown --real-doc ${values['real-doc']}`);
const docs: DocsSite = docsOrNone;

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
const loadBefore = loadavg()[0] ?? 0;

const install = maybeInstall();
const tmpRoot = mkdtempSync(join(values['tmp-dir'], 'trawl-peers-'));
const ctx: HarnessContext = {
  tmpRoot,
  resultsDir: values['results-dir'],
  timeoutMs: int('--timeout-s', values['timeout-s']) * 1000,
  keep: values.keep,
  signal: abort.signal,
  log: (line) => console.log(line),
};

let results: SiteResult[];
try {
  const rounds = int('--rounds', values.rounds);
  const seed = int('--seed', values.seed);
  if (mode === 'compare') {
    results = await runCompareMode(ctx, {
      systems,
      sites: sites as ('synthetic' | 'real')[],
      rounds,
      pages: int('--pages', values.pages),
      seed,
      realDoc: values['real-doc'],
      realMaxPages: values['real-max-pages']
        ? int('--real-max-pages', values['real-max-pages'])
        : null,
      fixedConcurrency,
      tune: !values['no-tune'],
      tunePages: int('--tune-pages', values['tune-pages']),
      ceilingSeconds: Number(values['ceiling-s']),
      ceilingConnections: 64,
      profile: values.profile,
    });
  } else if (mode === 'scale') {
    results = await runScaleMode(ctx, {
      sizes: list(values['scale-pages']).map((p) => int('--scale-pages', p)),
      rounds,
      seed,
      systems,
      fixedConcurrency,
    });
  } else {
    results = await runPolitenessMode(ctx, {
      hosts: int('--hosts', values.hosts),
      pagesPerHost: int('--host-pages', values['host-pages']),
      delayMs: int('--delay-ms', values['delay-ms']),
      rounds,
      systems,
      concurrency: int('--politeness-concurrency', values['politeness-concurrency']),
      fixedConcurrency,
    });
  }
} finally {
  if (!values.keep) rmSync(tmpRoot, { recursive: true, force: true });
}

const report: PeersReport = {
  kind: mode === 'compare' ? 'peers' : `peers-${mode}`,
  date: new Date().toISOString(),
  commit: gitCommit(),
  command: commandLine(),
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage1mBefore: loadBefore,
  },
  options: { ...values, systems, sites },
  install,
  sites: results,
};
const prefix = mode === 'compare' ? 'peers' : `peers-${mode}`;
const { file, base } = writeReportJson(ctx.resultsDir, prefix, report);
const markdown =
  mode === 'compare'
    ? peersMarkdown(report)
    : mode === 'scale'
      ? scaleMarkdown(report)
      : politenessMarkdown(report);
writeFileSync(`${base}.md`, markdown);
console.log(`\n${markdown}`);
if (mode === 'compare') {
  writeFileSync(`${base}.svg`, peersChartSvg(report));
  console.log(`wrote ${file}, ${base}.md and ${base}.svg`);
} else console.log(`wrote ${file} and ${base}.md`);
if (abort.signal.aborted) process.exitCode = 130;

function maybeInstall(): InstallStep[] | null {
  if (values['no-install']) return null;
  const wanted = ['python3-scrapy', 'nginx', docs.debianPackage];
  const wantsNpm = systems.some((s) => s.startsWith('crawlee') || s === 'spider-rs');
  const missing =
    (wantsNpm && !npmPeersInstalled()) ||
    (systems.includes('scrapy') && scrapyPython() === null) ||
    (mode === 'compare' && sites.includes('real') && realSiteMissing(docs) !== null);
  if (!values.install && !missing) return null;
  console.log('== installing peers (bench/peers/install-peers)');
  const steps = installPeers({ debianPackages: wanted, force: values.install });
  for (const s of steps) console.log(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.what}: ${s.detail}`);
  return steps;
}

function commandLine(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`));
  return process.env.npm_lifecycle_event === 'bench:peers'
    ? `npm run bench:peers${args.length ? ` -- ${args.join(' ')}` : ''}`
    : `node dist/bench/peers/run-peers.js ${args.join(' ')}`.trim();
}

function gitCommit(): string | null {
  try {
    const opts = { cwd: REPO_DIR, encoding: 'utf8' as const, stdio: 'pipe' as const };
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], opts).trim();
    return head + (dirty ? '-dirty' : '');
  } catch {
    return null;
  }
}

function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function int(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) fail(`${name} must be a non-negative integer, got "${raw}"`);
  return v;
}

function fail(message: string): never {
  console.error(`bench:peers: ${message}`);
  process.exit(2);
}
