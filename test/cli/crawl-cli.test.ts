/** The `trawl crawl` command as a user runs it: arguments, exit codes, output files. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, spawnCli, collect } from '../support/cli.js';
import { html, page, startTestServer, waitFor, type TestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

const PAGES = 30;

describe('trawl crawl (CLI)', () => {
  let site: TestServer;
  let dir: { path: string; cleanup: () => Promise<void> };
  before(async () => {
    site = await startTestServer((req, res) => {
      if (req.url === '/robots.txt') return html(res, 'nope', 404);
      const n = Number(/^\/p\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
      const links = [n + 1, n * 2].filter((k) => k < PAGES).map((k) => `/p/${k}`);
      html(res, page(`Page "${n}", with comma`, links));
    });
    dir = await tempDir();
  });
  after(async () => {
    await site.close();
    await dir.cleanup();
  });

  test('crawls a site into JSONL and CSV; a rerun fetches nothing new', async () => {
    const data = join(dir.path, 'd1');
    const out = join(dir.path, 'out.jsonl');
    const first = await runCli([
      'crawl',
      `${site.origin}/p/0`,
      '--delay',
      '0',
      '--data-dir',
      data,
      '--out',
      out,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Crawl complete/);
    const rows = await readJsonl(out);
    assert.equal(rows.length, PAGES);
    assert.equal(new Set(rows.map((r) => r.url)).size, PAGES);
    assert.ok(
      rows.every(
        (r) => r.status === 200 && r.error === null && r.contentType?.startsWith('text/html'),
      ),
    );

    const hitsBefore = site.requests.length;
    const csv = join(dir.path, 'out.csv');
    const again = await runCli([
      'crawl',
      `${site.origin}/p/0`,
      '--delay',
      '0',
      '--data-dir',
      data,
      '--out',
      csv,
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(site.requests.length, hitsBefore, 'a finished crawl rerun fetches nothing');
    const lines = (await readFile(csv, 'utf8')).trim().split('\r\n');
    assert.equal(lines.length, PAGES + 1);
    assert.match(lines[0]!, /^url,finalUrl,status,title,/);
    assert.ok(
      lines.some((l) => l.includes('"Page ""3"", with comma"')),
      'CSV quoting',
    );
  });

  test('bad arguments exit 2 with a clear message', async () => {
    const badUrl = await runCli(['crawl', 'not a url', '--data-dir', join(dir.path, 'x')]);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /not a valid http\(s\) URL: "not a url"/);

    const badNumber = await runCli(['crawl', site.origin, '--concurrency', 'lots']);
    assert.equal(badNumber.code, 2);
    assert.match(badNumber.stderr, /expected a whole number/);

    const badRegex = await runCli([
      'crawl',
      site.origin,
      '--include',
      '(',
      '--data-dir',
      join(dir.path, 'y'),
    ]);
    assert.equal(badRegex.code, 2);
    assert.match(badRegex.stderr, /invalid regular expression/);

    const file = join(dir.path, 'a-file');
    await writeFile(file, 'not a directory');
    const badDir = await runCli(['crawl', site.origin, '--data-dir', file]);
    assert.equal(badDir.code, 2);
    assert.match(badDir.stderr, /data dir .* is not usable/);
  });

  test('a second process on the same data dir is refused', async () => {
    const data = join(dir.path, 'busy');
    const slow = await startTestServer((_req, res) =>
      setTimeout(() => html(res, page('slow', [])), 3_000),
    );
    try {
      const first = spawnCli([
        'crawl',
        `${slow.origin}/`,
        '--delay',
        '0',
        '--data-dir',
        data,
        '--no-robots',
      ]);
      const firstDone = collect(first);
      await waitFor(() => slow.requests.length > 0, 10_000, 'first crawl to start');
      const second = await runCli(['crawl', `${slow.origin}/`, '--data-dir', data]);
      assert.equal(second.code, 2);
      assert.match(second.stderr, /in use by another trawl process/);
      assert.equal((await firstDone).code, 0);
    } finally {
      await slow.close();
    }
  });
});
