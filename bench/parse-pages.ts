/**
 * The parse worker's work alone — scan, title, link resolution, canonicalisation, scope
 * filter — over real pages read from disk, in µs per page. Crawl benchmarks on a shared
 * 2-core VM move ±15 % from run to run; this isolates the hot path so a change to it can
 * be measured against the build before it, alternating rounds in one process:
 *
 *   npm run build && node dist/bench/parse-pages.js [--real-doc openjdk-17-doc]
 *     [--pages 4000] [--rounds 6] [--compare /path/to/other/checkout/dist]
 *
 * `--compare` takes another build's dist directory (e.g. a `git worktree` of the previous
 * commit, compiled) and reports both, with the link counts, which must match.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DOCS_SITE, DOCS_SITES } from './real-site/docs-site.js';
import { summarize } from './lib/summarize.js';

interface Build {
  name: string;
  extract: (html: string, url: string) => number;
}

const { values } = parseArgs({
  options: {
    'real-doc': { type: 'string', default: DEFAULT_DOCS_SITE },
    pages: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '6' },
    compare: { type: 'string' },
  },
});
const site = DOCS_SITES[values['real-doc']];
if (site === undefined) {
  console.error(`unknown --real-doc ${values['real-doc']}: ${Object.keys(DOCS_SITES).join(', ')}`);
  process.exit(2);
}
const maxPages = Number(values.pages);
const rounds = Number(values.rounds);

// `find -L`: Debian installs the docs behind a symlink.
const files = execFileSync('find', ['-L', site.root, '-name', '*.html'], {
  maxBuffer: 64 << 20,
})
  .toString()
  .trim()
  .split('\n')
  .filter((f) => f !== '')
  .sort()
  .slice(0, maxPages);
if (files.length === 0) {
  console.error(`no pages under ${site.root}: apt-get install ${site.debianPackage}`);
  process.exit(2);
}
// Read as latin1, as the crawler's worker scans bytes (src/parse/charset.ts).
const pages = files.map((f) => ({
  html: readFileSync(f, 'latin1'),
  url: `http://127.0.0.1:8080/${relative(site.root, f)}`,
}));

const ownDist = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const builds = [await loadBuild('this build', ownDist)];
if (values.compare !== undefined) builds.unshift(await loadBuild('compared', values.compare));

const times = new Map<string, number[]>(builds.map((b) => [b.name, []]));
const links = new Map<string, number>();
console.log(`${pages.length} pages of ${site.debianPackage}, ${rounds} rounds`);
for (let r = 0; r < rounds; r++) {
  // Alternate the order so neither build always runs on a warmer machine.
  const order = r % 2 === 0 ? builds : [...builds].reverse();
  for (const b of order) {
    let count = 0;
    const start = process.hrtime.bigint();
    for (const p of pages) count += b.extract(p.html, p.url);
    const us = Number(process.hrtime.bigint() - start) / 1e3 / pages.length;
    // Round 0 warms the JIT up: reported, not counted.
    if (r > 0) times.get(b.name)?.push(us);
    links.set(b.name, count);
    console.log(`  round ${r}${r === 0 ? ' (warm-up)' : ''} ${b.name}: ${us.toFixed(1)} µs/page`);
  }
}
for (const b of builds) {
  const s = summarize(times.get(b.name) ?? []);
  if (s === null) continue;
  console.log(
    `${b.name}: ${s.median.toFixed(1)} µs/page median (${s.min.toFixed(1)}–${s.max.toFixed(1)}), ` +
      `${links.get(b.name)} links kept`,
  );
}

async function loadBuild(name: string, dist: string): Promise<Build> {
  const mod = (path: string): string => pathToFileURL(join(dist, path)).href;
  // The compared build is another checkout's output: typed by its shape, not imported types.
  const { extractPage } = (await import(mod('src/parse/extract-page.js'))) as {
    extractPage: (html: string, url: string, ctx: object) => { links: string[] };
  };
  const { createLinkFilter } = (await import(mod('src/core/url/link-filter.js'))) as {
    createLinkFilter: (spec: object) => unknown;
  };
  const ctx = {
    filter: createLinkFilter({
      scope: 'host',
      seedHosts: ['127.0.0.1:8080'],
      include: [],
      exclude: [],
    }),
    respectNofollow: false,
  };
  return { name, extract: (html, url) => extractPage(html, url, ctx).links.length };
}
