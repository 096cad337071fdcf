/**
 * A whole crawl of the hostile test site, in the embedded default and in the distributed
 * mode (Redis + PostgreSQL, one in-process worker): the exact set of stored pages, what
 * each one records, and what the server saw (each page fetched once). One code path:
 * both modes must give the same answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CrawlSummary } from '../../src/main/run-crawl.js';
import { crawlDistributedInProcess, crawlInProcess } from '../support/crawl-in-process.js';
import { distributedSandbox, type DistributedSandbox } from '../support/distributed.js';
import {
  expectedPages,
  MAX_DEPTH,
  startHostileSite,
  type HostileSite,
} from '../support/hostile-site.js';
import { readJsonl, type OutputRow } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

for (const mode of ['embedded', 'distributed'] as const)
  describe(`crawling the hostile site (${mode})`, () => {
    let hostile: HostileSite;
    let dir: { path: string; cleanup: () => Promise<void> };
    let sandbox: DistributedSandbox | null = null;
    let rows: OutputRow[];
    let summary: CrawlSummary;

    before(async () => {
      hostile = await startHostileSite();
      dir = await tempDir();
      const out = join(dir.path, 'out.jsonl');
      if (mode === 'distributed') sandbox = await distributedSandbox();
      const crawl = sandbox === null ? crawlInProcess : crawlDistributedInProcess(sandbox);
      summary = await crawl(
        {
          seeds: [`${hostile.site.origin}/`],
          maxDepth: MAX_DEPTH,
          delayMs: 0,
          concurrency: 8,
          totalTimeoutMs: 1_000,
          maxBodyBytes: 1024 * 1024,
          maxRetries: 1,
          retryBaseMs: 100,
          parseWorkers: 1,
        },
        dir.path,
        out,
      );
      rows = await readJsonl(out);
    });

    after(async () => {
      await hostile.close();
      await dir.cleanup();
      await sandbox?.cleanup();
    });

    test('stores exactly the expected pages, once each', () => {
      const origin = hostile.site.origin;
      const expected = expectedPages();
      const got = rows.map((r) => r.url.slice(origin.length)).sort();
      assert.deepEqual(got, [...expected.keys()].sort());
      assert.equal(summary.result, 'complete');
      assert.equal(summary.pagesStored, expected.size);
    });

    test('each page records the outcome a user expects', () => {
      const origin = hostile.site.origin;
      for (const [path, want] of expectedPages()) {
        const row = rows.find((r) => r.url === origin + path);
        assert.ok(row, `missing ${path}`);
        assert.equal(row.error, want.error, `error of ${path}`);
        assert.equal(row.status, want.status, `status of ${path}`);
        if (want.title !== undefined) assert.equal(row.title, want.title, `title of ${path}`);
        if (want.finalPath !== undefined)
          assert.equal(row.finalUrl, origin + want.finalPath, `finalUrl of ${path}`);
        assert.ok(!Number.isNaN(Date.parse(row.fetchedAt)), `fetchedAt of ${path}`);
      }
      const pdf = rows.find((r) => r.url.endsWith('/file.pdf'))!;
      assert.equal(pdf.contentType, 'application/pdf');
      assert.match(pdf.contentHash ?? '', /^[0-9a-f]{40}$/);
    });

    test('the server saw each page once (dedup of equivalent spellings and redirects)', () => {
      const s = hostile.site;
      for (const path of [
        '/',
        '/a',
        '/chain/1',
        `/chain/6`,
        '/redirect/1',
        '/redirect/2',
        '/redirect/3',
        '/redirect-target',
        '/moved',
        '/latin1',
        '/gbk',
        '/based/child',
        '/file.pdf',
        '/missing',
      ]) {
        assert.equal(s.hits(path), 1, `hits of ${path}`);
      }
      assert.equal(s.hits('/q?a=1&b=2') + s.hits('/q?b=2&a=1'), 1, 'query spellings');
      assert.equal(s.hits('/robots.txt'), 1, 'robots.txt fetched once');
      assert.equal(s.hits('/private/secret'), 0, 'robots Disallow obeyed');
      assert.equal(s.hits('/never-parsed'), 0, 'non-HTML bodies are not parsed');
      assert.equal(s.hits(`/calendar/${MAX_DEPTH + 1}`), 0, 'max depth bounds the trap');
      assert.equal(hostile.other.requests.length, 0, 'out-of-scope redirect not followed');
    });

    test('retries: 5xx and 429 retried once, Retry-After honoured, 404 not retried', () => {
      const s = hostile.site;
      assert.equal(s.hits('/flaky'), 2);
      assert.equal(s.hits('/throttled'), 2);
      const times = s.requests.filter((r) => r.path === '/throttled').map((r) => r.at);
      assert.ok(
        times[1]! - times[0]! >= 990,
        `Retry-After: 1 honoured (gap ${times[1]! - times[0]!} ms)`,
      );
      assert.equal(s.hits('/missing'), 1);
      assert.equal(s.hits('/slow'), 2, 'timeouts are retried (maxRetries 1)');
      const flaky = rows.find((r) => r.url.endsWith('/flaky'))!;
      assert.equal(flaky.attempts, 2);
    });

    test('hostile bodies are cut short', () => {
      assert.ok(
        hostile.hugeBytesSent() < 20 * 1024 * 1024,
        `sent ${hostile.hugeBytesSent()} bytes of /huge`,
      );
    });
  });
