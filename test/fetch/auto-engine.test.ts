/**
 * `--engine auto` end to end, through the real CLI and the system Chromium, on a mixed
 * site: static pages (which stay on HTTP), script shells under /app/ (rendered page by
 * page), and complete-looking pages under /docs/ whose next link only a script adds (the
 * pattern moves to the browser after one comparison). Every page found, each document
 * requested once whatever the engine, the records say which engine fetched them; the
 * same in the distributed mode.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findChromium } from '../../src/fetch/browser/browser-pool.js';
import { runCli } from '../support/cli.js';
import { distributedSandbox } from '../support/distributed.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { readJsonl, type OutputRow } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

type Row = OutputRow & { engine?: string; markdown?: string };

const chromium = findChromium(process.env.TRAWL_CHROMIUM_PATH);

const PROSE =
  'This page is plain HTML, written by the server, with enough prose for a reader. '.repeat(12);

/** A complete static page. */
function staticPage(title: string, links: string[]): string {
  return `<!doctype html><html><head><title>${title}</title></head><body><main><h1>${title}</h1><p>${PROSE}</p>${links
    .map((l) => `<a href="${l}">${l}</a>`)
    .join(' ')}</main></body></html>`;
}

/** A shell: an empty root that a script fills with text and links. */
function shell(title: string, links: string[]): string {
  const body = `<h1>${title}</h1><p>Rendered by script: ${PROSE}</p>${links
    .map((l) => `<a href="${l}">${l}</a>`)
    .join(' ')}`;
  return `<!doctype html><html><head><title>${title}</title></head><body><div id="root"></div><script>document.getElementById('root').innerHTML = ${JSON.stringify(body)};</script></body></html>`;
}

/** A page that looks complete over HTTP, but whose next link only a script adds. */
function scriptedNav(title: string, staticLinks: string[], scriptLink: string | null): string {
  const add =
    scriptLink === null
      ? ''
      : `<script>const a = document.createElement('a'); a.href = ${JSON.stringify(scriptLink)}; a.textContent = 'next'; document.querySelector('main').appendChild(a);</script>`;
  return `<!doctype html><html><head><title>${title}</title></head><body><main><h1>${title}</h1><p>${PROSE}</p>${staticLinks
    .map((l) => `<a href="${l}">${l}</a>`)
    .join(' ')}</main>${add}</body></html>`;
}

const PAGES: Record<string, () => string> = {
  '/': () => staticPage('Home', ['/static/one', '/static/two', '/app/start', '/docs/intro']),
  '/static/one': () => staticPage('One', ['/static/two', '/static/three']),
  '/static/two': () => staticPage('Two', ['/static/three', '/static/four']),
  '/static/three': () => staticPage('Three', ['/static/four', '/']),
  '/static/four': () => staticPage('Four', ['/static/one']),
  '/app/start': () => shell('App start', ['/app/list']),
  '/app/list': () => shell('App list', ['/app/item']),
  '/app/item': () => shell('App item', ['/static/one']),
  '/docs/intro': () => scriptedNav('Docs intro', ['/'], '/docs/setup'),
  '/docs/setup': () => scriptedNav('Docs setup', ['/docs/intro'], '/docs/usage'),
  '/docs/usage': () => scriptedNav('Docs usage', ['/docs/intro'], null),
};

const EXPECTED: Record<string, 'http' | 'browser'> = {
  '/': 'http',
  '/static/one': 'http',
  '/static/two': 'http',
  '/static/three': 'http',
  '/static/four': 'http',
  '/app/start': 'browser',
  '/app/list': 'browser',
  '/app/item': 'browser',
  '/docs/intro': 'browser',
  '/docs/setup': 'browser',
  '/docs/usage': 'browser',
};

const FLAGS = ['--engine', 'auto', '--delay', '0', '--extract', 'markdown', '--log-level', 'info'];

describe(
  'auto engine',
  { skip: chromium === null ? 'no Chromium installed' : false, timeout: 180_000 },
  () => {
    let server: TestServer;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    before(async () => {
      dir = await tempDir('trawl-auto-');
      server = await startTestServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const build = PAGES[path];
        if (build === undefined) html(res, '<title>not found</title>', 404);
        else html(res, build());
      });
    });
    after(async () => {
      await server?.close();
      await dir?.cleanup();
    });

    /** The rows of a crawl: every page, the engine each one says, each document asked once. */
    function check(rows: Row[], hitsBefore: Map<string, number>): void {
      const byPath = new Map(rows.map((r) => [new URL(r.url).pathname, r]));
      assert.deepEqual([...byPath.keys()].sort(), Object.keys(EXPECTED).sort());
      for (const [path, engine] of Object.entries(EXPECTED)) {
        const row = byPath.get(path)!;
        assert.equal(row.status, 200, path);
        assert.equal(row.engine, engine, `${path} fetched by ${row.engine}, expected ${engine}`);
        assert.equal(server.hits(path) - (hitsBefore.get(path) ?? 0), 1, `${path} requested once`);
      }
      assert.match(String(byPath.get('/app/list')?.markdown), /Rendered by script/);
      assert.equal(byPath.get('/app/item')?.title, 'App item');
    }

    const hitsNow = (): Map<string, number> =>
      new Map(Object.keys(PAGES).map((p) => [p, server.hits(p)]));

    test('static pages stay on HTTP, shells and script-linked pages go to the browser', async () => {
      const out = join(dir.path, 'auto.jsonl');
      const before = hitsNow();
      const run = await runCli([
        'crawl',
        `${server.origin}/`,
        ...FLAGS,
        '--data-dir',
        join(dir.path, 'auto-data'),
        '--out',
        out,
        '--no-progress',
      ]);
      assert.equal(run.code, 0, run.stderr);
      check((await readJsonl(out)) as Row[], before);
      // The decision is told, with the measurement behind it.
      assert.match(run.stderr, /engine auto: \S+\/docs → browser \(rendering found 1 more link/);
    });

    test('the distributed mode decides the same (a worker drives both engines)', async () => {
      const sandbox = await distributedSandbox();
      try {
        const out = join(dir.path, 'distributed.jsonl');
        const before = hitsNow();
        const run = await runCli(
          [
            'crawl',
            `${server.origin}/`,
            '--job',
            'auto-site',
            ...FLAGS,
            '--out',
            out,
            '--no-progress',
          ],
          sandbox.env,
        );
        assert.equal(run.code, 0, run.stderr);
        check((await readJsonl(out)) as Row[], before);
      } finally {
        await sandbox.cleanup();
      }
    });
  },
);
