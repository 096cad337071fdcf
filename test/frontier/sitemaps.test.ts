import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { discoverSitemapUrls } from '../../src/frontier/sitemaps.js';
import type { DiscoverSitemapOptions } from '../../src/frontier/sitemaps.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Site {
  origin: string;
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** Routes get the site's origin so documents can hold absolute URLs of the site itself. */
async function startSite(routes: (origin: string) => Record<string, Handler>): Promise<Site> {
  const hits = new Map<string, number>();
  let table = new Map<string, Handler>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = table.get(path);
    if (handler === undefined) res.writeHead(404).end();
    else handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  table = new Map(Object.entries(routes(origin)));
  return {
    origin,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const xml =
  (body: string): Handler =>
  (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/xml' }).end(body);

/** A `.xml.gz` file as servers send it: the bytes are gzip, no Content-Encoding. */
const gzipFile =
  (body: string | Buffer): Handler =>
  (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/gzip' })
      .end(Buffer.isBuffer(body) ? body : gzipSync(body));

const urlset = (...locs: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${locs
    .map((l) => `  <url><loc>${l}</loc><lastmod>2024-01-01</lastmod></url>`)
    .join('\n')}\n</urlset>\n`;

const sitemapIndex = (...locs: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${locs
    .map((l) => `  <sitemap><loc>${l}</loc></sitemap>`)
    .join('\n')}\n</sitemapindex>\n`;

const fetcher = new HttpFetcher({ userAgent: 'trawl-test/0.1', totalTimeoutMs: 10_000 });
after(() => fetcher.close());

function discover(site: Site, extra: Partial<DiscoverSitemapOptions> = {}): Promise<string[]> {
  return discoverSitemapUrls({
    origin: site.origin,
    fetch: (u, o) => fetcher.fetch(u, o),
    ...extra,
  });
}

describe('discoverSitemapUrls', () => {
  test('robots.txt index -> a plain and a gzipped sitemap -> their page URLs, in order', async () => {
    const site = await startSite((o) => ({
      '/sitemap_index.xml': xml(sitemapIndex(`${o}/sitemaps/pages.xml`, '/sitemaps/posts.xml.gz')),
      '/sitemaps/pages.xml': xml(
        [
          '<?xml version="1.0" encoding="UTF-8"?>',
          '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"',
          '        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">',
          `  <url><loc>\n     ${o}/about\n  </loc></url>`,
          `  <url><loc>${o}/search?q=a&amp;page=2</loc>`,
          `    <image:image><image:loc>${o}/img/logo.png</image:loc></image:image></url>`,
          `  <url><loc><![CDATA[${o}/cdata?x=1&y=2]]></loc></url>`,
          `  <url><loc>${o}/caf&#xE9;</loc></url>`,
          '  <url><loc>   </loc></url>',
          '</urlset>',
        ].join('\n'),
      ),
      '/sitemaps/posts.xml.gz': gzipFile(urlset(`${o}/posts/1`, `${o}/posts/2`, `${o}/about`)),
    }));
    try {
      const urls = await discover(site, { robotsSitemaps: [`${site.origin}/sitemap_index.xml`] });
      assert.deepEqual(urls, [
        `${site.origin}/about`,
        `${site.origin}/search?q=a&page=2`,
        `${site.origin}/cdata?x=1&y=2`,
        `${site.origin}/café`,
        `${site.origin}/posts/1`,
        `${site.origin}/posts/2`,
      ]);
      assert.equal(
        site.hits.get('/sitemap.xml'),
        undefined,
        'robots.txt sitemaps replace /sitemap.xml',
      );
    } finally {
      await site.close();
    }
  });

  test('without robots.txt sitemaps, /sitemap.xml is read', async () => {
    const site = await startSite((o) => ({ '/sitemap.xml': xml(urlset(`${o}/a`, `${o}/b`)) }));
    try {
      assert.deepEqual(await discover(site, { robotsSitemaps: [] }), [
        `${site.origin}/a`,
        `${site.origin}/b`,
      ]);
    } finally {
      await site.close();
    }
  });

  test('indexes that list each other are each read once', async () => {
    const site = await startSite((o) => ({
      '/a.xml': xml(sitemapIndex(`${o}/b.xml`, `${o}/a.xml`)),
      '/b.xml': xml(sitemapIndex(`${o}/a.xml#again`, `${o}/pages.xml`, `${o}/b.xml`)),
      '/pages.xml': xml(urlset(`${o}/page`)),
    }));
    try {
      const urls = await discover(site, { robotsSitemaps: [`${site.origin}/a.xml`] });
      assert.deepEqual(urls, [`${site.origin}/page`]);
      assert.deepEqual([...site.hits.values()], [1, 1, 1]);
    } finally {
      await site.close();
    }
  });

  test('maxUrls caps the result, across sitemaps', async () => {
    const pages = (from: number, o: string): string[] =>
      Array.from({ length: 30 }, (_, i) => `${o}/p/${from + i}`);
    const site = await startSite((o) => ({
      '/index.xml': xml(sitemapIndex('/one.xml', '/two.xml', '/three.xml')),
      '/one.xml': xml(urlset(...pages(0, o))),
      '/two.xml': xml(urlset(...pages(30, o))),
      '/three.xml': xml(urlset(...pages(60, o))),
    }));
    try {
      const urls = await discover(site, {
        robotsSitemaps: [`${site.origin}/index.xml`],
        maxUrls: 45,
      });
      assert.deepEqual(urls, [...pages(0, site.origin), ...pages(30, site.origin)].slice(0, 45));
      assert.equal(site.hits.get('/three.xml'), undefined, 'no fetch once the cap is reached');
    } finally {
      await site.close();
    }
  });

  test('maxSitemaps caps the files fetched, indexes included', async () => {
    const site = await startSite((o) => ({
      '/index.xml': xml(sitemapIndex('/s1.xml', '/s2.xml', '/s3.xml', '/s4.xml')),
      '/s1.xml': xml(urlset(`${o}/1`)),
      '/s2.xml': xml(urlset(`${o}/2`)),
      '/s3.xml': xml(urlset(`${o}/3`)),
      '/s4.xml': xml(urlset(`${o}/4`)),
    }));
    try {
      const urls = await discover(site, {
        robotsSitemaps: [`${site.origin}/index.xml`],
        maxSitemaps: 3,
      });
      assert.deepEqual(urls, [`${site.origin}/1`, `${site.origin}/2`]);
    } finally {
      await site.close();
    }
  });

  test('broken sitemaps are skipped, the others still count', async () => {
    const site = await startSite((o) => ({
      '/index.xml': xml(sitemapIndex('/missing.xml', '/corrupt.xml.gz', '/error.xml', '/good.xml')),
      '/corrupt.xml.gz': gzipFile(
        Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]),
      ),
      '/error.xml': (_req, res) => res.writeHead(500).end(urlset(`${o}/from-error-page`)),
      '/good.xml': xml(urlset(`${o}/good`)),
    }));
    try {
      const urls = await discover(site, {
        robotsSitemaps: ['not a url', 'mailto:x@y.z', `${site.origin}/index.xml`],
      });
      assert.deepEqual(urls, [`${site.origin}/good`]);
    } finally {
      await site.close();
    }
  });

  test('maxBytes caps the decompressed size of a gzipped sitemap', async () => {
    const all = Array.from({ length: 20_000 }, (_, i) => `https://example.org/page/${i}`);
    const site = await startSite(() => ({ '/big.xml.gz': gzipFile(urlset(...all)) }));
    try {
      const maxBytes = 64 * 1024;
      const urls = await discover(site, {
        robotsSitemaps: [`${site.origin}/big.xml.gz`],
        maxBytes,
      });
      assert.ok(urls.length > 100 && urls.length < 2000, `got ${urls.length}`);
      assert.deepEqual(urls, all.slice(0, urls.length));
    } finally {
      await site.close();
    }
  });
});
