/**
 * Extraction cost per page on the real docs site, ours against the peers, in µs/page:
 *
 *   npx tsc -p tsconfig.json && node dist/bench/extract-pages.js
 *     [--real-doc openjdk-17-doc] [--pages 300] [--rounds 3] [--peer-pages 100]
 *
 * Ours: each format alone (every one includes the shared parse + index), markdown +
 * metadata + structured (the issue's target: well under 1 ms for a ~20 KB page), all
 * five. Peers: @mozilla/readability over linkedom, Readability + turndown, defuddle over
 * linkedom (with its Markdown), node-html-markdown and turndown on the whole page, and
 * htmlparser2's parse alone as the floor. Peers run on the first --peer-pages pages
 * (they are slow); the table reports µs per page either way. Pages are taken evenly
 * across the sorted file list so every kind of javadoc page is in the sample.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Readability } from '@mozilla/readability';
import { Defuddle } from 'defuddle/node';
import { parseDocument } from 'htmlparser2';
import { parseHTML } from 'linkedom';
import { NodeHtmlMarkdown } from 'node-html-markdown';
import TurndownService from 'turndown';
import { extractFields, type ExtractFormat } from '../src/extract/extract-fields.js';
import { DEFAULT_DOCS_SITE, DOCS_SITES } from './real-site/docs-site.js';
import { summarize } from './lib/summarize.js';

const { values } = parseArgs({
  options: {
    'real-doc': { type: 'string', default: DEFAULT_DOCS_SITE },
    pages: { type: 'string', default: '300' },
    'peer-pages': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});
const site = DOCS_SITES[values['real-doc']];
if (site === undefined) {
  console.error(`unknown --real-doc ${values['real-doc']}: ${Object.keys(DOCS_SITES).join(', ')}`);
  process.exit(2);
}
const all = execFileSync('find', ['-L', site.root, '-name', '*.html'], { maxBuffer: 64 << 20 })
  .toString()
  .trim()
  .split('\n')
  .filter((f) => f !== '')
  .sort();
if (all.length === 0) {
  console.error(`no pages under ${site.root}: apt-get install ${site.debianPackage}`);
  process.exit(2);
}
const want = Math.min(Number(values.pages), all.length);
const step = all.length / want;
const pages = Array.from({ length: want }, (_, i) => all[Math.floor(i * step)] as string).map(
  (f) => ({
    html: readFileSync(f, 'utf8'),
    url: `http://127.0.0.1:8080/${relative(site.root, f)}`,
  }),
);
// Every k-th page, so the peers see the same mix of small pages and multi-MB indexes.
const peerStride = Math.max(1, Math.ceil(pages.length / Number(values['peer-pages'])));
const peerPages = pages.filter((_, i) => i % peerStride === 0);
const rounds = Math.max(2, Number(values.rounds));
const kb = pages.reduce((n, p) => n + p.html.length, 0) / pages.length / 1024;

type Run = (html: string, url: string) => unknown;
// The peers are typed against the DOM lib, which this Node project does not load; linkedom's
// document is what they accept at runtime.
type PeerDocument = ConstructorParameters<typeof Readability>[0];
const ours =
  (formats: ExtractFormat[]): Run =>
  (html, url) =>
    extractFields(html, url, { formats });
const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced' });
const readability: Run = (html) => {
  const { document } = parseHTML(html);
  return new Readability(document as unknown as PeerDocument).parse();
};

const cases: {
  name: string;
  run: Run | ((html: string, url: string) => Promise<unknown>);
  peer: boolean;
}[] = [
  { name: 'htmlparser2 parseDocument (floor)', run: (html) => parseDocument(html), peer: false },
  { name: 'trawl markdown', run: ours(['markdown']), peer: false },
  { name: 'trawl text', run: ours(['text']), peer: false },
  { name: 'trawl metadata', run: ours(['metadata']), peer: false },
  { name: 'trawl structured', run: ours(['structured']), peer: false },
  { name: 'trawl links', run: ours(['links']), peer: false },
  {
    name: 'trawl markdown+metadata+structured',
    run: ours(['markdown', 'metadata', 'structured']),
    peer: false,
  },
  {
    name: 'trawl all five formats',
    run: ours(['markdown', 'metadata', 'structured', 'links', 'text']),
    peer: false,
  },
  { name: 'trawl markdown (peer pages)', run: ours(['markdown']), peer: true },
  {
    name: 'trawl markdown+metadata+structured (peer pages)',
    run: ours(['markdown', 'metadata', 'structured']),
    peer: true,
  },
  { name: 'readability (linkedom)', run: readability, peer: true },
  {
    name: 'readability + turndown',
    run: (html, url) => {
      const article = readability(html, url) as { content?: string | null } | null;
      return turndown.turndown(article?.content ?? '');
    },
    peer: true,
  },
  {
    name: 'defuddle (linkedom, markdown)',
    run: async (html, url) => {
      const { document } = parseHTML(html);
      return Defuddle(document as unknown as Parameters<typeof Defuddle>[0] & object, url, {
        markdown: true,
      });
    },
    peer: true,
  },
  {
    name: 'node-html-markdown (whole page)',
    run: (html) => NodeHtmlMarkdown.translate(html),
    peer: true,
  },
  { name: 'turndown (whole page, domino)', run: (html) => turndown.turndown(html), peer: true },
];

console.log(
  `${pages.length} pages of ${site.debianPackage} (mean ${kb.toFixed(1)} KB), peers on ${peerPages.length}; ${rounds} rounds, first is warm-up`,
);
// Rounds interleave the cases, so a noisy neighbour on a shared machine slows all alike.
const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const log = console.log;
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    const set = c.peer ? peerPages : pages;
    // Silence defuddle's and readability's console chatter while timing.
    console.log = () => {};
    const start = process.hrtime.bigint();
    for (const p of set) {
      const out = c.run(p.html, p.url);
      if (out instanceof Promise) await out;
    }
    const us = Number(process.hrtime.bigint() - start) / 1e3 / set.length;
    console.log = log;
    if (r > 0) times.get(c.name)?.push(us);
  }
  log(`round ${r}${r === 0 ? ' (warm-up)' : ''} done`);
}
// Per-page cost of the target combination, against page size: the mean above is
// dominated by javadoc's multi-MB index pages.
const target = ours(['markdown', 'metadata', 'structured']);
const perPage = pages
  .map((p) => {
    const start = process.hrtime.bigint();
    target(p.html, p.url);
    return { kb: p.html.length / 1024, us: Number(process.hrtime.bigint() - start) / 1e3 };
  })
  .sort((a, b) => a.kb - b.kb);
const at = (q: number): { kb: number; us: number } =>
  perPage[Math.floor(q * (perPage.length - 1))] as { kb: number; us: number };
for (const q of [0.25, 0.5, 0.75, 0.9]) {
  const near = perPage.filter((p) => Math.abs(p.kb - at(q).kb) <= at(q).kb * 0.2).map((p) => p.us);
  const s = summarize(near);
  log(
    `page size p${q * 100} ${at(q).kb.toFixed(1)} KB: markdown+metadata+structured ${s?.median.toFixed(0)} µs (median of ${near.length} pages within ±20 %)`,
  );
}
const rows = cases.map((c) => {
  const s = summarize(times.get(c.name) ?? []);
  return s === null
    ? `| ${c.name} | – | – |`
    : `| ${c.name} | ${s.median.toFixed(0)} | ${s.min.toFixed(0)}–${s.max.toFixed(0)} |`;
});
log(`\n| extractor | µs/page (median) | range |\n| --- | ---: | --- |\n${rows.join('\n')}`);
