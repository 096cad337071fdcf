/**
 * XLSX and Parquet are written streaming: 200,000 rows take about the memory 20,000
 * do. Each export runs in a child process of its own, measured by its peak RSS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../../support/temp-dir.js';

const run = promisify(execFile);

/** The child: writes `n` page-like rows through the page export, prints its peak RSS. */
const CHILD = `
const [, modUrl, format, n, out] = process.argv;
const { writeExport } = await import(modUrl);
async function* pages(count) {
  for (let i = 0; i < count; i++) {
    yield {
      url: 'http://mem.test/section-' + (i % 97) + '/page-' + i + '.html', finalUrl: null,
      status: 200, title: 'Page ' + i + ' of a fairly ordinary title', depth: i % 6,
      contentType: 'text/html', fetchedAt: 1700000000000 + i, error: null, errorMessage: null,
      attempts: 1, etag: '"' + i.toString(16) + '"', lastModified: null,
      contentHash: i.toString(16).padStart(40, '0'), contentLength: 8000 + (i % 1000),
      charset: 'utf-8', canonicalUrl: null, linkCount: i % 50, durationMs: i % 40,
      headers: {}, body: null,
    };
  }
}
await writeExport(pages(Number(n)), out, format);
process.stdout.write(String(process.resourceUsage().maxRSS * 1024));
`;

const MB = 1024 * 1024;

async function peakRss(format: string, rows: number, out: string): Promise<number> {
  const mod = new URL('../../../src/storage/export/write-export.js', import.meta.url).href;
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', CHILD, mod, format, String(rows), out],
    { maxBuffer: 1024 * 1024 },
  );
  return Number(stdout);
}

describe('streaming exports keep memory bounded', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  before(async () => (dir = await tempDir('trawl-export-mem-')));
  after(() => dir.cleanup());

  for (const format of ['xlsx', 'parquet']) {
    test(`${format}: 200k rows peak within 64 MiB of 20k rows`, async (t) => {
      const small = await peakRss(format, 20_000, join(dir.path, `small.${format}`));
      const big = await peakRss(format, 200_000, join(dir.path, `big.${format}`));
      t.diagnostic(
        `peak RSS: 20k rows ${(small / MB).toFixed(0)} MiB, 200k rows ${(big / MB).toFixed(0)} MiB`,
      );
      const { size } = await stat(join(dir.path, `big.${format}`));
      assert.ok(size > 1 * MB, `the file holds the rows (${size} bytes)`);
      assert.ok(
        big - small < 64 * MB,
        `peak RSS ${(small / MB).toFixed(0)} MiB for 20k rows, ${(big / MB).toFixed(0)} MiB for 200k`,
      );
    });
  }
});
