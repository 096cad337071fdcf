/**
 * What the browser engine keeps of a page besides its document, through the real CLI:
 * a full-page screenshot (PNG, as wide as the viewport asked for, as tall as the page) and
 * a PDF of every rendered page, a screenshot of every page that failed (an error status,
 * a timeout), each named by its record; stored in a directory by default, and in an
 * S3 bucket (a real S3 implementation on loopback) by the distributed mode. And the
 * error a user gets who asks the HTTP engine for a screenshot.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import aws4 from 'aws4';
import { findChromium } from '../../src/fetch/browser/browser-pool.js';
import { runCli } from '../support/cli.js';
import { distributedSandbox } from '../support/distributed.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { pngSize } from '../support/png.js';
import { readJsonl, type OutputRow } from '../support/read-output.js';
import {
  listKeys,
  REGION,
  S3RVER_KEY,
  s3Request,
  startS3Server,
  type S3Server,
} from '../support/s3-server.js';
import { tempDir } from '../support/temp-dir.js';

type Row = OutputRow & { screenshot?: string; pdf?: string; errorScreenshot?: string };

const chromium = findChromium(process.env.TRAWL_CHROMIUM_PATH);

const TALL = `<title>Tall</title><body style="margin:0"><div id="root"></div><script>
  document.getElementById('root').innerHTML =
    '<div style="height:3000px;background:linear-gradient(#08f,#f80)">Rendered tall page</div>';
</script>`;

describe(
  'browser captures',
  { skip: chromium === null ? 'no Chromium installed' : false, timeout: 180_000 },
  () => {
    let server: TestServer;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    before(async () => {
      dir = await tempDir('trawl-captures-');
      server = await startTestServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/') {
          html(
            res,
            `<title>Home</title><h1>Home</h1><a href="/tall">tall</a> <a href="/broken">broken</a> <a href="/hang">hang</a>`,
          );
        } else if (path === '/tall') html(res, TALL);
        else if (path === '/broken')
          html(res, '<title>Oops</title><h1>Server error page</h1>', 500);
        else if (path === '/hang') {
          // Never answers.
        } else html(res, '<title>not found</title>', 404);
      });
    });
    after(async () => {
      await server?.close();
      await dir?.cleanup();
    });

    const CAPTURE_FLAGS = [
      '--engine',
      'browser',
      '--screenshot',
      'fullPage',
      '--pdf',
      '--error-screenshots',
      '--viewport',
      '800x600',
      '--timeout',
      '3000',
      '--max-retries',
      '0',
      '--delay',
      '0',
      '--no-robots',
      '--no-progress',
    ];

    test('screenshots, PDFs and error screenshots in a directory, named by each record', async () => {
      const out = join(dir.path, 'captures.jsonl');
      const artifacts = join(dir.path, 'artifacts');
      const run = await runCli([
        'crawl',
        `${server.origin}/`,
        ...CAPTURE_FLAGS,
        '--artifacts',
        artifacts,
        '--data-dir',
        join(dir.path, 'data'),
        '--out',
        out,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const rows = (await readJsonl(out)) as Row[];
      const by = new Map(rows.map((r) => [new URL(r.url).pathname, r]));
      assert.deepEqual([...by.keys()].sort(), ['/', '/broken', '/hang', '/tall']);
      const file = (location: string | undefined): Buffer => {
        assert.ok(location?.startsWith('file://'), String(location));
        const path = fileURLToPath(location!);
        assert.ok(path.startsWith(artifacts), `${path} is under --artifacts`);
        return readFileSync(path);
      };
      for (const path of ['/', '/tall']) {
        const row = by.get(path)!;
        assert.equal(row.status, 200, path);
        assert.equal(pngSize(file(row.screenshot)).width, 800, `${path}: the viewport's width`);
        assert.equal(file(row.pdf).subarray(0, 5).toString(), '%PDF-', `${path}: a PDF`);
        assert.equal(row.errorScreenshot, undefined, `${path} did not fail`);
      }
      // A full-page screenshot is as tall as the rendered page, not the viewport.
      assert.ok(pngSize(file(by.get('/tall')!.screenshot)).height >= 3000);
      assert.ok(pngSize(file(by.get('/')!.screenshot)).height >= 600);
      assert.notEqual(by.get('/')!.screenshot, by.get('/tall')!.screenshot);

      const broken = by.get('/broken')!;
      assert.equal(broken.status, 500);
      assert.equal(broken.error, 'http_status');
      assert.equal(pngSize(file(broken.errorScreenshot)).width, 800);
      // Its error screenshot instead of the screenshot and PDF of a page that worked.
      assert.equal(broken.screenshot, undefined);
      assert.equal(broken.pdf, undefined);
      const hang = by.get('/hang')!;
      assert.equal(hang.error, 'timeout');
      pngSize(file(hang.errorScreenshot));
      assert.equal(hang.screenshot, undefined);
    });

    test('the HTTP engine cannot take screenshots: a clear error, exit code 2', async () => {
      const run = await runCli([
        'crawl',
        `${server.origin}/`,
        '--screenshot',
        '--data-dir',
        join(dir.path, 'http-data'),
        '--no-progress',
      ]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /screenshots.*browser: use engine browser or auto/);
      assert.doesNotMatch(run.stderr, /at .*\.js:\d+/, 'no stack trace');
    });

    describe('in an S3 bucket, by the distributed mode', () => {
      let s3: S3Server;
      before(async () => {
        s3 = await startS3Server();
        const made = await s3Request(s3.endpoint, 'PUT', '/shots');
        assert.equal(made.status, 200, made.body);
      });
      after(() => s3?.stop());

      test('every screenshot lands in the bucket under the prefix, as the record says', async () => {
        const sandbox = await distributedSandbox();
        try {
          const out = join(dir.path, 's3.jsonl');
          const run = await runCli(
            [
              'crawl',
              `${server.origin}/`,
              '--job',
              'captures-s3',
              ...CAPTURE_FLAGS,
              '--artifacts',
              's3://shots/crawls',
              '--out',
              out,
            ],
            {
              ...sandbox.env,
              AWS_ACCESS_KEY_ID: S3RVER_KEY.accessKeyId,
              AWS_SECRET_ACCESS_KEY: S3RVER_KEY.secretAccessKey,
              AWS_REGION: REGION,
              TRAWL_S3_ENDPOINT: s3.endpoint,
            },
          );
          assert.equal(run.code, 0, run.stderr);
          const rows = (await readJsonl(out)) as Row[];
          const locations = rows.flatMap((r) =>
            [r.screenshot, r.pdf, r.errorScreenshot].filter((l): l is string => l !== undefined),
          );
          // /, /tall: screenshot + pdf; /broken, /hang: an error screenshot.
          assert.equal(locations.length, 6, JSON.stringify(rows));
          const keys = await listKeys(s3.endpoint, 'shots');
          for (const location of locations) {
            assert.match(location, /^s3:\/\/shots\/crawls\/captures-s3\/[0-9a-f]{40}-/);
            const key = location.slice('s3://shots/'.length);
            assert.ok(keys.includes(key), `${key} is in the bucket`);
          }
          const tall = rows.find((r) => r.url.endsWith('/tall'))!;
          const key = tall.screenshot!.slice('s3://shots/'.length);
          const url = new URL(`/shots/${key}`, s3.endpoint);
          const signed = aws4.sign(
            { host: url.host, path: url.pathname, service: 's3', region: REGION, headers: {} },
            S3RVER_KEY,
          );
          const got = await request(url, {
            headers: Object.fromEntries(
              Object.entries(signed.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
          });
          assert.equal(got.statusCode, 200);
          const png = Buffer.from(await got.body.arrayBuffer());
          assert.ok(pngSize(png).height >= 3000);
          assert.ok(!existsSync(join(dir.path, 'artifacts', 'captures-s3')), 'nothing on disk');
        } finally {
          await sandbox.cleanup();
        }
      });
    });
  },
);
