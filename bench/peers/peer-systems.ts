/**
 * Every system the peer benchmark runs, as data: how to start it for one crawl, which
 * concurrency values are worth trying, and why it cannot run here (if it cannot). Each
 * one gets the same job: crawl the site from its start page(s), same host only,
 * robots.txt obeyed, no delay (unless the politeness mode sets one), url + title per page
 * written as JSON lines to `out`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldCheck } from './field-check.js';
import { nodeEntry, PEERS_DIR, REPO_DIR, systemScript } from './paths.js';

export interface CrawlJob {
  startUrls: string[];
  /** JSON-lines file the system writes. */
  out: string;
  /** This run's scratch directory (data dirs, storage). */
  tmp: string;
  /** Null for a system without a concurrency setting. */
  concurrency: number | null;
  /** Minimum gap between requests to one host, ms (0: none). */
  delayMs: number;
  /** Development budget: stop after this many pages. */
  maxPages: number | null;
  /** For the raw-GET ceiling: the site's page paths, one per line. */
  pathsFile: string | null;
}

export interface PeerSystem {
  id: string;
  label: string;
  kind: 'trawl' | 'peer' | 'ceiling';
  /** Values tried when tuning, the default first; empty when the system has no setting. */
  concurrencies: number[];
  /** Whether its output carries titles to check. */
  titles: boolean;
  /** Whether it takes several start URLs (the politeness mode's 200 hosts). */
  multiHost: boolean;
  /** Whether it honours a per-host delay. */
  delay: boolean;
  /** Why it cannot run here, or null. */
  unavailable(): string | null;
  /** Writes what the command reads (a pipeline file) into `job.tmp`; not measured. */
  prepare?(job: CrawlJob): void;
  command(job: CrawlJob): string[];
  /**
   * Fields every HTML record of its output must carry besides url, status and title (the
   * Markdown of the extracting rows); a round whose output lacks them is not complete.
   */
  fieldChecks?: FieldCheck[];
}

const trawl: PeerSystem = {
  id: 'trawl',
  label: 'Trawl embedded',
  kind: 'trawl',
  concurrencies: [64, 32, 128],
  titles: true,
  multiHost: true,
  delay: true,
  unavailable: () => (trawlBuilt() ? null : 'Trawl is not built (npm run build)'),
  command: (job) => [...nodeEntry('../../src/cli/main'), ...embeddedCrawlArgs(job)],
};

/**
 * `trawl crawl` flags of the embedded rows. Only flags that the CLI of older commits has
 * too, so `trawl-before` (another build's CLI) takes the same job.
 */
function embeddedCrawlArgs(job: CrawlJob): string[] {
  return [
    'crawl',
    ...job.startUrls,
    '--delay',
    String(job.delayMs),
    '--concurrency',
    String(job.concurrency ?? 64),
    '--data-dir',
    join(job.tmp, 'trawl-data'),
    '--out',
    job.out,
    '--format',
    'jsonl',
    '--no-progress',
    ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
  ];
}

function trawlBuilt(): boolean {
  return existsSync(nodeEntry('../../src/cli/main').at(-1) as string);
}

/** Another build of Trawl (`--before-dist DIR`), or null when none was given. */
let beforeDist: string | null = null;

/**
 * Points `trawl-before` at a build's dist directory (the one holding src/cli/main.js) and
 * names its row after the build's commit, so a table says what "before" was.
 */
export function useBeforeBuild(dir: string | null): void {
  beforeDist = dir;
  if (dir !== null) trawlBefore.label = `Trawl embedded, before (${buildCommit(dir) ?? dir})`;
}

/** The commit a build directory's checkout is at, when it is inside a git work tree. */
function buildCommit(dir: string): string | null {
  const r = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Trawl embedded from another build (`--before-dist`), e.g. the commit before a change,
 * so before and after run in one harness, interleaved round by round on the same machine.
 */
const trawlBefore: PeerSystem = {
  ...trawl,
  id: 'trawl-before',
  label: 'Trawl embedded, before (--before-dist)',
  unavailable: () => {
    if (beforeDist === null) return 'no --before-dist given';
    const main = join(beforeDist, 'src', 'cli', 'main.js');
    return existsSync(main) ? null : `${main} does not exist (build it with tsc first)`;
  },
  command: (job) => [
    process.execPath,
    join(beforeDist as string, 'src', 'cli', 'main.js'),
    ...embeddedCrawlArgs(job),
  ],
};

/** The extraction formats of the "full extraction". */
const FULL_EXTRACT = 'markdown,metadata,structured';

/**
 * Markdown in (nearly) every HTML record. Not all: a page with no main content (a Javadoc
 * frame or redirect page) rightly has none.
 */
const MARKDOWN_CHECK: FieldCheck = { field: 'markdown', want: 'non-empty-string', minShare: 0.99 };

/**
 * Trawl embedded doing more per page than the plain crawl: `trawl`'s job and flags plus
 * `extra` (extraction in the parse workers, a chain of handlers), so the rows differ from
 * `trawl` in exactly that work.
 */
function trawlWith(
  id: string,
  label: string,
  extra: (job: CrawlJob) => string[],
  more: Pick<PeerSystem, 'prepare' | 'fieldChecks'>,
): PeerSystem {
  return {
    ...trawl,
    id,
    label,
    ...more,
    command: (job) => [...trawl.command(job), ...extra(job)],
  };
}

/** Where `trawl-standard` finds its pipeline file. */
function pipelineFile(job: CrawlJob): string {
  return join(job.tmp, 'pipeline.json');
}

const trawlExtract = trawlWith(
  'trawl-extract',
  `Trawl, --extract ${FULL_EXTRACT}`,
  () => ['--extract', FULL_EXTRACT],
  { fieldChecks: [MARKDOWN_CHECK] },
);

/**
 * The `standard` chain (validate → transform → enrich → export → notify) on every page.
 * With the full extraction too, so the chain runs over records with real fields
 * (Markdown, metadata) rather than bare url + title. Its defaults need no configuration:
 * enrich adds `urlParts` (and `language`), which shows the chain ran on every record;
 * export and notify have no destination, so they write and send nothing.
 */
const trawlStandard = trawlWith(
  'trawl-standard',
  'Trawl, full extraction + standard chain',
  (job) => ['--extract', FULL_EXTRACT, '--pipeline', pipelineFile(job)],
  {
    prepare: (job) =>
      writeFileSync(pipelineFile(job), JSON.stringify({ chain: 'standard' }) + '\n'),
    fieldChecks: [
      MARKDOWN_CHECK,
      { field: 'urlParts', want: 'object', minShare: 1 },
      { field: 'pipelineErrors', want: 'absent', minShare: 1 },
    ],
  },
);

/** Markdown only: what `crawlee-markdown` is compared with. */
const trawlMarkdown = trawlWith(
  'trawl-markdown',
  'Trawl, --extract markdown',
  () => ['--extract', 'markdown'],
  { fieldChecks: [MARKDOWN_CHECK] },
);

/** The PostgreSQL database run-distributed creates its throwaway schema in (its default). */
const DISTRIBUTED_DATABASE = 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * Trawl distributed: run-distributed starts its own redis-server, a fresh PostgreSQL
 * schema, `workers` `trawl worker` processes and `trawl crawl --workers 0`, in one command
 * GNU time measures. The per-process split and Redis's own figures go to the stats file,
 * which the harness reads into the round (`PeerRound.distributed`).
 */
function trawlDistributed(workers: number): PeerSystem {
  return {
    id: `trawl-distributed-${workers}`,
    label: `Trawl distributed (${workers} worker${workers > 1 ? 's' : ''})`,
    kind: 'trawl',
    // Cluster-wide: each worker keeps up to 64 in flight by default, so 128 fills two.
    concurrencies: [128, 64, 256],
    titles: true,
    multiHost: true,
    delay: true,
    unavailable: distributedUnavailable,
    command: (job) => [
      ...nodeEntry('../distributed/run-distributed'),
      '--workers',
      String(workers),
      '--database',
      DISTRIBUTED_DATABASE,
      '--out',
      job.out,
      '--concurrency',
      String(job.concurrency ?? 128),
      '--delay',
      String(job.delayMs),
      ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
      '--stats',
      distributedStatsFile(job.tmp),
      ...job.startUrls,
    ],
  };
}

/** Where a distributed run leaves its measurements, in the run's scratch directory. */
export function distributedStatsFile(tmp: string): string {
  return join(tmp, 'distributed-stats.json');
}

let distributedWhyNot: string | null | undefined;

/** Why the distributed rows cannot run here (checked once per harness run), or null. */
function distributedUnavailable(): string | null {
  if (!trawlBuilt()) return 'Trawl is not built (npm run build)';
  if (!existsSync(REDIS_SERVER)) return `${REDIS_SERVER} is missing (apt-get install redis-server)`;
  distributedWhyNot ??= postgresWhyNot(DISTRIBUTED_DATABASE);
  return distributedWhyNot;
}

/**
 * Connects once with a 2 s timeout, in a child process because unavailable() is
 * synchronous; a real connect (not pg_isready) also catches a wrong user or database.
 */
function postgresWhyNot(url: string): string | null {
  const script =
    "import pg from 'pg';" +
    'const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 2000 });' +
    'c.connect().then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, url], {
    cwd: REPO_DIR,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status === 0) return null;
  const why = (r.stderr || r.error?.message || 'no answer').trim().split('\n').pop();
  return `PostgreSQL at ${url} does not answer (${why})`;
}

function crawlee(memory: boolean, markdown = false): PeerSystem {
  return {
    id: markdown ? 'crawlee-markdown' : memory ? 'crawlee-memory' : 'crawlee-disk',
    label: markdown
      ? `Crawlee (in memory) + turndown ${TURNDOWN_VERSION} Markdown`
      : memory
        ? 'Crawlee CheerioCrawler (persistStorage: false)'
        : 'Crawlee CheerioCrawler (default storage)',
    kind: 'peer',
    concurrencies: [32, 16, 64],
    titles: true,
    multiHost: true,
    delay: true,
    unavailable: () => {
      const nm = join(PEERS_DIR, 'node_modules');
      const needs = [join(nm, '@crawlee', 'cheerio'), ...(markdown ? [join(nm, 'turndown')] : [])];
      return needs.every((dir) => existsSync(join(dir, 'package.json')))
        ? null
        : 'npm peers not installed (npm run bench:peers -- --install)';
    },
    command: (job) => [
      process.execPath,
      systemScript('crawlee.mjs'),
      '--out',
      job.out,
      '--storage-dir',
      join(job.tmp, 'crawlee'),
      '--concurrency',
      String(job.concurrency ?? 32),
      '--delay-ms',
      String(job.delayMs),
      ...(memory ? ['--memory'] : []),
      ...(markdown ? ['--markdown'] : []),
      ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
      ...job.startUrls,
    ],
    ...(markdown ? { fieldChecks: [MARKDOWN_CHECK] } : {}),
  };
}

/** bench/peers/package.json pins it; the row's label names it. */
const TURNDOWN_VERSION = '7.2.5';

const scrapy: PeerSystem = {
  id: 'scrapy',
  label: 'Scrapy (Spider + response.follow)',
  kind: 'peer',
  concurrencies: [16, 8, 32, 64],
  titles: true,
  multiHost: true,
  delay: true,
  unavailable: () =>
    scrapyPython() === null ? 'Scrapy is not installed (apt-get install python3-scrapy)' : null,
  command: (job) => [
    scrapyPython() as string,
    systemScript('scrapy_spider.py'),
    '--out',
    job.out,
    '--concurrency',
    String(job.concurrency ?? 16),
    '--delay-ms',
    String(job.delayMs),
    ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
    ...job.startUrls,
  ],
};

const spiderRs: PeerSystem = {
  id: 'spider-rs',
  label: 'spider-rs 0.0.157 (Node bindings)',
  kind: 'peer',
  // The Node binding exposes no concurrency setting: the engine picks its own.
  concurrencies: [],
  titles: true,
  multiHost: false,
  delay: true,
  unavailable: () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      return `no spider-rs binary installed for ${process.platform}-${process.arch}`;
    }
    const nm = join(PEERS_DIR, 'node_modules', '@spider-rs');
    if (!existsSync(join(nm, 'spider-rs-linux-x64-gnu', 'package.json'))) {
      return 'npm peers not installed (npm run bench:peers -- --install)';
    }
    return null;
  },
  command: (job) => [
    process.execPath,
    systemScript('spider-rs.mjs'),
    '--out',
    job.out,
    '--delay-ms',
    String(job.delayMs),
    ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
    job.startUrls[0] as string,
  ],
};

const rawGet: PeerSystem = {
  id: 'ceiling-raw-get',
  label: 'Ceiling: raw undici GETs, no parsing',
  kind: 'ceiling',
  concurrencies: [64, 32, 128],
  titles: false,
  multiHost: false,
  delay: false,
  unavailable: () => null,
  command: (job) => [
    ...nodeEntry('ceilings/raw-get'),
    '--origin',
    new URL(job.startUrls[0] as string).origin,
    '--paths',
    job.pathsFile as string,
    '--out',
    job.out,
    '--concurrency',
    String(job.concurrency ?? 64),
    ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
  ],
};

const minimal: PeerSystem = {
  id: 'ceiling-minimal',
  label: 'Ceiling: single-threaded undici + htmlparser2 loop',
  kind: 'ceiling',
  concurrencies: [32, 16, 64],
  titles: true,
  multiHost: false,
  delay: false,
  unavailable: () => null,
  command: (job) => [
    ...nodeEntry('ceilings/minimal-crawler'),
    '--out',
    job.out,
    '--concurrency',
    String(job.concurrency ?? 32),
    ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
    ...job.startUrls,
  ],
};

/** In table order. */
export const PEER_SYSTEMS: PeerSystem[] = [
  trawl,
  trawlBefore,
  trawlExtract,
  trawlStandard,
  trawlMarkdown,
  trawlDistributed(1),
  trawlDistributed(2),
  crawlee(false),
  crawlee(true),
  crawlee(true, true),
  scrapy,
  spiderRs,
  minimal,
  rawGet,
];

let python: string | undefined;

/**
 * A Python that imports scrapy: Debian's /usr/bin/python3 first (python3-scrapy), then
 * PATH. Only a hit is remembered, so a check after installing finds it.
 */
export function scrapyPython(): string | null {
  if (python === undefined) {
    for (const candidate of ['/usr/bin/python3', 'python3']) {
      const r = spawnSync(candidate, ['-c', 'import scrapy'], { stdio: 'ignore' });
      if (r.status === 0) {
        python = candidate;
        break;
      }
    }
  }
  return python ?? null;
}
