/**
 * Ceiling 2: the simplest crawler that follows the same rules as every benchmarked system.
 * One thread; undici with N requests in flight on keep-alive connections; htmlparser2
 * callbacks for <title> and <a href>; a Set of URLs (fragment dropped) for dedup; same
 * origin only; robots.txt fetched once per origin and obeyed; `{url, status, title}` lines
 * written as pages arrive. No retries, no persistence, no politeness: what remains is the
 * cost of fetching and parsing, the floor a full crawler's overhead is measured against.
 *
 *   node dist/bench/peers/ceilings/minimal-crawler.js --out FILE [--concurrency 32]
 *     [--max-pages N] URL...
 *
 * Also used unmeasured, once, to list the real site's reachable pages for the other ceiling.
 */
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Parser } from 'htmlparser2';
import { Agent, request } from 'undici';

const USER_AGENT = 'Mozilla/5.0 (compatible; trawl-bench-minimal/0.1)';

interface Robots {
  isAllowed(url: string, userAgent?: string): boolean | undefined;
}
// robots-parser is CommonJS (`module.exports = fn`); its typings claim an ES default export.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (
  url: string,
  text: string,
) => Robots;

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    'max-pages': { type: 'string' },
  },
  allowPositionals: true,
});
if (!values.out || positionals.length === 0) {
  console.error('usage: minimal-crawler --out FILE [--concurrency N] URL...');
  process.exit(2);
}
const concurrency = Number(values.concurrency);
const maxPages = values['max-pages'] ? Number(values['max-pages']) : Infinity;
const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
const out = createWriteStream(values.out);
const headers = { 'user-agent': USER_AGENT };

const robots = new Map<string, Robots>();
const seen = new Set<string>();
const queue: string[] = [];
let head = 0;
let taken = 0;

for (const start of positionals) {
  const url = new URL(start);
  url.hash = '';
  if (!robots.has(url.origin)) robots.set(url.origin, await fetchRobots(url.origin));
  enqueue(url.href);
}

// Lanes stop when the queue is empty and nothing is in flight that could refill it.
let inFlight = 0;
let wake: (() => void) | null = null;
await Promise.all(Array.from({ length: concurrency }, lane));
await new Promise<void>((resolve) => out.end(resolve));
await agent.close();

async function lane(): Promise<void> {
  for (;;) {
    if (head < queue.length && taken < maxPages) {
      const url = queue[head++] as string;
      taken++;
      inFlight++;
      await crawl(url);
      inFlight--;
      wake?.();
    } else if (inFlight === 0 || taken >= maxPages) {
      wake?.();
      return;
    } else {
      await new Promise<void>((resolve) => {
        const prev = wake;
        wake = () => {
          wake = null;
          prev?.();
          resolve();
        };
      });
    }
  }
}

async function crawl(url: string): Promise<void> {
  let status: number | null = null;
  let title: string | null = null;
  let html = false;
  try {
    const res = await request(url, { dispatcher: agent, headers });
    status = res.statusCode;
    const type = String(res.headers['content-type'] ?? '');
    if (status === 200 && type.includes('html')) {
      html = true;
      const parsed = parse(await res.body.text(), url);
      title = parsed.title;
      for (const link of parsed.links) enqueue(link);
    } else {
      await res.body.dump();
      const location = res.headers.location;
      if (status >= 300 && status < 400 && typeof location === 'string') {
        enqueue(new URL(location, url).href);
      }
    }
  } catch (err) {
    out.write(JSON.stringify({ url, status, title, error: (err as Error).message }) + '\n');
    return;
  }
  out.write(JSON.stringify({ url, status, title, html }) + '\n');
}

function parse(html: string, base: string): { title: string | null; links: string[] } {
  let title: string | null = null;
  let inTitle = false;
  let titleText = '';
  const links: string[] = [];
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'a' && attrs.href !== undefined) links.push(attrs.href);
      else if (name === 'title' && title === null) inTitle = true;
    },
    ontext(text) {
      if (inTitle) titleText += text;
    },
    onclosetag(name) {
      if (name === 'title' && inTitle) {
        inTitle = false;
        title = titleText.replace(/\s+/g, ' ').trim();
      }
    },
  });
  parser.end(html);
  const resolved: string[] = [];
  for (const href of links) {
    try {
      resolved.push(new URL(href, base).href);
    } catch {
      // not a URL: skip
    }
  }
  return { title, links: resolved };
}

function enqueue(href: string): void {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return;
  }
  const rules = robots.get(url.origin);
  if (rules === undefined) return; // another origin: same host only
  url.hash = '';
  const key = url.href;
  if (seen.has(key)) return;
  seen.add(key);
  if (rules.isAllowed(key, USER_AGENT) === false) return;
  queue.push(key);
}

async function fetchRobots(origin: string): Promise<Robots> {
  const robotsUrl = `${origin}/robots.txt`;
  try {
    const res = await request(robotsUrl, { dispatcher: agent, headers });
    const text = await res.body.text();
    return robotsParser(robotsUrl, res.statusCode === 200 ? text : '');
  } catch {
    return robotsParser(robotsUrl, '');
  }
}
