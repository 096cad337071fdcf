/**
 * Export writers alone: N synthetic page records (as a crawl stores them, no bodies;
 * with bodies of ~8 KiB for WARC) written in every format, in rows/s, file size and
 * peak RSS. Each format runs in a child process of its own, so one format's garbage or
 * heap growth does not show up in the next one's RSS.
 *
 *   npm run build && node dist/bench/export-formats.js [--records 100000] [--formats jsonl,csv]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PageRecord } from '../src/core/types.js';
import { EXPORT_FORMATS, type ExportFormat } from '../src/storage/export/record-writer.js';
import { writeExport } from '../src/storage/export/write-export.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    formats: { type: 'string', default: EXPORT_FORMATS.join(',') },
    child: { type: 'string' },
    out: { type: 'string' },
  },
});
const records = Number(values.records);

/** A page like the crawl's: realistic field sizes, some failures, a body for WARC. */
export function syntheticPage(i: number, withBody: boolean): PageRecord {
  const failed = i % 50 === 49;
  const body =
    withBody && !failed ? Buffer.from(`<html><title>Page ${i}</title>`.padEnd(8192, 'x')) : null;
  return {
    url: `http://bench.test/section-${i % 97}/page-${i}.html?ref=${i % 7}`,
    finalUrl: failed ? null : `http://bench.test/section-${i % 97}/page-${i}.html?ref=${i % 7}`,
    status: failed ? null : 200,
    title: failed ? null : `Page ${i} — a "quoted", comma, title <with> & markup`,
    depth: i % 6,
    contentType: failed ? null : 'text/html; charset=utf-8',
    fetchedAt: 1_700_000_000_000 + i * 37,
    error: failed ? 'timeout' : null,
    errorMessage: failed ? 'no response within 15000 ms' : null,
    attempts: failed ? 4 : 1,
    etag: failed ? null : `"${(i * 2654435761).toString(16)}"`,
    lastModified: failed ? null : 'Tue, 14 Nov 2023 22:13:20 GMT',
    contentHash: failed ? null : (i * 2654435761).toString(16).padStart(40, '0'),
    contentLength: failed ? null : 8192 + (i % 1000),
    charset: failed ? null : 'utf-8',
    canonicalUrl: null,
    linkCount: failed ? 0 : 40 + (i % 20),
    durationMs: failed ? null : 12 + (i % 40),
    headers: failed ? {} : { 'content-type': 'text/html; charset=utf-8', server: 'bench' },
    body,
  };
}

async function* pages(n: number, withBody: boolean): AsyncIterable<PageRecord> {
  for (let i = 0; i < n; i++) yield syntheticPage(i, withBody);
}

if (values.child !== undefined) {
  const format = values.child as ExportFormat;
  const t0 = performance.now();
  await writeExport(pages(records, format === 'warc'), values.out!, format);
  const ms = performance.now() - t0;
  const { size } = await import('node:fs').then((fs) => fs.statSync(values.out!));
  process.stdout.write(
    JSON.stringify({ format, ms, bytes: size, peakRss: process.resourceUsage().maxRSS * 1024 }),
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-export-bench-'));
  const self = fileURLToPath(import.meta.url);
  console.log(`${records} page records per format (WARC: with 8 KiB bodies)\n`);
  console.log('| format  | rows/s  | time s | file MB | peak RSS MB |');
  console.log('|---------|--------:|-------:|--------:|------------:|');
  try {
    for (const format of values.formats.split(',') as ExportFormat[]) {
      const out = join(dir, `bench.${format}`);
      const res = JSON.parse(
        execFileSync(
          process.execPath,
          [self, '--child', format, '--records', String(records), '--out', out],
          {
            encoding: 'utf8',
          },
        ),
      ) as { ms: number; bytes: number; peakRss: number };
      const rate = Math.round((records * 1000) / res.ms);
      console.log(
        `| ${format.padEnd(7)} | ${String(rate).padStart(7)} | ${(res.ms / 1000).toFixed(2).padStart(6)} | ` +
          `${(res.bytes / 1e6).toFixed(1).padStart(7)} | ${(res.peakRss / 1e6).toFixed(0).padStart(11)} |`,
      );
      rmSync(out, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
