/**
 * `trawl demo`: serves a sample site on loopback and crawls it with the embedded default,
 * so a real crawl can be seen on any machine, even one without internet.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseCrawlSpec } from '../../config/parse-spec.js';
import { startSampleSite } from '../../demo/sample-site.js';
import { createLogger } from '../../log/logger.js';
import { runCrawl } from '../../main/run-crawl.js';
import { intFlag } from '../options.js';
import { progressReporter, summaryText } from '../progress.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start a sample site on 127.0.0.1 and crawl it (no internet needed)')
    .option('-o, --out <file>', 'where to write the crawled pages', 'trawl-demo.jsonl')
    .option('-c, --concurrency <n>', 'requests in flight', intFlag(1), 16)
    .action(async (flags: { out: string; concurrency: number }) => {
      const site = await startSampleSite({ host: '127.0.0.1', port: 0 });
      const dataDir = await mkdtemp(join(tmpdir(), 'trawl-demo-'));
      try {
        process.stderr.write(`Sample site on ${site.url} — crawling it into ${dataDir}\n`);
        const spec = parseCrawlSpec({
          seeds: [site.url],
          delayMs: 0,
          concurrency: flags.concurrency,
          sitemaps: true,
        });
        const reporter = progressReporter(process.stderr, 1_000);
        const summary = await runCrawl({
          spec,
          dataDir,
          out: flags.out,
          format: 'jsonl',
          fresh: false,
          log: createLogger('warn'),
          onProgress: reporter.onProgress,
          progressIntervalMs: reporter.intervalMs,
        });
        reporter.clear();
        process.stderr.write(
          summaryText(summary, flags.out, `data dir:   ${dataDir} (temporary, removed at exit)`),
        );
        const rows = (await readFile(flags.out, 'utf8')).trim().split('\n').slice(0, 8);
        process.stdout.write('\nFirst pages of the output:\n');
        for (const line of rows) {
          const r = JSON.parse(line) as {
            status: number | null;
            url: string;
            title: string | null;
            error: string | null;
          };
          process.stdout.write(
            `  ${String(r.status ?? '-').padEnd(4)} ${r.url}  ${r.error ?? r.title ?? ''}\n`,
          );
        }
        process.stdout.write(`\nNext: trawl crawl https://example.com --out pages.jsonl\n`);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
        await site.close();
      }
    });
}
