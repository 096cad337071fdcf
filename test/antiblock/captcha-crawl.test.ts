/**
 * CAPTCHA solving in a crawl, end to end through the real CLI: a loopback site answers
 * every page with a reCAPTCHA v2 wall (a form posting to /verify with hidden inputs and
 * the widget's data-sitekey) until the visitor shows the cookie /verify sets, and /verify
 * accepts only the token the local fake of 2Captcha issued for that site key and page.
 * With a good key every page is stored with its real content after one solve per
 * session; with a wrong key the pages fail at once with the solver's code, unretried.
 *
 * The fake answers "ready" on the first poll, so a solve takes 2Captcha's 5 s minimum
 * wait (the adapter refuses shorter ones): about 10 s for the first case.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { startFakeTwoCaptcha, type FakeTwoCaptcha } from '../support/fake-two-captcha.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

const SITEKEY = '6LdTrawlTestSiteKeyAAAAAAAAAAAAAAAAAAAAAA';
const GOOD_KEY = 'good-key-4f1c';
const CSRF = 'csrf-9b2e';
const paths = ['/', '/p1', '/p2', '/p3', '/p4', '/p5', '/p6'];

/** A JSONL row with the fields this test reads beyond OutputRow's. */
type Row = Awaited<ReturnType<typeof readJsonl>>[number] & { errorMessage?: string | null };

describe('CAPTCHA solving in a crawl', { timeout: 60_000 }, () => {
  let site: TestServer;
  let fake: FakeTwoCaptcha;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  /** Cookie values /verify handed out. */
  const passes = new Set<string>();
  /** What /verify was sent, and whether it accepted it. */
  const verifications: { accepted: boolean; fields: URLSearchParams }[] = [];
  /** Page requests: path, and whether the visitor had a valid pass. */
  const pageVisits: { path: string; cleared: boolean }[] = [];

  const challengePage = (path: string): string =>
    `<!doctype html><html><head><title>Security check</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head>
<body><h1>Please confirm you are a visitor</h1>
<form action="/verify" method="POST">
  <input type="hidden" name="back" value="${path}">
  <input type="hidden" name="csrf" value="${CSRF}">
  <div class="g-recaptcha" data-sitekey="${SITEKEY}"></div>
  <button type="submit" name="go" value="1">Continue</button>
</form></body></html>`;

  before(async () => {
    dir = await tempDir('trawl-captcha-');
    fake = await startFakeTwoCaptcha({ validKeys: [GOOD_KEY] });
    site = await startTestServer((req, res, self) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === '/robots.txt') return html(res, '', 404);
      if (path === '/verify') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const fields = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
          const back = fields.get('back') ?? '/';
          // The site asks the provider what the token was issued for.
          const task = fake.issued(fields.get('g-recaptcha-response') ?? '');
          const accepted =
            req.method === 'POST' &&
            req.headers['content-type'] === 'application/x-www-form-urlencoded' &&
            fields.get('csrf') === CSRF &&
            task?.task.websiteKey === SITEKEY &&
            task.task.websiteURL === `${self.origin}${back}`;
          verifications.push({ accepted, fields });
          if (!accepted) return html(res, '<title>Wrong answer</title>', 403);
          const pass = randomBytes(8).toString('hex');
          passes.add(pass);
          res.writeHead(302, { location: back, 'set-cookie': `pass=${pass}; Path=/; HttpOnly` });
          res.end();
        });
        return;
      }
      const pass = /(?:^|;\s*)pass=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1];
      const cleared = pass !== undefined && passes.has(pass);
      pageVisits.push({ path, cleared });
      if (!cleared) return html(res, challengePage(path), 403);
      const links = path === '/' ? paths.slice(1) : [];
      html(
        res,
        `<title>Page ${path}</title><p>The real content of ${path}.</p>${links.map((l) => `<a href="${l}">${l}</a>`).join('')}`,
      );
    });
  });
  after(async () => {
    await site?.close();
    await fake?.close();
    await dir?.cleanup();
  });

  test('a good key: every page stored with its real content, one solve per session', async () => {
    const out = join(dir.path, 'good.jsonl');
    const started = Date.now();
    const run = await runCli([
      'crawl',
      `${site.origin}/`,
      '--sessions',
      '--max-sessions',
      '2',
      '--concurrency',
      '2',
      '--delay',
      '0',
      '--captcha-key',
      GOOD_KEY,
      '--captcha-api-url',
      fake.base,
      '--log-level',
      'info',
      '--data-dir',
      join(dir.path, 'good-data'),
      '--out',
      out,
      '--no-progress',
    ]);
    const elapsedMs = Date.now() - started;
    assert.equal(run.code, 0, run.stderr);
    const rows = await readJsonl(out);
    assert.deepEqual(rows.map((r) => new URL(r.url).pathname).sort(), [...paths].sort());
    for (const row of rows) {
      const path = new URL(row.url).pathname;
      assert.equal(row.status, 200, `${row.url}: ${row.error}`);
      assert.equal(row.title, `Page ${path}`);
      assert.equal(row.attempts, 1, `${row.url} was retried`);
    }

    // The provider was asked for the site's reCAPTCHA v2, on the site's pages.
    const creates = fake.seenBy(GOOD_KEY, 'createTask');
    assert.ok(creates.length >= 1 && creates.length <= 2, `${creates.length} solves`);
    for (const create of creates) {
      const task = create.body.task as Record<string, unknown>;
      assert.equal(task.type, 'RecaptchaV2TaskProxyless');
      assert.equal(task.websiteKey, SITEKEY);
      assert.ok(
        paths.some((p) => task.websiteURL === `${site.origin}${p}`),
        String(task.websiteURL),
      );
    }
    // Each solve was submitted with the form's hidden fields, and accepted.
    assert.equal(verifications.length, creates.length);
    for (const v of verifications) {
      assert.ok(v.accepted, v.fields.toString());
      // The submit button is not form data when the widget's script submits the form.
      assert.equal(v.fields.get('go'), null);
    }
    // Every page was delivered once, to a cleared visitor. Each challenge either started
    // its session's solve or (concurrency 2) waited for the one in flight, then went again.
    assert.equal(pageVisits.filter((v) => v.cleared).length, paths.length);
    const challenged = pageVisits.filter((v) => !v.cleared).length;
    assert.ok(challenged <= creates.length * 2, `${challenged} challenges`);

    // One info line per solve, with what it cost in time and its task id.
    const solved = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'captcha solved');
    assert.equal(solved.length, creates.length);
    for (const line of solved) {
      assert.equal(line.kind, 'recaptcha_v2');
      assert.ok(typeof line.elapsedMs === 'number' && line.elapsedMs >= 5000 - 20);
      assert.ok(fake.tasks.has(String(line.taskId)), String(line.taskId));
      assert.match(String(line.url), /^http:\/\/127\.0\.0\.1:\d+\//);
    }
    assert.ok(elapsedMs < 30_000, `took ${elapsedMs} ms`);
  });

  test('a wrong key (TRAWL_CAPTCHA_KEY): pages fail with the code, unretried', async () => {
    const out = join(dir.path, 'wrong.jsonl');
    const seeds = ['/p1', '/p2', '/p3'];
    const visitsBefore = pageVisits.length;
    const run = await runCli(
      [
        'crawl',
        ...seeds.map((p) => `${site.origin}${p}`),
        '--sessions',
        '--concurrency',
        '1',
        '--delay',
        '0',
        '--max-retries',
        '3',
        '--captcha-api-url',
        fake.base,
        '--data-dir',
        join(dir.path, 'wrong-data'),
        '--out',
        out,
        '--no-progress',
      ],
      { TRAWL_CAPTCHA_KEY: 'wrong-key' },
    );
    assert.equal(run.code, 0, run.stderr);
    const rows = (await readJsonl(out)) as Row[];
    assert.equal(rows.length, seeds.length);
    for (const row of rows) {
      assert.equal(row.error, 'blocked', row.url);
      assert.match(String(row.errorMessage), /captcha_bad_key/);
      assert.equal(row.attempts, 1, `${row.url} was retried`);
    }
    // The key was tried once; after that no page spent a request on the provider.
    assert.equal(fake.seenBy('wrong-key', 'createTask').length, 1);
    assert.equal(fake.seenBy('wrong-key', 'getTaskResult').length, 0);
    // One request per page: no retry went back to the site.
    const visits = pageVisits.slice(visitsBefore);
    assert.deepEqual(visits.map((v) => v.path).sort(), seeds);
    // Told once, at warn (the default log level).
    const warned = run.stderr.split('\n').filter((l) => l.includes('captcha solving stopped'));
    assert.equal(warned.length, 1, run.stderr);
  });
});
