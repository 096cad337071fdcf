/**
 * The demo site's docs: an index listing every page, and 8 sections × 15 pages linked
 * with `../`, `./` and bare relative hrefs, a few broken links and a PDF.
 */
import { linkList } from './sample-layout.js';
import type { SampleLink, SamplePageSpec, TextSource } from './sample-layout.js';

export const SECTIONS: readonly (readonly [slug: string, titleHtml: string])[] = [
  ['getting-started', 'Getting started'],
  ['configuration', 'Configuration'],
  ['crawling', 'Crawling'],
  ['politeness', 'Politeness &amp; robots'],
  ['storage', 'Storage'],
  ['extraction', 'Extraction'],
  ['operations', 'Operations'],
  ['reference', 'Reference'],
];
export const TOPICS: readonly (readonly [slug: string, titleHtml: string])[] = [
  ['installation', 'Installation'],
  ['first-crawl', 'Your first crawl'],
  ['seeds', 'Seeds &amp; start URLs'],
  ['scope', 'Scope: host, domain &amp; any'],
  ['timeouts', 'Timeouts &#8212; connect, headers, body'],
  ['retries', 'Retries &amp; back-off'],
  ['concurrency', 'Concurrency'],
  ['delays', 'Per-host delays'],
  ['robots', 'robots.txt &amp; &lt;meta name=robots&gt;'],
  ['sitemaps', 'Sitemaps'],
  ['redirects', 'Redirects'],
  ['charsets', 'Character sets &#8212; UTF-8, Latin-1 &amp; more'],
  ['output', 'Output formats: JSONL &amp; CSV'],
  ['resuming', 'Pausing&nbsp;and resuming'],
  ['limits', 'Limits &#8212; pages, depth, bytes'],
];

/** Linked from docs pages, never served: they answer 404. */
export const BROKEN_DOCS = [
  '/docs/reference/deprecated-api.html',
  '/docs/crawling/old-scheduler.html',
];

/** `/docs/<section>/<topic>.html` of section s, topic t (indexes wrap around). */
export function docPath(s: number, t: number): string {
  const section = SECTIONS[s % SECTIONS.length] as readonly [string, string];
  const topic = TOPICS[t % TOPICS.length] as readonly [string, string];
  return `/docs/${section[0]}/${topic[0]}.html`;
}

/** The index and every docs page; `articlePaths` are blog posts the pages may cite. */
export function docsPages(text: TextSource, articlePaths: string[]): SamplePageSpec[] {
  const pages: SamplePageSpec[] = [];
  const random = (n: number): number => Math.floor(text.next() * n);
  // From /docs/<section>/x.html, "../<rest>" names /docs/<rest>.
  const sibling = (path: string): string => `..${path.slice('/docs'.length)}`;

  let index = '<h1>Documentation</h1>\n<p><a href="/start">Quick start</a></p>\n';
  for (const [sec, secTitle] of SECTIONS) {
    index += `<h2 id="${sec}">${secTitle}</h2>\n`;
    index += linkList(
      TOPICS.map(([topic, title]) => ({ href: `${sec}/${topic}.html`, text: title })),
    );
  }
  pages.push({ path: '/docs/', titleHtml: 'Documentation | Trawl', main: index });

  SECTIONS.forEach(([sec, secTitle], s) => {
    TOPICS.forEach(([topic, title], t) => {
      const links: SampleLink[] = [{ href: '../', text: 'All docs' }];
      const prev = TOPICS[t - 1];
      const next = TOPICS[t + 1];
      if (prev) links.push({ href: `./${prev[0]}.html`, text: 'Previous' });
      if (next) links.push({ href: `${next[0]}.html`, text: 'Next' });
      else if (s < SECTIONS.length - 1)
        links.push({ href: sibling(docPath(s + 1, 0)), text: 'Next section' });
      for (let r = 0; r < 2; r++) {
        links.push({
          href: sibling(docPath(random(SECTIONS.length), random(TOPICS.length))),
          text: 'Related',
        });
      }
      links.push({
        href: `../..${articlePaths[random(articlePaths.length)]}`,
        text: 'From the blog',
      });
      links.push({ href: '#examples', text: 'Examples' });
      if (sec === 'reference' && t < 3)
        links.push({ href: './deprecated-api.html', text: 'Old API' });
      if (sec === 'crawling' && topic === 'retries') {
        links.push({ href: '/docs/crawling/old-scheduler.html', text: 'Old scheduler' });
      }
      if (sec === 'getting-started' && topic === 'installation') {
        links.push({ href: '/files/manual.pdf', text: 'Manual (PDF)' });
      }
      if (sec === 'operations')
        links.push({ href: '../../files/changelog.txt', text: 'Changelog' });
      pages.push({
        path: docPath(s, t),
        titleHtml: `${title} &middot; ${secTitle} | Trawl docs`,
        main:
          `<h1>${title}</h1>\n` +
          text.paragraphs(2) +
          '<h2 id="examples">Examples</h2>\n' +
          '<pre><code>trawl crawl https://example.com --out pages.jsonl</code></pre>\n' +
          text.paragraphs(1) +
          linkList(links),
      });
    });
  });
  return pages;
}
