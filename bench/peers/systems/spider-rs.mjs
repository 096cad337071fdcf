// spider-rs (the Rust crawler engine, through its Node bindings) as a user would drive it,
// for bench/peers:
//
//   node spider-rs.mjs --out FILE [--delay-ms MS] [--max-pages N] URL
//
// Same host only (no subdomains, no TLD variants), robots.txt obeyed, url + title of every
// page that reaches the page callback appended to FILE as JSON lines. crawl() with a
// callback rather than scrape(): scrape() also keeps every page in memory.
//
// The binding (0.0.157) exposes no concurrency setting: the engine picks its own.
// Titles are read from the HTML here (regex + the `entities` decoder) because the
// binding's pageTitle() leaves entities such as &amp; undecoded.
import { openSync, writeSync, closeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Website } from '@spider-rs/spider-rs';
import { decodeHTML } from 'entities';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string' },
    'delay-ms': { type: 'string', default: '0' },
    'max-pages': { type: 'string' },
  },
  allowPositionals: true,
});
if (!values.out || positionals.length !== 1) {
  console.error('usage: spider-rs.mjs --out FILE [--delay-ms MS] URL');
  process.exit(2);
}

const TITLE = /<title[^>]*>([\s\S]*?)<\/title>/i;
const out = openSync(values.out, 'w');
let buffered = [];
const flush = () => {
  if (buffered.length === 0) return;
  writeSync(out, buffered.join(''));
  buffered = [];
};

let website = new Website(positionals[0])
  .withRespectRobotsTxt(true)
  .withSubdomains(false)
  .withTld(false);
const delayMs = Number(values['delay-ms']);
if (delayMs > 0) website = website.withDelay(delayMs);
if (values['max-pages']) website = website.withBudget({ '*': Number(values['max-pages']) });
website = website.build();

await website.crawl((err, page) => {
  if (err || !page) return;
  const m = TITLE.exec(page.content ?? '');
  const title = m ? decodeHTML(m[1]).replace(/\s+/g, ' ').trim() : null;
  buffered.push(JSON.stringify({ url: page.url, status: page.statusCode, title }) + '\n');
  if (buffered.length >= 256) flush();
});
flush();
closeSync(out);
// The engine keeps the process alive for ~30 s after crawl() resolves (its runtime and
// connection pool linger): the crawl is over and its output written, so end here.
process.exit(0);
