/**
 * Anti-blocking for the browser engine (and the auto engine's renderings), through the
 * real CLI against a loopback site and real forward proxies: each session is a browser
 * context of its own (its header set's User-Agent and client hints on every request of
 * the page, scripts included; its cookies; every request through its proxy), a failing
 * proxy is left for another without losing a page, and a block page that only the
 * rendered document shows (a challenge drawn by a script) retires the session and the
 * page is fetched again by a fresh one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { distributedSandbox } from '../support/distributed.js';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

const PAGES = 8;
const paths = ['/', ...Array.from({ length: PAGES }, (_, i) => `/p${i + 1}`)];
/** Pages a visitor sees before the site challenges it. */
const FREE_PAGES = 3;

/** The links are drawn by the script: only a browser finds them. */
const APP_JS = `
const links = JSON.parse(document.body.dataset.links);
document.getElementById('app').innerHTML =
  '<h1>' + document.body.dataset.path + '</h1><p>' + 'Rendered content of this page. '.repeat(20) + '</p>' +
  links.map((l) => '<a href="' + l + '">' + l + '</a>').join(' ');
`;

/** A Cloudflare-style challenge that only exists once its script ran. */
const CHALLENGE_JS = `
document.title = 'Just a ' + 'moment...';
document.getElementById('app').innerHTML = '<div id="challenge-running">Checking your browser</div>';
const s = document.createElement('script');
s.textContent = 'window._cf_' + 'chl_opt = { cvId: "3" };';
document.body.appendChild(s);
`;

interface Seen {
  path: string;
  sid: string | null;
  ua: string;
  chUa: string | null;
  challenged: boolean;
}

describe('browser engine with sessions and proxies', { timeout: 240_000 }, () => {
  let site: TestServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const visits = new Map<string, number>();
  const seen: Seen[] = [];
  let good: ForwardProxy;
  let bad: ForwardProxy;
  /** Answers every request with its own 502 and an RFC 9209 Proxy-Status error. */
  let bad502: ForwardProxy;

  before(async () => {
    dir = await tempDir('trawl-browser-sessions-');
    site = await startTestServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const sid = /(?:^|;\s*)sid=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1] ?? null;
      const entry: Seen = {
        path,
        sid,
        ua: String(req.headers['user-agent']),
        chUa: (req.headers['sec-ch-ua'] as string | undefined) ?? null,
        challenged: false,
      };
      seen.push(entry);
      if (path === '/robots.txt') return html(res, '', 404);
      if (path === '/app.js' || path === '/challenge.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(path === '/app.js' ? APP_JS : CHALLENGE_JS);
        return;
      }
      if (!paths.includes(path)) return html(res, 'not found', 404);
      const id = sid ?? randomBytes(6).toString('hex');
      const n = (visits.get(id) ?? 0) + 1;
      visits.set(id, n);
      entry.challenged = n > FREE_PAGES;
      if (sid === null) res.setHeader('set-cookie', `sid=${id}; Path=/; HttpOnly`);
      const links = path === '/' ? paths.slice(1) : [];
      // A shell either way (a script fills it): the block only shows once rendered.
      html(
        res,
        `<title>${path}</title><body data-path="${path}" data-links='${JSON.stringify(links)}'>` +
          `<div id="app"></div><script src="/${entry.challenged ? 'challenge' : 'app'}.js"></script></body>`,
      );
    });
    good = await startForwardProxy();
    bad = await startForwardProxy({ fail: 'destroy' });
    bad502 = await startForwardProxy({ fail: 'status-502' });
  });
  after(async () => {
    await site?.close();
    await good?.close();
    await bad?.close();
    await bad502?.close();
    await dir?.cleanup();
  });

  const cases = [
    { engine: 'browser', mode: 'embedded' },
    { engine: 'auto', mode: 'embedded' },
    { engine: 'browser', mode: 'distributed' },
  ] as const;
  for (const { engine, mode } of cases) {
    test(`--engine ${engine} (${mode}): sessions as contexts, through the proxies, blocks retried`, async () => {
      const out = join(dir.path, `${engine}-${mode}.jsonl`);
      const from = seen.length;
      const goodFrom = good.targets.length;
      const badBefore = bad.destroyed + bad502.requests;
      const sandbox = mode === 'distributed' ? await distributedSandbox() : null;
      try {
        const run = await runCli(
          [
            'crawl',
            `${site.origin}/`,
            '--engine',
            engine,
            '--sessions',
            '--max-sessions',
            '2',
            '--proxy',
            bad.url,
            '--proxy',
            bad502.url,
            '--proxy',
            good.url,
            '--delay',
            '0',
            '--concurrency',
            '2',
            '--max-retries',
            '6',
            ...(sandbox === null
              ? ['--data-dir', join(dir.path, `${engine}-${mode}-data`)]
              : ['--job', `browser-sessions-${randomBytes(3).toString('hex')}`]),
            '--out',
            out,
            '--no-progress',
          ],
          sandbox?.env,
        );
        assert.equal(run.code, 0, run.stderr);
        const rows = await readJsonl(out);
        assert.deepEqual(
          rows.map((r) => new URL(String(r.url)).pathname).sort(),
          [...paths].sort(),
          'every page, once',
        );
        for (const row of rows) {
          assert.equal(row.status, 200, `${String(row.url)}: ${String(row.error)}`);
          assert.equal(
            (row as { engine?: string }).engine,
            'browser',
            `${String(row.url)} was rendered`,
          );
          assert.notEqual(row.title, 'Just a moment...', `${String(row.url)} is not the challenge`);
        }
        const mine = seen.slice(from);
        assert.ok(
          mine.some((r) => r.challenged),
          'the site challenged a visitor',
        );
        // The challenged visitors were replaced: more visitors than live sessions.
        assert.ok(new Set(mine.map((r) => r.sid)).size >= 3, 'fresh visitors after blocks');
        // Each context kept its cookie: most requests came back with one.
        assert.ok(mine.filter((r) => r.sid !== null).length >= mine.length / 2, 'cookies kept');
        // Every request — pages, their scripts, robots.txt — as a Chromium header set of a
        // session, with client hints that agree with its User-Agent.
        for (const r of mine) {
          assert.match(r.ua, /^Mozilla\/5\.0 .*Chrome\/\d+/, `${r.path}: ${r.ua}`);
          const major = /Chrome\/(\d+)/.exec(r.ua)?.[1];
          if (r.path !== '/robots.txt') {
            assert.ok(r.chUa?.includes(`v="${major}"`), `${r.path}: sec-ch-ua ${r.chUa} ≠ ${r.ua}`);
          }
        }
        // Everything went through the good proxy, scripts included; the failing ones were
        // tried, and what they failed was loaded again through the good one.
        const viaGood = good.targets.slice(goodFrom);
        for (const path of [...paths, '/app.js']) {
          assert.ok(viaGood.includes(`${site.origin}${path}`), `${path} through the proxy`);
        }
        assert.equal(
          mine.length,
          viaGood.filter((t) => t.startsWith(site.origin)).length,
          'no request to the site went around the proxy',
        );
        assert.ok(bad.destroyed + bad502.requests > badBefore, 'the failing proxies were tried');
      } finally {
        await sandbox?.cleanup();
      }
    });
  }
});
