/**
 * The browser engine end to end, through the real CLI and the system Chromium: a site
 * whose content and links exist only after its scripts run (one of them only after a
 * delay) is crawled whole with `--engine browser` and not with the HTTP engine; a page
 * that never answers fails with a timeout and does not hold the crawl; a redirect chain
 * is taken hop by hop, each hop waiting for its host's delay; no Chromium
 * process outlives the crawl — after it ends, and after it is killed with SIGKILL.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findChromium } from '../../src/fetch/browser/browser-pool.js';
import { collect, runCli, spawnCli } from '../support/cli.js';
import { browserProcessesOf, noBrowserProcessesOf } from '../support/browser-processes.js';
import { distributedSandbox } from '../support/distributed.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { readJsonl, type OutputRow } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

/** A row with the fields this engine adds. */
type Row = OutputRow & { engine?: string; markdown?: string };
const rowsOf = async (path: string): Promise<Row[]> => (await readJsonl(path)) as Row[];

const chromium = findChromium(process.env.TRAWL_CHROMIUM_PATH);

/** A page that writes its title, text and links with a script (the HTML has none). */
function scripted(title: string, links: string[], delayMs = 0): string {
  const build = `document.title = ${JSON.stringify(title)};
    const main = document.createElement('main');
    main.innerHTML = ${JSON.stringify(
      `<h1>${title}</h1><p>Rendered by script: the ${title} page of the scripted site.</p>` +
        links.map((l) => `<a class="late" href="${l}">${l}</a>`).join(' '),
    )};
    document.body.appendChild(main);`;
  const run = delayMs > 0 ? `setTimeout(() => { ${build} }, ${delayMs});` : build;
  return `<!doctype html><html><head><script src="/app.js"></script></head><body><div id="root"></div><img src="/big.png"><script>${run}</script></body></html>`;
}

/** The browser crawl of the scripted site (robots.txt obeyed: an empty 404, so all allowed). */
const SCRIPTED_SITE_FLAGS = [
  '--engine',
  'browser',
  '--wait-for',
  'main a.late, main p',
  '--wait-ms',
  '600',
  '--delay',
  '0',
];

describe(
  'browser engine',
  { skip: chromium === null ? 'no Chromium installed' : false, timeout: 180_000 },
  () => {
    let server: TestServer;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    const images: string[] = [];
    before(async () => {
      dir = await tempDir('trawl-browser-');
      server = await startTestServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/app.js') {
          res.writeHead(200, { 'content-type': 'text/javascript' });
          res.end('window.appLoaded = true;');
        } else if (path === '/big.png') {
          images.push(path);
          res.writeHead(200, { 'content-type': 'image/png' });
          res.end(Buffer.alloc(10));
        } else if (path === '/') {
          html(res, scripted('Home', ['/a', '/b']));
        } else if (path === '/a') {
          html(res, scripted('Page A', ['/late']));
        } else if (path === '/b') {
          html(res, scripted('Page B', ['/a', '/']));
        } else if (path === '/late') {
          // Its link appears 400 ms after load: found only by waiting for it.
          html(res, scripted('Late page', ['/last'], 400));
        } else if (path === '/last') {
          html(res, scripted('Last page', []));
        } else if (path === '/hop1') {
          res.writeHead(301, { location: '/hop2' }).end();
        } else if (path === '/hop2') {
          res.writeHead(302, { location: '/dest', 'set-cookie': 'hop=2; Path=/' }).end();
        } else if (path === '/gate') {
          res.writeHead(302, { location: '/gate/in', 'set-cookie': 'gate=open; Path=/gate' }).end();
        } else if (path === '/gate/in') {
          // The cookie the redirect set, or no content.
          if (/(?:^|; )gate=open(?:;|$)/.test(req.headers.cookie ?? '')) {
            html(res, scripted('Behind the gate', []));
          } else {
            res.writeHead(302, { location: '/no-cookie' }).end();
          }
        } else if (path === '/dest') {
          html(res, scripted('Destination', ['/last']));
        } else if (path === '/hang') {
          // Never answers.
        } else {
          html(res, '<title>not found</title>', 404);
        }
      });
    });
    after(async () => {
      await server?.close();
      await dir?.cleanup();
    });

    test('redirects hop by hop: each hop waits for the host delay, the target is rendered once', async () => {
      const out = join(dir.path, 'hops.jsonl');
      const from = server.requests.length;
      const run = await runCli([
        'crawl',
        `${server.origin}/hop1`,
        '--engine',
        'browser',
        '--delay',
        '400',
        '--no-robots',
        '--data-dir',
        join(dir.path, 'hops-data'),
        '--out',
        out,
        '--no-progress',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const rows = await rowsOf(out);
      const first = rows.find((r) => new URL(r.url).pathname === '/hop1');
      assert.equal(first?.status, 200);
      assert.equal(first?.finalUrl, `${server.origin}/dest`);
      assert.equal(first?.title, 'Destination', 'the target was rendered');
      assert.equal(first?.engine, 'browser');
      assert.deepEqual(
        rows.map((r) => new URL(r.url).pathname).sort(),
        ['/hop1', '/last'],
        'the chain is one record; its target page linked on',
      );
      const mine = server.requests.slice(from).filter((r) => r.path !== '/app.js');
      const order = mine.map((r) => r.path);
      assert.deepEqual(order.slice(0, 3), ['/hop1', '/hop2', '/dest'], 'each hop once, in order');
      assert.equal(server.hits('/dest'), 1);
      // Every request to the host, each redirect hop included, keeps the delay.
      for (let i = 1; i < mine.length; i++) {
        const gap = mine[i]!.at - mine[i - 1]!.at;
        assert.ok(gap >= 380, `${order[i - 1]} → ${order[i]}: ${gap.toFixed(0)} ms apart`);
      }
    });

    test('a cookie a redirect hop sets is sent on the next hop, as a browser does', async () => {
      const out = join(dir.path, 'gate.jsonl');
      const run = await runCli([
        'crawl',
        `${server.origin}/gate`,
        '--engine',
        'browser',
        '--delay',
        '0',
        '--no-robots',
        '--data-dir',
        join(dir.path, 'gate-data'),
        '--out',
        out,
        '--no-progress',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const [row] = await rowsOf(out);
      assert.equal(row?.finalUrl, `${server.origin}/gate/in`);
      assert.equal(row?.status, 200, String(row?.error));
      assert.equal(row?.title, 'Behind the gate');
      assert.equal(server.hits('/no-cookie'), 0);
    });

    test('a scripted site: every page and link found with --engine browser, none with http', async () => {
      const out = join(dir.path, 'browser.jsonl');
      const run = await runCli([
        'crawl',
        `${server.origin}/`,
        ...SCRIPTED_SITE_FLAGS,
        '--extract',
        'markdown',
        '--data-dir',
        join(dir.path, 'browser-data'),
        '--out',
        out,
        '--no-progress',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const rows = await rowsOf(out);
      const byPath = new Map(rows.map((r) => [new URL(r.url).pathname, r]));
      assert.deepEqual([...byPath.keys()].sort(), ['/', '/a', '/b', '/last', '/late']);
      for (const [path, row] of byPath) {
        assert.equal(row.status, 200, path);
        assert.equal(row.engine, 'browser', path);
        assert.match(String(row.markdown), /Rendered by script/, path);
      }
      assert.equal(byPath.get('/a')?.title, 'Page A');
      assert.equal(byPath.get('/late')?.title, 'Late page');
      // Images are not loaded by default.
      assert.equal(images.length, 0);
      // Each page once; robots.txt asked once (over HTTP: an empty 404, so all allowed).
      assert.equal(server.hits('/a'), 1);
      assert.equal(server.hits('/robots.txt'), 1);

      // The same site over HTTP: the HTML has no links, so only the start page.
      const httpOut = join(dir.path, 'http.jsonl');
      const plain = await runCli([
        'crawl',
        `${server.origin}/`,
        '--delay',
        '0',
        '--no-robots',
        '--data-dir',
        join(dir.path, 'http-data'),
        '--out',
        httpOut,
        '--no-progress',
      ]);
      assert.equal(plain.code, 0, plain.stderr);
      const httpRows = await rowsOf(httpOut);
      assert.deepEqual(
        httpRows.map((r) => new URL(r.url).pathname),
        ['/'],
      );
      assert.equal(httpRows[0]?.title, null);
      assert.equal(httpRows[0]?.engine, undefined);
    });

    test('the distributed mode crawls the scripted site the same (a worker drives the browser)', async () => {
      const sandbox = await distributedSandbox();
      try {
        const out = join(dir.path, 'distributed.jsonl');
        const run = await runCli(
          [
            'crawl',
            `${server.origin}/`,
            '--job',
            'scripted-site',
            ...SCRIPTED_SITE_FLAGS,
            '--out',
            out,
            '--no-progress',
          ],
          sandbox.env,
        );
        assert.equal(run.code, 0, run.stderr);
        const rows = await rowsOf(out);
        assert.deepEqual(rows.map((r) => new URL(r.url).pathname).sort(), [
          '/',
          '/a',
          '/b',
          '/last',
          '/late',
        ]);
        assert.ok(rows.every((r) => r.engine === 'browser' && r.status === 200));
        assert.equal(rows.find((r) => r.url.endsWith('/late'))?.title, 'Late page');
      } finally {
        await sandbox.cleanup();
      }
    });

    test('a page that never answers times out; the crawl ends and leaves no browser behind', async () => {
      const out = join(dir.path, 'hang.jsonl');
      const child = spawnCli([
        'crawl',
        `${server.origin}/hang`,
        `${server.origin}/b`,
        '--engine',
        'browser',
        '--timeout',
        '2000',
        '--max-retries',
        '0',
        '--delay',
        '0',
        '--no-robots',
        '--data-dir',
        join(dir.path, 'hang-data'),
        '--out',
        out,
        '--no-progress',
      ]);
      const pid = child.pid!;
      const run = await collect(child);
      assert.equal(run.code, 0, run.stderr);
      const rows = await rowsOf(out);
      const hang = rows.find((r) => r.url.endsWith('/hang'));
      assert.equal(hang?.error, 'timeout');
      assert.ok(rows.some((r) => r.url.endsWith('/b') && r.status === 200));
      await noBrowserProcessesOf(pid);
    });

    test('kill -9 of the crawler: its Chromium processes exit too', async () => {
      const child = spawnCli([
        'crawl',
        `${server.origin}/hang`,
        '--engine',
        'browser',
        '--timeout',
        '60000',
        '--delay',
        '0',
        '--no-robots',
        '--data-dir',
        join(dir.path, 'kill-data'),
        '--no-progress',
      ]);
      const pid = child.pid!;
      const exited = collect(child);
      // The browser is up once it has asked for the page.
      const deadline = Date.now() + 30_000;
      while (server.hits('/hang') < 2 || browserProcessesOf(pid).length === 0) {
        if (Date.now() > deadline) assert.fail('the browser never asked for the page');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      await exited;
      await noBrowserProcessesOf(pid);
    });
  },
);
