/**
 * The synthetic site (bench/site) as a site under test: a fresh server process per run,
 * counted by its /__stats endpoint, and outputs checked against the site model (every page
 * and its exact decoded title).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { readCrawlOutput } from '../../lib/read-crawl-output.js';
import { startSiteProcess } from '../../lib/site-process.js';
import { createSiteModel } from '../../site/site-model.js';
import type { OutputCounts, SiteUnderTest } from '../site-under-test.js';

export interface SyntheticSiteOptions {
  pages: number;
  /** @default 1 */
  seed?: number;
  /** Where the page list for the raw-GET ceiling is written. */
  workDir: string;
  /** @default 'synthetic' */
  name?: string;
}

export async function createSyntheticSite(options: SyntheticSiteOptions): Promise<SiteUnderTest> {
  const { pages } = options;
  const seed = options.seed ?? 1;
  const model = createSiteModel({ pages, seed });
  const name = options.name ?? 'synthetic';
  const pathsFile = join(options.workDir, `${name}-paths.txt`);
  const paths = createWriteStream(pathsFile);
  for (let i = 0; i < pages; i++) {
    if (!paths.write(model.pathOf(i) + '\n')) await once(paths, 'drain');
  }
  await new Promise<void>((resolve, reject) => paths.end(() => resolve()).once('error', reject));

  return {
    name,
    describe: {
      kind: 'synthetic',
      pages,
      seed,
      pageBytes: '15–25 KB',
      linksPerPage: '~30',
      server: 'bench/site/serve (node:http, in memory, keep-alive, one process)',
    },
    expectedPages: pages,
    pathsFile,
    start: async () => {
      const site = await startSiteProcess({ pages, seed });
      return {
        startUrls: [`${site.url}/`],
        origin: site.url,
        serverPids: () => [site.pid],
        stop: async () => {
          const s = await site.stats();
          await site.stop();
          return {
            requests: s.requests,
            pages: s.uniquePages,
            repeats: s.repeatPageHits,
            robots: s.byClass.robots,
            notFound: s.byClass.notFound,
            bytes: s.bytes,
          };
        },
      };
    },
    checkOutput: async (file, titles): Promise<OutputCounts | null> => {
      const c = await readCrawlOutput(file, model);
      if (c === null) return null;
      return {
        lines: c.lines,
        ok200: c.ok200,
        distinctPages: c.distinctPages,
        foreign: c.foreign,
        resources: 0,
        titleMismatches: titles ? c.titleMismatches : null,
        mismatchExample: titles ? (c.mismatchExamples[0] ?? null) : null,
        withTitle: null,
        unparsable: c.unparsable,
      };
    },
  };
}
