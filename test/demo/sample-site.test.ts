import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startSampleSite } from '../../src/demo/sample-site.js';
import type { SampleSite } from '../../src/demo/sample-site.js';

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const agent = new Agent({ keepAlive: true });

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Walk {
  /** Path -> response, for every same-origin path the walk requested. */
  fetched: Map<string, Response>;
  /** Every href seen, resolved, fragment removed. */
  linked: Set<string>;
}

/** Follows every same-origin `<a href>` from `/`, skipping paths under `skip`. */
async function walk(origin: string, skip: string): Promise<Walk> {
  const fetched = new Map<string, Response>();
  const linked = new Set<string>();
  const queue = ['/'];
  const queued = new Set(queue);
  while (queue.length > 0) {
    const path = queue.shift() as string;
    const res = await get(origin + path);
    fetched.set(path, res);
    if (!String(res.headers['content-type']).startsWith('text/html')) continue;
    for (const m of res.body.toString('latin1').matchAll(/<a\s[^>]*href="([^"]*)"/gi)) {
      const u = new URL(m[1] as string, origin + path);
      u.hash = '';
      linked.add(u.href);
      if (u.origin !== origin || u.pathname.startsWith(skip) || queued.has(u.pathname)) continue;
      queued.add(u.pathname);
      queue.push(u.pathname);
    }
  }
  return { fetched, linked };
}

describe('sample site', () => {
  let site: SampleSite;
  let crawl: Walk;

  before(async () => {
    site = await startSampleSite({ host: '127.0.0.1', port: 0 });
    crawl = await walk(site.url, '/private/');
  });
  after(async () => {
    agent.destroy();
    await site.close();
  });

  test('every HTML page is reachable from / by links, and nothing else answers 200 as HTML', () => {
    const html200 = [...crawl.fetched]
      .filter(
        ([, r]) => r.status === 200 && String(r.headers['content-type']).startsWith('text/html'),
      )
      .map(([p]) => p)
      .sort();
    assert.deepEqual(html200, [...site.facts.htmlPaths].sort());
    assert.ok(html200.length >= 250 && html200.length <= 350, `${html200.length} pages`);
  });

  test('broken links answer 404, the redirect 301 to a page of the site', () => {
    for (const p of site.facts.brokenPaths) {
      assert.equal(crawl.fetched.get(p)?.status, 404, p);
    }
    for (const r of site.facts.redirects) {
      const res = crawl.fetched.get(r.from);
      assert.equal(res?.status, r.status);
      assert.equal(res?.headers.location, r.to);
      assert.ok(site.facts.htmlPaths.includes(r.to));
    }
  });

  test('non-HTML files are linked and served with their own types', () => {
    const pdf = crawl.fetched.get('/files/manual.pdf');
    assert.equal(pdf?.headers['content-type'], 'application/pdf');
    assert.ok(pdf?.body.subarray(0, 5).equals(Buffer.from('%PDF-')));
    assert.ok(pdf?.body.toString('latin1').trimEnd().endsWith('%%EOF'));
    const txt = crawl.fetched.get('/files/changelog.txt');
    assert.equal(txt?.headers['content-type'], 'text/plain; charset=utf-8');
    assert.deepEqual(site.facts.filePaths.sort(), ['/files/changelog.txt', '/files/manual.pdf']);
  });

  test('robots.txt disallows /private/, which pages link to, and names the sitemap', async () => {
    const robots = await get(`${site.url}/robots.txt`);
    const text = robots.body.toString();
    assert.match(text, /^User-agent: \*$/m);
    assert.match(text, /^Disallow: \/private\/$/m);
    assert.ok(text.includes(`Sitemap: ${site.url}/sitemap.xml`));
    for (const p of site.facts.disallowedPaths) {
      assert.ok(p.startsWith('/private/'));
      assert.ok(crawl.linked.has(site.url + p), `${p} is linked`);
      assert.equal((await get(site.url + p)).status, 200);
    }
    for (const u of site.facts.externalUrls) assert.ok(crawl.linked.has(u), `${u} is linked`);
    assert.ok([...crawl.fetched.keys()].every((p) => !p.startsWith('/private/')));
  });

  test('sitemap.xml lists exactly the HTML pages, as absolute URLs', async () => {
    const res = await get(`${site.url}/sitemap.xml`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /xml/);
    const locs = [...res.body.toString().matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    assert.deepEqual(locs.sort(), site.facts.htmlPaths.map((p) => site.url + p).sort());
  });

  test('the Latin-1 page is Latin-1 bytes declared only by <meta charset>', () => {
    const res = crawl.fetched.get(site.facts.latin1Path);
    assert.equal(res?.status, 200);
    assert.equal(res?.headers['content-type'], 'text/html');
    const body = res?.body ?? Buffer.alloc(0);
    assert.ok(body.includes(Buffer.from([0x43, 0x61, 0x66, 0xe9])), 'Café in Latin-1');
    assert.ok(!body.includes(Buffer.from('é', 'utf8')), 'no UTF-8 é');
    const html = body.toString('latin1');
    assert.match(html, /<meta charset="iso-8859-1">/);
    assert.match(html, /<title>Café Münster: Größe &amp; Übersicht<\/title>/);
  });

  test('titles carry the entities a parser must decode', () => {
    const titles = [...crawl.fetched.values()]
      .map((r) => /<title>([^<]*)<\/title>/.exec(r.body.toString())?.[1])
      .filter((t): t is string => t !== undefined);
    for (const entity of ['&amp;', '&#8212;', '&nbsp;', '&eacute;', '&quot;', '&rsquo;']) {
      assert.ok(
        titles.some((t) => t.includes(entity)),
        `some title has ${entity}`,
      );
    }
  });

  test('gzip when asked, 304 for a matching ETag, HEAD without a body', async () => {
    const url = `${site.url}/docs/`;
    const plain = await get(url);
    const zipped = await get(url, { 'accept-encoding': 'gzip, br' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(zipped.body), plain.body);
    const etag = String(plain.headers.etag);
    assert.equal((await get(url, { 'if-none-match': etag })).status, 304);
    const head = await get(url, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(Number(head.headers['content-length']), plain.body.length);
  });

  test('two instances serve byte-identical content', async () => {
    const other = await startSampleSite();
    try {
      for (const p of [
        '/',
        '/docs/',
        '/blog/page/3.html',
        '/files/manual.pdf',
        '/intl/latin1.html',
      ]) {
        const a = await get(site.url + p);
        const b = await get(other.url + p);
        assert.ok(a.body.equals(b.body), p);
        assert.equal(a.headers.etag, b.headers.etag);
      }
      const r1 = (await get(`${site.url}/robots.txt`)).body.toString();
      const r2 = (await get(`${other.url}/robots.txt`)).body.toString();
      assert.equal(r1.replace(site.url, 'X'), r2.replace(other.url, 'X'));
    } finally {
      await other.close();
    }
  });
});
