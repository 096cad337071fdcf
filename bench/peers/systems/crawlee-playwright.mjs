// Crawlee's PlaywrightCrawler as a user would write it, on the system Chromium, for the
// browser benchmark (bench/browser/run-browser.ts):
//
//   node crawlee-playwright.mjs --out FILE --storage-dir DIR --concurrency N
//     [--chromium PATH] [--memory] [--content] [--max-pages N] URL...
//
// The same job as systems/crawlee.mjs (the CheerioCrawler peer): crawl from the start URL,
// same host only (enqueueLinks' default 'same-hostname' strategy), robots.txt obeyed, no
// delay, url + status + title of every page pushed to Crawlee's Dataset, then the dataset
// written to FILE as JSON lines so the harness can count what was delivered and check the
// titles (on the benchmark site a script sets the real title, so a right title means the
// page's script ran).
//
// What is set, and why (everything else is PlaywrightCrawler's default):
// - launchContext.launchOptions.executablePath: Debian's Chromium, the binary Trawl drives
//   (no browser is ever downloaded); headless, as Trawl runs it. chromiumSandbox: false, as
//   Trawl launches it (Chromium's sandbox needs user namespaces, which root in a container
//   lacks; Chromium refuses to start as root with it).
// - minConcurrency = maxConcurrency = N: N pages in flight, like Trawl's --concurrency N
//   (both keep N pages of one browser open at once). Left to its autoscaling, Crawlee
//   starts at 1 and scales by CPU and event-loop load; on 2 shared cores it rarely holds N.
// - browserPoolOptions.useFingerprints: false: by default Crawlee generates a browser
//   fingerprint per session and injects a script into every page to spoof it (navigator,
//   screen, WebGL); Trawl does no fingerprinting, so this would be work only one side does.
//   The session pool itself (on by default: a session per request, cookies kept per
//   session) is left on: it is Crawlee's ordinary request bookkeeping.
// - --memory: persistStorage: false (request queue and dataset in memory, not files under
//   ./storage), the faster of Crawlee's two storages in the CheerioCrawler runs; Trawl
//   keeps its crawl in SQLite on disk.
// - Left at Crawlee's defaults: a new page per request (closed after it), pages of a
//   browser in one shared context (useIncognitoPages: false), a new browser every 100
//   pages (retireBrowserAfterPageCount), page.goto's default waitUntil 'load' (Trawl's
//   default too), navigation timeout 60 s, nothing blocked (the site has no images,
//   fonts or media, which are what Trawl blocks), the blocked-page check after each page.
// - --content: also read the rendered document (page.content()) and record its length,
//   as Trawl does with every page (its record has the serialised DOM's hash and length):
//   an extra diagnostic row, not the default.
import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Configuration, PlaywrightCrawler, log } from '@crawlee/playwright';
import { chromium } from 'playwright';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    'storage-dir': { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    chromium: { type: 'string', default: '/usr/lib/chromium/chromium' },
    memory: { type: 'boolean', default: false },
    content: { type: 'boolean', default: false },
    'max-pages': { type: 'string' },
  },
  allowPositionals: true,
});
if (!values.out || !values['storage-dir'] || positionals.length === 0) {
  console.error(
    'usage: crawlee-playwright.mjs --out FILE --storage-dir DIR [--concurrency N] URL...',
  );
  process.exit(2);
}

mkdirSync(values['storage-dir'], { recursive: true });
process.chdir(values['storage-dir']);
log.setLevel(log.LEVELS.WARNING);

const concurrency = Number(values.concurrency);
const readContent = values.content;
const config = new Configuration({ persistStorage: !values.memory, purgeOnStart: true });
const crawler = new PlaywrightCrawler(
  {
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    respectRobotsTxtFile: true,
    headless: true,
    launchContext: {
      launcher: chromium,
      launchOptions: {
        executablePath: values.chromium,
        headless: true,
        chromiumSandbox: false,
      },
    },
    browserPoolOptions: { useFingerprints: false },
    ...(values['max-pages'] ? { maxRequestsPerCrawl: Number(values['max-pages']) } : {}),
    async requestHandler({ request, page, response, enqueueLinks, pushData }) {
      const title = (await page.title()).replace(/\s+/g, ' ').trim();
      const record = {
        url: request.loadedUrl ?? request.url,
        status: response?.status() ?? null,
        title,
      };
      if (readContent) record.contentLength = Buffer.byteLength(await page.content());
      await pushData(record);
      await enqueueLinks();
    },
    async failedRequestHandler({ request, response }, error) {
      await crawler.pushData({
        url: request.url,
        status: response?.status() ?? null,
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
