/**
 * The browser benchmark's site: pages whose content and links a script adds, so only a
 * crawler that runs JavaScript finds them, and (for `--engine auto`) a mixed site where
 * most pages are plain HTML and a share, under `/app/`, needs the script.
 *
 * - A **script page** (`/app/N.html`) is served with a placeholder title ("Loading…"), a
 *   short static intro (~350 characters of text, so it is no empty shell) and its data in
 *   `<script type="application/json">`; `/static/app.js` (deferred, so it runs before the
 *   `load` event) builds the heading, the paragraphs and every link from it, and sets the
 *   real title last. Its links are nowhere in the served HTML as `<a href>`.
 * - A **static page** (`/docs/N.html`) has the same title, text and links in the served
 *   HTML, and loads a small `/static/analytics.js` that changes nothing visible.
 * - Page 0 is `/` (static on the mixed site, a script page when every page is one).
 *
 * Page i links to i+1 (so every page is reachable) and to LINKS-1 other pages chosen
 * from a seeded generator, plus one stylesheet. Everything is generated from (pages,
 * scriptShare, seed); a page is rendered when asked (a few µs), nothing is cached.
 *
 * A crawler found page i's content when its record has status 200 and title
 * `titleOf(i)`: on a script page that title exists only once the script has run to its
 * end.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRandom as random } from '../site/random.js';

export interface JsSiteOptions {
  pages: number;
  /** Share of pages (1 … pages-1) that are script pages; 1 = all, page 0 included. */
  scriptShare: number;
  /** @default 1 */
  seed?: number;
}

export interface JsSiteModel {
  pages: number;
  scriptShare: number;
  seed: number;
  isScript(i: number): boolean;
  pathOf(i: number): string;
  /** The page a path names, or null. Query and fragment must be stripped first. */
  pageAt(path: string): number | null;
  titleOf(i: number): string;
  linksOf(i: number): number[];
  /** Script pages among all pages. */
  scriptPages: number;
}

/** Links per page (the next page and LINKS-1 others). */
const LINKS = 16;
const PARAGRAPHS = 8;
const WORDS = (
  'crawler frontier politeness latency throughput queue host robots sitemap canonical ' +
  'fragment anchor parser buffer socket stream token header status redirect archive ' +
  'index document section chapter figure table summary detail data river mountain ' +
  'lantern harbour meadow orchard quiet bright careful rapid gentle steady patient modest'
).split(' ');

export function createJsSiteModel(options: JsSiteOptions): JsSiteModel {
  const { pages } = options;
  const seed = options.seed ?? 1;
  const share = Math.min(1, Math.max(0, options.scriptShare));
  if (!Number.isInteger(pages) || pages < 2) throw new Error('pages must be an integer ≥ 2');
  // Which pages are script pages: a seeded shuffle, so the share is exact and spread out.
  const script = new Uint8Array(pages);
  if (share >= 1) script.fill(1);
  else {
    const order = Array.from({ length: pages - 1 }, (_, k) => k + 1);
    const rnd = random(seed * 7919 + 13);
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(rnd() * (k + 1));
      [order[k], order[j]] = [order[j] as number, order[k] as number];
    }
    const n = Math.round(share * (pages - 1));
    for (let k = 0; k < n; k++) script[order[k] as number] = 1;
  }
  let scriptPages = 0;
  for (const s of script) scriptPages += s;
  const isScript = (i: number): boolean => script[i] === 1;
  const pathOf = (i: number): string =>
    i === 0 ? '/' : isScript(i) ? `/app/${i}.html` : `/docs/${i}.html`;
  return {
    pages,
    scriptShare: share,
    seed,
    scriptPages,
    isScript,
    pathOf,
    pageAt(path) {
      if (path === '/') return 0;
      const m = /^\/(app|docs)\/(\d+)\.html$/.exec(path);
      if (m === null) return null;
      const i = Number(m[2]);
      if (!(i > 0 && i < pages) || String(i) !== m[2]) return null;
      return (m[1] === 'app') === isScript(i) ? i : null;
    },
    titleOf: (i) => `Page ${i} of ${pages} (${isScript(i) ? 'script' : 'static'})`,
    linksOf(i) {
      const rnd = random(seed * 1_000_003 + i);
      const out = [(i + 1) % pages];
      while (out.length < LINKS) out.push(Math.floor(rnd() * pages));
      return out;
    },
  };
}

export interface JsSiteStats {
  requests: number;
  /** Distinct pages requested at least once. */
  uniquePages: number;
  /** Requests for a page already served. */
  repeatPageHits: number;
  scriptPageHits: number;
  staticPageHits: number;
  /** /static/app.js, /static/analytics.js, /static/site.css. */
  assetHits: number;
  robots: number;
  notFound: number;
}

export interface JsSiteServer {
  url: string;
  model: JsSiteModel;
  stats(): JsSiteStats;
  resetStats(): void;
  close(): Promise<void>;
}

const APP_JS = `(function () {
  var data = JSON.parse(document.getElementById('page-data').textContent);
  var main = document.getElementById('app');
  var h1 = document.createElement('h1');
  h1.textContent = data.title;
  main.appendChild(h1);
  var next = 0;
  for (var p = 0; p < data.paragraphs.length; p++) {
    var para = document.createElement('p');
    para.textContent = data.paragraphs[p];
    main.appendChild(para);
    var box = document.createElement('p');
    box.className = 'related';
    box.appendChild(document.createTextNode('Related: '));
    for (var k = 0; k < 2 && next < data.links.length; k++, next++) {
      var a = document.createElement('a');
      a.href = data.links[next].href;
      a.textContent = data.links[next].text;
      box.appendChild(a);
      box.appendChild(document.createTextNode(' '));
    }
    main.appendChild(box);
  }
  for (; next < data.links.length; next++) {
    var more = document.createElement('a');
    more.href = data.links[next].href;
    more.textContent = data.links[next].text;
    main.appendChild(more);
  }
  document.title = data.title;
})();
`;
const ANALYTICS_JS = `document.documentElement.setAttribute('data-seen', String(Date.now()));\n`;
const SITE_CSS = `body{font:16px/1.5 sans-serif;max-width:48em;margin:auto}.related a{margin-right:.5em}\n`;
const ROBOTS = 'User-agent: *\nDisallow:\n';

export async function startJsSite(
  options: JsSiteOptions & { host?: string; port?: number },
): Promise<JsSiteServer> {
  const model = createJsSiteModel(options);
  const pool = paragraphPool(model.seed);
  let hits = new Uint32Array(model.pages);
  let stats = zeroStats();

  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    stats.requests++;
    const bytes = Buffer.from(body);
    res.writeHead(status, {
      'content-type': type,
      'content-length': bytes.length,
      // Like a static host's assets: the browser may keep them for the context.
      ...(type.startsWith('text/html') ? {} : { 'cache-control': 'max-age=3600' }),
    });
    res.end(res.req.method === 'HEAD' ? undefined : bytes);
  };

  const handle = (request: IncomingMessage, res: ServerResponse): void => {
    const raw = request.url ?? '/';
    const q = raw.search(/[?#]/);
    const path = q === -1 ? raw : raw.slice(0, q);
    if (path === '/__stats' || path === '/__stats/reset') {
      if (path === '/__stats/reset') {
        hits = new Uint32Array(model.pages);
        stats = zeroStats();
      }
      const body = JSON.stringify(stats);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
      return;
    }
    if (path === '/robots.txt') {
      stats.robots++;
      send(res, 200, 'text/plain; charset=utf-8', ROBOTS);
      return;
    }
    if (path === '/static/app.js' || path === '/static/analytics.js') {
      stats.assetHits++;
      send(res, 200, 'text/javascript', path === '/static/app.js' ? APP_JS : ANALYTICS_JS);
      return;
    }
    if (path === '/static/site.css') {
      stats.assetHits++;
      send(res, 200, 'text/css', SITE_CSS);
      return;
    }
    const i = model.pageAt(path);
    if (i === null) {
      stats.notFound++;
      send(res, 404, 'text/html; charset=utf-8', '<!doctype html><title>Not found</title>');
      return;
    }
    const seen = hits[i] ?? 0;
    if (seen === 0) stats.uniquePages++;
    else stats.repeatPageHits++;
    hits[i] = seen + 1;
    if (model.isScript(i)) stats.scriptPageHits++;
    else stats.staticPageHits++;
    send(res, 200, 'text/html; charset=utf-8', renderPage(model, pool, i));
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    model,
    stats: () => ({ ...stats }),
    resetStats: () => {
      hits = new Uint32Array(model.pages);
      stats = zeroStats();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The served HTML of page i. */
export function renderPage(model: JsSiteModel, pool: string[], i: number): string {
  const rnd = random(model.seed * 31 + i * 17 + 5);
  const paragraphs: string[] = [];
  for (let p = 0; p < PARAGRAPHS; p++) paragraphs.push(pool[Math.floor(rnd() * pool.length)] ?? '');
  const links = model.linksOf(i).map((t) => ({ href: model.pathOf(t), text: `page ${t}` }));
  const title = model.titleOf(i);
  const intro =
    `<header><nav><a href="#top">Top</a></nav><p class="intro">This is page ${i} of a ` +
    `generated site for the browser benchmark. ${pool[i % pool.length]?.slice(0, 260) ?? ''}` +
    `</p></header>\n`;
  const head = (t: string, script: string): string =>
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${t}</title>\n` +
    `<link rel="stylesheet" href="/static/site.css">\n${script}</head>\n<body>\n`;
  if (model.isScript(i)) {
    const data = JSON.stringify({ title, paragraphs, links }).replace(/</g, '\\u003c');
    return (
      head('Loading…', '<script src="/static/app.js" defer></script>\n') +
      intro +
      `<main id="app"></main>\n<script type="application/json" id="page-data">${data}</script>\n` +
      `</body>\n</html>\n`
    );
  }
  let body = `<main>\n<h1>${title}</h1>\n`;
  let next = 0;
  for (const p of paragraphs) {
    body += `<p>${p}</p>\n<p class="related">Related: `;
    for (let k = 0; k < 2 && next < links.length; k++, next++) {
      const l = links[next] as { href: string; text: string };
      body += `<a href="${l.href}">${l.text}</a> `;
    }
    body += '</p>\n';
  }
  for (; next < links.length; next++) {
    const l = links[next] as { href: string; text: string };
    body += `<a href="${l.href}">${l.text}</a>\n`;
  }
  return (
    head(title, '<script src="/static/analytics.js" async></script>\n') +
    intro +
    body +
    '</main>\n</body>\n</html>\n'
  );
}

/** 128 paragraphs of 300–700 characters of plain words. */
export function paragraphPool(seed: number): string[] {
  const rnd = random(seed * 104_729 + 3);
  const pool: string[] = [];
  for (let p = 0; p < 128; p++) {
    const target = 300 + Math.floor(rnd() * 400);
    let text = '';
    while (text.length < target) {
      const n = 6 + Math.floor(rnd() * 10);
      const words: string[] = [];
      for (let w = 0; w < n; w++) words.push(WORDS[Math.floor(rnd() * WORDS.length)] as string);
      const s = words.join(' ');
      text += s.charAt(0).toUpperCase() + s.slice(1) + '. ';
    }
    pool.push(text.trimEnd());
  }
  return pool;
}

/** Stats of a site that served nothing. */
export function zeroStats(): JsSiteStats {
  return {
    requests: 0,
    uniquePages: 0,
    repeatPageHits: 0,
    scriptPageHits: 0,
    staticPageHits: 0,
    assetHits: 0,
    robots: 0,
    notFound: 0,
  };
}
