// Crawlee's CheerioCrawler as a user would write it, for bench/peers:
//
//   node crawlee.mjs --out FILE --storage-dir DIR --concurrency N [--delay-ms MS]
//     [--memory] [--max-pages N] URL...
//
// Same host only (enqueueLinks' default 'same-hostname' strategy), robots.txt obeyed,
// url + title pushed to Crawlee's Dataset (its own storage: on disk by default, in memory
// with --memory, i.e. persistStorage: false), then the dataset written to FILE as JSON
// lines so the harness can count what was delivered.
//
// Concurrency is pinned (minConcurrency = maxConcurrency): left to its autoscaling,
// CheerioCrawler keeps only ~14–20 requests in flight whatever maxConcurrency says.
// maxRequestsPerCrawl stays unset for full crawls: set to the page count it trims found
// links to the budget before deduplicating them and misses pages.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CheerioCrawler, Configuration, log } from '@crawlee/cheerio';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    'storage-dir': { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    'delay-ms': { type: 'string', default: '0' },
    memory: { type: 'boolean', default: false },
    'max-pages': { type: 'string' },
  },
  allowPositionals: true,
});
if (!values.out || !values['storage-dir'] || positionals.length === 0) {
  console.error('usage: crawlee.mjs --out FILE --storage-dir DIR [--concurrency N] URL...');
  process.exit(2);
}

// Crawlee keeps its storage under ./storage: give every run its own.
mkdirSync(values['storage-dir'], { recursive: true });
process.chdir(values['storage-dir']);
log.setLevel(log.LEVELS.WARNING);

const concurrency = Number(values.concurrency);
const delayMs = Number(values['delay-ms']);
const config = new Configuration({ persistStorage: !values.memory, purgeOnStart: true });
const crawler = new CheerioCrawler(
  {
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    respectRobotsTxtFile: true,
    sameDomainDelaySecs: delayMs / 1000,
    ...(values['max-pages'] ? { maxRequestsPerCrawl: Number(values['max-pages']) } : {}),
    async requestHandler({ request, response, $, enqueueLinks, pushData }) {
      const title = $('title').first().text().replace(/\s+/g, ' ').trim();
      await pushData({ url: request.loadedUrl ?? request.url, status: response.statusCode, title });
      await enqueueLinks();
    },
    async failedRequestHandler({ request, response }, error) {
      await crawler.pushData({
        url: request.url,
        status: response?.statusCode ?? null,
        title: null,
        error: String(error?.message ?? error).slice(0, 200),
      });
    },
  },
  config,
);

await crawler.run(positionals);
const { items } = await crawler.getData();
writeFileSync(
  values.out,
  items.map((item) => JSON.stringify(item)).join('\n') + (items.length ? '\n' : ''),
);
