/**
 * The crawl benchmark BENCHMARKS.md cites:
 *
 *   npm run bench -- --pages 20000 --concurrency 64 [--rounds 3] [-- <extra crawler flags>]
 *
 * Starts the synthetic site (bench/site/serve) in one child process and the crawler in
 * another, so each one's CPU is its own; measures wall time, pages delivered, CPU and peak
 * RSS of the crawler; checks the output against the site; prints a table and writes
 * bench/results/<timestamp>.json.
 *
 * `--crawler-cmd "<template>"` runs another crawler instead of Trawl's CLI. Placeholders:
 * {url} (site origin), {start} (the start page URL), {out} (JSON-lines file to write, one
 * record per page with at least url and status), {dataDir}, {tmp}, {concurrency}, {pages}.
 * Arguments after `--` are appended to the command.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { expandCommand } from './lib/command-template.js';
import { assessRound, printRound, writeCrawlReport } from './lib/crawl-report.js';
import type { RoundResult } from './lib/crawl-report.js';
import { readProcStats } from './lib/proc-stats.js';
import { readCrawlOutput } from './lib/read-crawl-output.js';
import { hasGnuTime, runMeasured } from './lib/run-measured.js';
import type { MeasureMethod } from './lib/run-measured.js';
import { startSiteProcess } from './lib/site-process.js';
import { createSiteModel } from './site/site-model.js';

const dashdash = process.argv.indexOf('--', 2);
const ownArgs = dashdash === -1 ? process.argv.slice(2) : process.argv.slice(2, dashdash);
const extraArgs = dashdash === -1 ? [] : process.argv.slice(dashdash + 1);
const { values } = parseArgs({
  args: ownArgs,
  options: {
    pages: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '0' },
    'crawler-cmd': { type: 'string' },
    label: { type: 'string' },
    measure: { type: 'string' },
    'timeout-s': { type: 'string', default: '1800' },
    'tmp-dir': { type: 'string', default: tmpdir() },
    'results-dir': { type: 'string', default: 'bench/results' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(`usage: node dist/bench/run.js [options] [-- extra crawler flags]
  --pages N            site size, / included (default 20000)
  --concurrency N      passed to the crawler (default 64)
  --rounds N           repeat; report median and min–max (default 1)
  --seed N             site variant (default 1)
  --latency-ms MS      server-side delay per response (default 0)
  --crawler-cmd "..."  another crawler; placeholders {url} {start} {out} {dataDir} {tmp}
                       {concurrency} {pages}; it must write JSON lines with url and status
                       to {out} (else pages are counted from server hits)
  --label NAME         stored in the results file (default trawl, or custom)
  --measure M          gnu-time | proc-poll (default gnu-time when /usr/bin/time is GNU)
  --timeout-s S        kill a round after S seconds (default 1800)
  --tmp-dir DIR        where each round's data dir and output go (default OS tmp)
  --results-dir DIR    where <timestamp>.json goes (default bench/results)
  --keep               keep each round's tmp dir`);
  process.exit(0);
}

const pages = positiveInt('pages');
const seed = positiveInt('seed');
const concurrency = positiveInt('concurrency');
const rounds = positiveInt('rounds');
const latencyMs = Number(values['latency-ms']);
const measure = values.measure as MeasureMethod | undefined;
if (measure !== undefined && measure !== 'gnu-time' && measure !== 'proc-poll') {
  fail(`--measure must be gnu-time or proc-poll, got "${measure}"`);
}
if (measure === 'gnu-time' && !hasGnuTime())
  fail('--measure gnu-time: /usr/bin/time is not GNU time');

// Trawl's CLI, resolved next to this file: dist/bench/run.js -> dist/src/cli/main.js.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const trawlCli = fileURLToPath(new URL(`../src/cli/main${ext}`, import.meta.url));
const template =
  values['crawler-cmd'] ??
  [
    ...[process.execPath, ...process.execArgv, trawlCli].map(quote),
    'crawl {start} --delay 0 --concurrency {concurrency} --data-dir {dataDir}',
    '--out {out} --max-depth 1000 --format jsonl',
  ].join(' ');
const label = values.label ?? (values['crawler-cmd'] ? 'custom' : 'trawl');
const placeholders = ['url', 'start', 'out', 'dataDir', 'tmp', 'concurrency', 'pages'];
try {
  // Catch a bad template before starting anything.
  expandCommand(template, Object.fromEntries(placeholders.map((p) => [p, p])));
} catch (err) {
  fail((err as Error).message);
}

const model = createSiteModel({ pages, seed });
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());

const loadBefore = loadavg()[0] ?? 0;
const site = await startSiteProcess({ pages, seed, latencyMs });
const results: RoundResult[] = [];
let command: string[] = [];
try {
  for (let round = 1; round <= rounds && !abort.signal.aborted; round++) {
    const tmp = mkdtempSync(join(values['tmp-dir'], 'trawl-bench-'));
    try {
      command = [
        ...expandCommand(template, {
          url: site.url,
          start: `${site.url}/`,
          out: join(tmp, 'out.jsonl'),
          dataDir: join(tmp, 'data'),
          tmp,
          concurrency: String(concurrency),
          pages: String(pages),
        }),
        ...extraArgs,
      ];
      await site.resetStats();
      const serverBefore = readProcStats(site.pid);
      const run = await runMeasured({
        argv: command,
        stdoutFile: join(tmp, 'crawler.stdout.log'),
        stderrFile: join(tmp, 'crawler.stderr.log'),
        timeoutMs: Number(values['timeout-s']) * 1000,
        method: measure,
        signal: abort.signal,
      });
      const result = assessRound({
        round,
        pages,
        run,
        output: await readCrawlOutput(join(tmp, 'out.jsonl'), model),
        server: await site.stats(),
        serverBefore,
        serverAfter: readProcStats(site.pid),
      });
      results.push(result);
      printRound(result, rounds, pages);
      if (result.warnings.length > 0 || run.exitCode !== 0) printStderrTail(tmp);
    } finally {
      if (values.keep) console.log(`kept ${tmp}`);
      else rmSync(tmp, { recursive: true, force: true });
    }
  }
} finally {
  await site.stop();
}
if (results.length > 0) {
  const { file, valid } = writeCrawlReport(
    values['results-dir'],
    {
      label,
      commit: gitCommit(),
      machine: {
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        // On a shared machine, figures measured under load are lower bounds.
        loadAverage1mBefore: loadBefore,
      },
      site: { pages, seed, latencyMs },
      concurrency,
      // Round tmp dirs differ every run; keep the file diffable.
      command: command.map((a) => a.replace(/trawl-bench-[A-Za-z0-9]+/g, 'trawl-bench-XXXX')),
    },
    results,
  );
  console.log(`\nwrote ${file}${valid ? '' : '  (INVALID: see warnings)'}`);
  if (!valid) process.exitCode = 1;
}

function printStderrTail(tmp: string): void {
  try {
    const lines = readFileSync(join(tmp, 'crawler.stderr.log'), 'utf8').trimEnd().split('\n');
    if (lines.length === 1 && lines[0] === '') return;
    console.warn(`crawler stderr (last 15 lines):\n${lines.slice(-15).join('\n')}`);
  } catch {
    // no stderr file: nothing to show
  }
}

function gitCommit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    const dirty = execFileSync('git', ['status', '--porcelain'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return head.trim() + (dirty.trim() ? '-dirty' : '');
  } catch {
    return null;
  }
}

function positiveInt(name: 'pages' | 'seed' | 'concurrency' | 'rounds'): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1)
    fail(`--${name} must be a positive integer, got "${values[name]}"`);
  return n;
}

/** Quotes one argv word for the template, so paths with spaces survive splitting. */
function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}
