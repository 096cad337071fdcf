/**
 * The demo site's resources, built once in memory: home, about, the docs and the blog,
 * a Latin-1 page, a robots-disallowed area, two non-HTML files, broken links and one
 * redirect. Links are spelled the way real sites spell them (`../`, `./`, bare relative,
 * absolute, fragments, mailto:, javascript:, off-site).
 */
import { BROKEN_BLOG, blogPages } from './sample-blog.js';
import { BROKEN_DOCS, docsPages } from './sample-docs.js';
import { createTextSource, linkList, renderSamplePage } from './sample-layout.js';
import type { SamplePageSpec } from './sample-layout.js';
import { buildSamplePdf } from './sample-pdf.js';

export interface SampleResource {
  status: number;
  /** Content-Type header; null for redirects. */
  contentType: string | null;
  body: Buffer;
  /** Location header of a redirect. */
  location?: string;
}

/** What a crawl of the site should find; paths are absolute (`/docs/`). */
export interface SampleSiteFacts {
  /** HTML pages (status 200) reachable from `/` by links and allowed by robots.txt. */
  htmlPaths: string[];
  /** Non-HTML files (status 200) linked from pages. */
  filePaths: string[];
  /** Linked paths that answer 404. */
  brokenPaths: string[];
  redirects: { from: string; to: string; status: number }[];
  /** Linked HTML pages that robots.txt disallows (they answer 200 if fetched anyway). */
  disallowedPaths: string[];
  /** Off-site links a host-scoped crawl must not follow. */
  externalUrls: string[];
  /** The page encoded as ISO-8859-1, declared by `<meta charset>` only. */
  latin1Path: string;
}

export interface SampleSiteContent {
  /** By absolute path. robots.txt and sitemap.xml are not here: they name the origin. */
  resources: Map<string, SampleResource>;
  facts: SampleSiteFacts;
}

const HTML = 'text/html; charset=utf-8';
const EXTERNAL = 'https://example.com/';
const LATIN1 = '/intl/latin1.html';
const REDIRECTS = [{ from: '/start', to: '/docs/getting-started/installation.html', status: 301 }];

export function buildSampleSite(): SampleSiteContent {
  const text = createTextSource(20240601);
  const blog = blogPages(text);
  const docs = docsPages(
    text,
    blog.articles.map((a) => a.path),
  );
  const latest = blog.articles.slice(-5).reverse();

  const pages: SamplePageSpec[] = [
    {
      path: '/',
      titleHtml: 'Trawl sample site &#8212; docs, blog &amp; more',
      main:
        '<h1>Welcome to the Trawl sample site</h1>\n' +
        text.paragraphs(2) +
        linkList([
          { href: 'docs/getting-started/installation.html', text: 'Install' },
          { href: '/start', text: 'Quick start' },
          { href: 'docs/', text: 'Documentation' },
          { href: LATIN1, text: 'Deutsch (Latin-1)' },
          { href: '/private/', text: 'Team area' },
          { href: EXTERNAL, text: 'Our parent company' },
          { href: '/files/changelog.txt', text: 'Changelog' },
        ]) +
        '<h2>Latest posts</h2>\n' +
        linkList(latest.map((a) => ({ href: a.path.slice(1), text: a.titleHtml }))),
    },
    {
      path: '/about.html',
      titleHtml: 'About us &amp; contact',
      main:
        '<h1>About</h1>\n' +
        text.paragraphs(2) +
        '<h2>Topics</h2>\n' +
        linkList(blog.tags.map((t) => ({ href: `tags/${t}.html`, text: t }))) +
        '<p><a href="/private/salaries.html">Staff only</a> &middot; ' +
        '<a href="mailto:jobs@example.invalid">Jobs</a></p>\n',
    },
    ...docs,
    ...blog.pages,
  ];

  const resources = new Map<string, SampleResource>();
  for (const p of pages) resources.set(p.path, html(renderSamplePage(p)));

  // Latin-1: the bytes are ISO-8859-1 and only the meta tag says so.
  const latin1 = renderSamplePage({
    titleHtml: 'Café Münster: Größe &amp; Übersicht',
    head: '<meta charset="iso-8859-1">\n',
    main:
      '<h1>Grüße aus Münster</h1>\n<p>Ärger, Öl, Übermut, ß, é, ñ, ø, ¿, «», ±, ½.</p>\n' +
      linkList([{ href: '../docs/', text: 'Docs' }]),
  });
  resources.set(LATIN1, {
    status: 200,
    contentType: 'text/html',
    body: Buffer.from(latin1, 'latin1'),
  });

  // Disallowed by robots.txt, served anyway: a polite crawler never asks for them.
  resources.set(
    '/private/',
    html(
      renderSamplePage({
        titleHtml: 'Team area',
        main: linkList([{ href: 'salaries.html', text: 'Salaries' }]),
      }),
    ),
  );
  resources.set(
    '/private/salaries.html',
    html(renderSamplePage({ titleHtml: 'Salaries 2024', main: text.paragraphs(1) })),
  );

  const changelog = blog.articles
    .filter((_, k) => k % 5 === 0)
    .map((a, i) => `0.${i * 5} (${a.year}-06-01)\n  - ${a.slug.replace(/-/g, ' ')}\n`)
    .join('');
  resources.set('/files/changelog.txt', {
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    body: Buffer.from(changelog),
  });
  resources.set('/files/manual.pdf', {
    status: 200,
    contentType: 'application/pdf',
    body: buildSamplePdf('Trawl manual'),
  });
  for (const r of REDIRECTS) {
    resources.set(r.from, {
      status: r.status,
      contentType: null,
      body: Buffer.alloc(0),
      location: r.to,
    });
  }

  return {
    resources,
    facts: {
      htmlPaths: [...pages.map((p) => p.path), LATIN1],
      filePaths: ['/files/changelog.txt', '/files/manual.pdf'],
      brokenPaths: [...BROKEN_DOCS, BROKEN_BLOG],
      redirects: REDIRECTS.map((r) => ({ ...r })),
      disallowedPaths: ['/private/', '/private/salaries.html'],
      externalUrls: [EXTERNAL],
      latin1Path: LATIN1,
    },
  };
}

function html(doc: string): SampleResource {
  return { status: 200, contentType: HTML, body: Buffer.from(doc) };
}
