// Crawlee's CheerioCrawler as a user would write it, for bench/peers:
//
//   node crawlee.mjs --out FILE --storage-dir DIR --concurrency N [--delay-ms MS]
//     [--memory] [--markdown] [--max-pages N] URL...
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
//
// --markdown (the crawlee-markdown row, against Trawl's --extract markdown): each page's
// main content also goes through turndown, the HTML-to-Markdown converter Crawlee users
// reach for (and faster than node-html-markdown on Javadoc: whole java.util pages of
// ~53 KB took ~33 vs ~120 ms each), and the record carries `markdown` and `contentType`. What is
// converted is a user's approximation of main content, done with the page's own cheerio
// tree after the links are enqueued: script, style, nav, header, footer and aside
// removed, then <main> if the page has one, else <body>. Less HTML than the whole page,
// so the comparison errs in Crawlee's favour. Records are written to FILE one at a time:
// joined into one string, 10,000 pages of Markdown come near V8's string length limit.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CheerioCrawler, Configuration, log } from '@crawlee/cheerio';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    'storage-dir': { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    'delay-ms': { type: 'string', default: '0' },
    memory: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
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
// Imported only when asked for, so the plain rows load exactly what they always did.
const turndown = values.markdown ? await markdownConverter() : null;
const crawler = new CheerioCrawler(
  {
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    respectRobotsTxtFile: true,
    sameDomainDelaySecs: delayMs / 1000,
    ...(values['max-pages'] ? { maxRequestsPerCrawl: Number(values['max-pages']) } : {}),
    async requestHandler({ request, response, $, enqueueLinks, pushData }) {
      const title = $('title').first().text().replace(/\s+/g, ' ').trim();
      if (turndown) {
        // Links first: removing nav and header below would take theirs with them.
        await enqueueLinks();
        $('script, style, noscript, template, nav, header, footer, aside').remove();
        const main = $('main').first();
        const html = (main.length > 0 ? main : $('body')).html() ?? '';
        await pushData({
          url: request.loadedUrl ?? request.url,
          status: response.statusCode,
          title,
          contentType: response.headers['content-type'] ?? null,
          markdown: turndown.turndown(html),
        });
        return;
      }
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
if (values.markdown) {
  const fd = openSync(values.out, 'w');
  for (const item of items) writeSync(fd, JSON.stringify(item) + '\n');
  closeSync(fd);
} else {
  writeFileSync(
    values.out,
    items.map((item) => JSON.stringify(item)).join('\n') + (items.length ? '\n' : ''),
  );
}

/** turndown as a user would set it up for LLM-ready text: ATX headings, fenced code. */
async function markdownConverter() {
  const { default: TurndownService } = await import('turndown');
  return new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced' });
}
