/**
 * A small site with real page structure for scrape and map tests: an article page with
 * navigation, main content, a footer, metadata and relative links; a robots.txt that
 * disallows /private and names a sitemap; a redirect, a 404 page, a page with a corrupt
 * gzip body (a fetch that fails for good, without retries) and a page that answers late.
 */
import { html, startTestServer, type TestServer } from './http-server.js';

export interface ContentSite {
  server: TestServer;
  origin: string;
  /** The exact body of /article. */
  articleHtml: string;
  url(path: string): string;
  close(): Promise<void>;
}

const ARTICLE_TEXT =
  'Bottom trawling drags a weighted net along the sea floor, catching everything in its path.';

function article(): string {
  return `<!doctype html><html lang="en"><head><title>The Article</title>
<meta name="description" content="All about trawling">
<meta property="og:title" content="Trawling, explained">
<meta property="og:site_name" content="Content Site">
<script>window.tracking = true;</script></head>
<body><nav><a href="/">Home</a> <a href="/docs/intro">Docs navigation</a></nav>
<main><article><h1>Deep Sea Trawling</h1>
<p>${ARTICLE_TEXT}</p>
<p>See the <a href="/docs/intro">introduction</a> and the <a href="docs/guide">guide</a>.</p>
<img src="/img/net.png" alt="a net">
</article></main>
<footer>Copyright footer text</footer></body></html>`;
}

const simple = (title: string, links: string[] = []): string =>
  `<!doctype html><html><head><title>${title}</title></head><body><main><h1>${title}</h1><p>${title} is a page of the content site, with enough text to be content.</p>${links
    .map((l) => `<a href="${l}">${l}</a>`)
    .join(' ')}</main></body></html>`;

export async function startContentSite(): Promise<ContentSite> {
  const articleHtml = article();
  const server = await startTestServer((req, res, s) => {
    const path = (req.url ?? '/').split('?')[0]!;
    switch (path) {
      case '/robots.txt':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`User-agent: *\nDisallow: /private\nSitemap: ${s.origin}/sitemap.xml\n`);
      case '/sitemap.xml':
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(
          `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${[
            '/article',
            '/docs/intro',
            '/docs/guide',
            '/blog/news',
          ]
            .map((p) => `<url><loc>${s.origin}${p}</loc></url>`)
            .join('')}</urlset>`,
        );
      case '/':
        return html(
          res,
          `<!doctype html><html><head><title>Home</title></head><body><main><h1>Home</h1><p>The home page of the content site, linking to everything.</p>
<a href="/article">The article</a> <a href="/docs/intro">Docs intro</a> <a href="/missing">Missing page</a>
<a href="/private/secret">Secret</a> <a href="/about">About us</a> <a href="/broken">Broken</a></main></body></html>`,
        );
      case '/article':
        return html(res, articleHtml);
      case '/docs/intro':
        return html(res, simple('Docs intro', ['/docs/guide']));
      case '/docs/guide':
        return html(res, simple('Docs guide', ['/docs/intro']));
      case '/blog/news':
        return html(res, simple('Blog news'));
      case '/about':
        return html(res, simple('About'));
      case '/private/secret':
        return html(res, simple('Secret'));
      case '/redirect':
        res.writeHead(302, { location: '/article' });
        return res.end();
      case '/broken':
        // Claims gzip, is not: the fetch fails with bad_encoding (not retried).
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        return res.end('this is not gzip at all');
      case '/slow':
        setTimeout(() => html(res, simple('Slow')), 3_000).unref();
        return;
      default:
        return html(res, simple('Not found'), 404);
    }
  });
  return {
    server,
    origin: server.origin,
    articleHtml,
    url: (path) => `${server.origin}${path}`,
    close: () => server.close(),
  };
}

export { ARTICLE_TEXT };
