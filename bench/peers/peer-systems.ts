/**
 * Every system the peer benchmark runs, as data: how to start it for one crawl, which
 * concurrency values are worth trying, and why it cannot run here (if it cannot). Each
 * one gets the same job: crawl the site from its start page(s), same host only,
 * robots.txt obeyed, no delay (unless the politeness mode sets one), url + title per page
 * written as JSON lines to `out`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nodeEntry, PEERS_DIR, systemScript } from './paths.js';

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
  command(job: CrawlJob): string[];
}

const trawl: PeerSystem = {
  id: 'trawl',
  label: 'Trawl embedded',
  kind: 'trawl',
  concurrencies: [64, 32, 128],
  titles: true,
  multiHost: true,
  delay: true,
  unavailable: () =>
    existsSync(nodeEntry('../../src/cli/main').at(-1) as string)
      ? null
      : 'Trawl is not built (npm run build)',
  command: (job) => [
    ...nodeEntry('../../src/cli/main'),
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
  ],
};

/** Distributed Trawl is listed so the table shows its row; it lands with the distributed mode. */
function trawlDistributed(workers: number): PeerSystem {
  return {
    id: `trawl-distributed-${workers}`,
    label: `Trawl distributed (${workers} worker${workers > 1 ? 's' : ''})`,
    kind: 'trawl',
    concurrencies: [],
    titles: true,
    multiHost: true,
    delay: true,
    unavailable: () => 'the distributed mode does not exist yet',
    command: () => [],
  };
}

function crawlee(memory: boolean): PeerSystem {
  return {
    id: memory ? 'crawlee-memory' : 'crawlee-disk',
    label: memory
      ? 'Crawlee CheerioCrawler (persistStorage: false)'
      : 'Crawlee CheerioCrawler (default storage)',
    kind: 'peer',
    concurrencies: [32, 16, 64],
    titles: true,
    multiHost: true,
    delay: true,
    unavailable: () =>
      existsSync(join(PEERS_DIR, 'node_modules', '@crawlee', 'cheerio', 'package.json'))
        ? null
        : 'npm peers not installed (npm run bench:peers -- --install)',
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
      ...(job.maxPages ? ['--max-pages', String(job.maxPages)] : []),
      ...job.startUrls,
    ],
  };
}

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
  trawlDistributed(1),
  trawlDistributed(2),
  crawlee(false),
  crawlee(true),
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
