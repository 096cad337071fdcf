/**
 * Composition root of the embedded default: one process, SQLite in the data dir.
 * Reads the validated spec, picks the adapters, owns start-up and shutdown.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CrawlSpec } from '../config/crawl-spec.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { CanonicalUrl } from '../core/url/canonicalize.js';
import { createLinkFilter, type LinkFilterSpec } from '../core/url/link-filter.js';
import { Crawler } from '../crawler/crawler.js';
import type { Frontier } from '../frontier/frontier.js';
import type { PageStore } from '../storage/page-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../backends/sqlite/sqlite-database.js';
import { openSqliteFrontier } from '../backends/sqlite/sqlite-frontier.js';
import { createSqlitePageStore } from '../backends/sqlite/sqlite-page-store.js';
import { createSqliteDedupIndex } from '../backends/sqlite/sqlite-dedup-index.js';
import { storeBaseline, type Baseline } from '../crawler/baseline.js';
import { queueBaselinePages } from './job-baseline.js';
import { jobArtifacts } from './job-artifacts.js';
import { createJobPipeline } from './job-pipeline.js';
import {
  canonicalSeeds,
  crawlerOptions,
  createFetcher,
  createParser,
  frontierSettings,
  seedOrigins,
} from './job-parts.js';

export { canonicalSeeds } from './job-parts.js';

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
  /**
   * The page store of the crawl's baseline job (spec `baseline`: an incremental recrawl),
   * open for as long as the crawl (the caller closes it after); absent: no baseline.
   */
  baseline?: PageStore;
  /** Names the job where it shares a place with others (its artifacts' folder). @default embedded */
  jobId?: string;
}

/** The job id of a data dir's crawl, where a backend keys state by job (the dedup index). */
const EMBEDDED_JOB_ID = 'embedded';

/** One process is the whole cluster: an idle loop only waits for its own commits. */
const EMBEDDED_IDLE_POLL_MS = 1_000;

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
    const filterSpec: LinkFilterSpec = {
      scope: spec.scope,
      seedHosts: rememberSeedHosts(database, seeds),
      include: spec.include,
      exclude: spec.exclude,
    };
    const linkFilter = createLinkFilter(filterSpec);

    const frontier = await openSqliteFrontier(database, {
      clock,
      settings: frontierSettings(spec),
    });
    closers.push(() => frontier.close());
    const store = createSqlitePageStore(database);
    closers.push(() => store.close());
    const artifacts = jobArtifacts(
      spec,
      options.jobId ?? EMBEDDED_JOB_ID,
      join(options.dataDir, 'artifacts'),
    );
    if (artifacts !== null) closers.push(() => artifacts.store.close());
    const fetcher = createFetcher(spec, (message) => log.info(message), {
      log,
      ...(artifacts === null ? {} : { saveArtifact: artifacts.save }),
    });
    closers.push(() => fetcher.close());
    const parser = createParser(spec, filterSpec);
    closers.push(() => parser.close());

    let baseline: Baseline | undefined;
    if (options.baseline !== undefined) {
      // Before the seeds: a crawl whose seeds are known has its baseline queued too.
      await queueBaselinePages(spec, options.baseline, linkFilter, (links) => frontier.add(links));
      baseline = storeBaseline(options.baseline, spec.storeBody, log);
    }
    const newSeeds = await frontier.add(
      seeds.map((s) => ({ url: s.href, host: s.host, depth: 0, priority: 0 })),
    );
    if (spec.sitemaps) await frontier.addSitemapSources(seedOrigins(seeds));

    // Closed before the frontier and the database (closers run in reverse): its last
    // export rows and dedup verdicts are written first.
    const dedupIndex = createSqliteDedupIndex(database);
    closers.push(() => dedupIndex.close());
    const pipeline = createJobPipeline(spec, EMBEDDED_JOB_ID, { dedupIndex });
    if (pipeline !== undefined) closers.push(() => pipeline.close());

    const crawler = new Crawler(crawlerOptions(spec, spec.concurrency, EMBEDDED_IDLE_POLL_MS), {
      frontier,
      fetcher,
      parser,
      linkFilter,
      clock,
      log,
      ...(pipeline === undefined ? {} : { pipeline }),
      ...(baseline === undefined ? {} : { baseline }),
    });
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
