/**
 * Composition root of the embedded default: one process, SQLite in the data dir.
 * Reads the validated spec, picks the adapters, owns start-up and shutdown.
 */
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { CrawlSpec } from '../config/crawl-spec.js';
import { systemClock, type Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { canonicalize, type CanonicalUrl } from '../core/url/canonicalize.js';
import { createLinkFilter, type LinkFilterSpec } from '../core/url/link-filter.js';
import { Crawler } from '../crawler/crawler.js';
import { HttpFetcher } from '../fetch/http/http-fetcher.js';
import type { Frontier } from '../frontier/frontier.js';
import { InlinePageParser } from '../parse/inline-page-parser.js';
import type { PageParser, PageParserOptions } from '../parse/page-parser.js';
import { WorkerPageParser } from '../parse/worker-page-parser.js';
import type { PageStore } from '../storage/page-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../storage/sqlite/sqlite-database.js';
import { openSqliteFrontier } from '../storage/sqlite/sqlite-frontier.js';
import { createSqlitePageStore } from '../storage/sqlite/sqlite-page-store.js';
import { createRobotsSource } from './robots-source.js';
import { seedFromSitemaps } from './sitemap-seeds.js';

export interface EmbeddedCrawl {
  readonly crawler: Crawler;
  readonly frontier: Frontier;
  readonly store: PageStore;
  /** Seeds added by this run (0 when all were known: a resumed or finished crawl). */
  readonly newSeeds: number;
  /** Closes everything this function opened, in reverse order. */
  close(): Promise<void>;
}

export interface EmbeddedCrawlOptions {
  spec: CrawlSpec;
  dataDir: string;
  log: Logger;
  clock?: Clock;
}

/** Parses the seeds, failing with every bad one named. */
export function canonicalSeeds(seeds: string[], sortQuery: boolean): CanonicalUrl[] {
  const bad: string[] = [];
  const out: CanonicalUrl[] = [];
  for (const seed of seeds) {
    const url = canonicalize(seed, undefined, { sortQuery });
    if (url === null) bad.push(seed);
    else out.push(url);
  }
  if (bad.length > 0) {
    throw new UsageError(
      `not a valid http(s) URL: ${bad.map((b) => JSON.stringify(b)).join(', ')} (did you forget "https://"?)`,
    );
  }
  return out;
}

export async function openEmbeddedCrawl(options: EmbeddedCrawlOptions): Promise<EmbeddedCrawl> {
  const { spec, log } = options;
  const clock = options.clock ?? systemClock;
  const seeds = canonicalSeeds(spec.seeds, spec.sortQuery);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse())
      await close().catch((err: unknown) => log.warn({ err }, 'close failed'));
  };
  try {
    const database = openSqliteDatabase(options.dataDir);
    closers.push(() => database.close());
    const seedHosts = rememberSeedHosts(database, seeds);
    const filterSpec: LinkFilterSpec = {
      scope: spec.scope,
      seedHosts,
      include: spec.include,
      exclude: spec.exclude,
    };
    const linkFilter = createLinkFilter(filterSpec);

    const frontier = await openSqliteFrontier(database, {
      clock,
      hostDefaults: {
        delayMs: spec.delayMs,
        maxInFlight: spec.hostConcurrency ?? (spec.delayMs > 0 ? 1 : spec.concurrency),
      },
    });
    closers.push(() => frontier.close());
    const store = createSqlitePageStore(database);
    closers.push(() => store.close());

    const fetcher = new HttpFetcher({
      userAgent: spec.userAgent,
      connectTimeoutMs: spec.connectTimeoutMs,
      headersTimeoutMs: spec.headersTimeoutMs,
      bodyTimeoutMs: spec.bodyTimeoutMs,
      totalTimeoutMs: spec.totalTimeoutMs,
      maxBodyBytes: spec.maxBodyBytes,
      maxRedirects: spec.maxRedirects,
      connectionsPerOrigin: Math.min(spec.concurrency, 256),
    });
    closers.push(() => fetcher.close());

    const parserOptions: PageParserOptions = {
      linkFilter: filterSpec,
      respectNofollow: spec.respectNofollow,
      sortQuery: spec.sortQuery,
      // The crawler adds every link it asks for, so links already returned can be
      // dropped before they cross the thread boundary.
      dedupLinks: true,
    };
    const workers = spec.parseWorkers ?? Math.max(1, availableParallelism() - 1);
    const parser: PageParser =
      workers === 0
        ? new InlinePageParser(parserOptions)
        : new WorkerPageParser({ ...parserOptions, workers });
    closers.push(() => parser.close());

    const robots = spec.robots
      ? createRobotsSource(fetcher, spec.userAgent, clock, spec.robotsRetryMs)
      : null;

    let newSeeds = await frontier.add(
      seeds.map((s) => ({ url: s.href, host: s.host, depth: 0, priority: 0 })),
    );
    if (spec.sitemaps) {
      newSeeds += await seedFromSitemaps({
        seeds,
        frontier,
        fetcher,
        robots,
        linkFilter,
        sortQuery: spec.sortQuery,
        log,
      });
    }

    const crawler = new Crawler(
      {
        concurrency: spec.concurrency,
        maxPages: spec.maxPages,
        maxDepth: spec.maxDepth,
        delayMs: spec.delayMs,
        storeBody: spec.storeBody,
        maxRetries: spec.maxRetries,
        retryBaseMs: spec.retryBaseMs,
        retryMaxMs: spec.retryMaxMs,
        maxRetryAfterMs: spec.maxRetryAfterMs,
      },
      { frontier, store, fetcher, parser, robots, linkFilter, clock, log },
    );
    return { crawler, frontier, store, newSeeds, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * The scope of a data dir's crawl is the union of every seed host it was ever given, so
 * a resumed crawl follows exactly the links the first run would have.
 */
function rememberSeedHosts(database: SqliteDatabase, seeds: CanonicalUrl[]): string[] {
  const { db } = database;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'seed_hosts'").pluck().get() as
    string | undefined;
  const hosts = new Set<string>(row === undefined ? [] : (JSON.parse(row) as string[]));
  for (const s of seeds) hosts.add(s.host);
  const list = [...hosts];
  db.prepare(
    "INSERT INTO meta (key, value) VALUES ('seed_hosts', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  ).run(JSON.stringify(list));
  return list;
}
