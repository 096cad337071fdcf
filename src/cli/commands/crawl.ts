/**
 * `trawl crawl <url...>`: flags -> crawl spec -> an embedded run, or, with Redis and
 * PostgreSQL configured (--redis/--database, TRAWL_REDIS_URL/TRAWL_DATABASE_URL or the
 * config file), the same crawl run by the cluster.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { CrawlSpecInput } from '../../config/crawl-spec.js';
import { parseCrawlSpec } from '../../config/parse-spec.js';
import { distributedServices } from '../../config/runtime-config.js';
import { createLogger } from '../../log/logger.js';
import { captchaKeyFromEnv } from '../../main/anti-blocking.js';
import { runDistributedCrawl } from '../../main/distributed-crawl.js';
import { processConfig } from '../../main/process-config.js';
import { runCrawl, type CrawlSummary } from '../../main/run-crawl.js';
import {
  EXPORT_FORMATS,
  formatNeedsBodies,
  type ExportFormat,
} from '../../storage/export/record-writer.js';
import { collect, exportFormat, floatFlag, intFlag } from '../options.js';
import { EXTRACT_FORMATS, type ExtractFormat } from '../../extract/extract-fields.js';
import { validateJobPipeline } from '../../main/job-pipeline.js';
import { readPipelineFile } from '../../pipeline/pipeline-file.js';
import { UsageError } from '../../core/errors.js';
import { progressReporter, summaryText } from '../progress.js';

interface CrawlFlags {
  out?: string;
  format?: ExportFormat;
  dataDir?: string;
  redis?: string;
  database?: string;
  workers: number;
  job?: string;
  config?: string;
  httpPort?: number;
  maxPages?: number;
  maxDepth?: number;
  concurrency?: number;
  delay?: number;
  hostConcurrency?: number;
  scope?: 'host' | 'domain' | 'any';
  include?: string[];
  exclude?: string[];
  userAgent?: string;
  robots: boolean;
  sitemaps?: boolean;
  respectNofollow?: boolean;
  keepQueryOrder?: boolean;
  maxRetries?: number;
  timeout?: number;
  firstByteTimeout?: number;
  dedup?: 'exact' | 'bloom';
  bloomCapacity?: number;
  bloomFpr?: number;
  lease?: number;
  maxBodyBytes?: number;
  maxRedirects?: number;
  engine?: 'http' | 'browser' | 'auto';
  waitUntil?: 'load' | 'domcontentloaded' | 'networkidle';
  waitFor?: string;
  waitMs?: number;
  viewport?: { width: number; height: number };
  screenshot?: 'viewport' | 'fullPage' | true;
  pdf?: boolean;
  errorScreenshots?: boolean;
  artifacts?: string;
  sessions?: boolean;
  maxSessions?: number;
  proxy?: string[];
  proxyFile?: string;
  proxyListUrl?: string;
  proxyDirect?: boolean;
  proxyCheckUrl?: string;
  randomDelay?: [number, number];
  captchaKey?: string;
  captchaApiUrl?: string;
  storeBody?: boolean;
  parseWorkers?: number;
  extract?: string;
  pipeline?: string;
  fresh?: boolean;
  progress: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  statsJson?: string;
}

export function registerCrawlCommand(program: Command): void {
  program
    .command('crawl')
    .description('crawl from one or more start URLs into the data dir (resumes if interrupted)')
    .argument('<url...>', 'start URLs (http or https)')
    .option('-o, --out <file>', 'write every stored page to FILE when the crawl ends')
    .addOption(
      new Option(
        '--format <format>',
        'output format (default: from --out extension, else jsonl; warc keeps bodies)',
      ).choices(EXPORT_FORMATS),
    )
    .option('-d, --data-dir <dir>', 'where the crawl state (SQLite) lives (default ./trawl-data)')
    .option('--redis <url>', 'distributed mode: Redis (redis://host:port or redis+cluster://...)')
    .option('--database <url>', 'distributed mode: PostgreSQL (postgres://user@host/db)')
    .option(
      '--workers <n>',
      'distributed mode: workers run in this process (0: only separately started ones)',
      intFlag(0),
      1,
    )
    .option('--job <id>', 'distributed mode: the job id (default: derived from the start URLs)')
    .addOption(
      new Option(
        '--dedup <kind>',
        'distributed mode: seen URLs exact (~15 B each) or in a Bloom filter (fixed size, may skip a few)',
      ).choices(['exact', 'bloom']),
    )
    .option('--bloom-capacity <n>', 'Bloom filter size in URLs (default 100000000)', intFlag(1000))
    .option('--bloom-fpr <p>', 'Bloom filter false-positive rate (default 0.001)', floatFlag)
    .option('--config <file>', 'JSON file of runtime settings (see README)')
    .option(
      '--http-port <port>',
      'distributed mode: /health and /metrics port (default 9464)',
      intFlag(0),
    )
    .option('--max-pages <n>', 'stop after N pages (whole crawl, across resumes)', intFlag(1))
    .option('--max-depth <n>', 'do not follow links deeper than N from a seed', intFlag(0))
    .option('-c, --concurrency <n>', 'requests in flight at once (default 32)', intFlag(1))
    .option('--delay <ms>', 'minimum gap between requests to one host (default 250)', intFlag(0))
    .option(
      '--host-concurrency <n>',
      'requests in flight per host (default 1 if --delay > 0)',
      intFlag(1),
    )
    .addOption(
      new Option('--scope <scope>', 'which links to follow (default host)').choices([
        'host',
        'domain',
        'any',
      ]),
    )
    .option('--include <regex>', 'follow only URLs matching (repeatable)', collect)
    .option('--exclude <regex>', 'never follow URLs matching (repeatable)', collect)
    .option('--user-agent <ua>', 'User-Agent header (robots.txt rules are matched on "trawl")')
    .option('--no-robots', 'ignore robots.txt')
    .option('--sitemaps', "also seed from the start hosts' sitemaps")
    .option('--respect-nofollow', 'skip rel=nofollow links')
    .option('--keep-query-order', 'do not sort query parameters when deduplicating URLs')
    .option(
      '--max-retries <n>',
      'retries for network errors, 5xx, 408, 429 (default 3)',
      intFlag(0),
    )
    .option('--timeout <ms>', 'deadline for one fetch, body included (default 60000)', intFlag(1))
    .option(
      '--first-byte-timeout <ms>',
      "deadline for a response's first byte (default 15000)",
      intFlag(1),
    )
    .option(
      '--lease <ms>',
      "how long a worker's claim on a URL lasts unrenewed (default 30000)",
      intFlag(1000),
    )
    .option('--max-body-bytes <n>', 'largest page accepted (default 10485760)', intFlag(1024))
    .option('--max-redirects <n>', 'redirect hops followed (default 10)', intFlag(0))
    .addOption(
      new Option(
        '--engine <engine>',
        'http; browser: load pages in the system Chromium, scripts run; auto: HTTP, and the browser where rendering adds links or text (default http)',
      ).choices(['http', 'browser', 'auto']),
    )
    .addOption(
      new Option(
        '--wait-until <event>',
        'browser, auto: when a page counts as loaded (default load)',
      ).choices(['load', 'domcontentloaded', 'networkidle']),
    )
    .option('--wait-for <selector>', 'browser, auto: also wait for this CSS selector')
    .option('--wait-ms <ms>', 'browser, auto: then wait this much longer (default 0)', intFlag(0))
    .option('--viewport <WxH>', "browser, auto: the pages' viewport (default 1280x800)", sizeFlag)
    .addOption(
      new Option(
        '--screenshot [what]',
        'browser, auto: a PNG of each rendered page, viewport or fullPage (default viewport); the record names it in fields.screenshot',
      ).choices(['viewport', 'fullPage']),
    )
    .option('--pdf', 'browser, auto: a PDF of each rendered page (fields.pdf)')
    .option(
      '--error-screenshots',
      'browser, auto: a PNG of each page that fails (timeout, navigation error, status >= 400), in fields.errorScreenshot',
    )
    .option(
      '--artifacts <dir|s3://bucket/prefix>',
      'where screenshots and PDFs go (default <data dir>/artifacts; s3: credentials from AWS_* and TRAWL_S3_ENDPOINT)',
    )
    .option(
      '--sessions',
      'anti-blocking sessions: browser header sets, cookies and a proxy each; a blocked session is replaced and the page retried',
    )
    .option('--max-sessions <n>', 'sessions at once (default 20)', intFlag(1))
    .option(
      '--proxy <url>',
      'send requests through this proxy (repeatable; http://[user:pass@]host:port)',
      collect,
    )
    .option('--proxy-file <file>', 'proxies from a file, one per line (`tier=N URL` for tiers)')
    .option(
      '--proxy-list-url <url>',
      'proxies from a provider URL, reloaded every PROXY_UPDATE_INTERVAL_SECONDS (default 300)',
    )
    .option('--proxy-direct', 'connect directly when no proxy is available')
    .option('--proxy-check-url <url>', 'health-check each proxy by fetching this URL through it')
    .option(
      '--random-delay <min-max>',
      'a random pause before each page request, ms, on top of --delay (e.g. 100-1000)',
      rangeFlag,
    )
    .option(
      '--captcha-key <key>',
      'with --sessions: solve CAPTCHA block pages with this 2Captcha key and submit their form (default TRAWL_CAPTCHA_KEY)',
    )
    .option(
      '--captcha-api-url <url>',
      'the CAPTCHA service API, for a compatible self-hosted one (default https://api.2captcha.com)',
    )
    .option('--store-body', 'keep page bodies in the data dir')
    .option(
      '--extract <formats>',
      `add fields to each page record: comma-separated ${EXTRACT_FORMATS.join(',')} (see docs/pipeline.md)`,
    )
    .option(
      '--pipeline <file>',
      'run a chain of handlers (YAML or JSON file: chain or steps, handlers, extract) on every page',
    )
    .option(
      '--parse-workers <n>',
      'HTML parser threads, 0 = main thread (default cores-1; cores with --extract)',
      intFlag(0),
    )
    .option('--fresh', 'discard the crawl in the data dir and start over')
    .option('--no-progress', 'no progress display')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('warn'),
    )
    .option('--stats-json <file>', 'write the run summary as JSON to FILE')
    .action(async (urls: string[], flags: CrawlFlags) => {
      const format = exportFormat(flags.format, flags.out);
      const input: CrawlSpecInput = {
        seeds: urls,
        maxPages: flags.maxPages,
        maxDepth: flags.maxDepth,
        concurrency: flags.concurrency,
        delayMs: flags.delay,
        hostConcurrency: flags.hostConcurrency,
        scope: flags.scope,
        include: flags.include,
        exclude: flags.exclude,
        userAgent: flags.userAgent,
        robots: flags.robots,
        sitemaps: flags.sitemaps,
        respectNofollow: flags.respectNofollow,
        sortQuery: flags.keepQueryOrder === true ? false : undefined,
        maxRetries: flags.maxRetries,
        totalTimeoutMs: flags.timeout,
        firstByteTimeoutMs: flags.firstByteTimeout,
        leaseMs: flags.lease,
        dedup: flags.dedup,
        bloomCapacity: flags.bloomCapacity,
        bloomFpr: flags.bloomFpr,
        maxBodyBytes: flags.maxBodyBytes,
        maxRedirects: flags.maxRedirects,
        engine: flags.engine,
        browserWaitUntil: flags.waitUntil,
        browserWaitForSelector: flags.waitFor,
        browserWaitMs: flags.waitMs,
        browserViewport: flags.viewport,
        screenshot: flags.screenshot === true ? 'viewport' : flags.screenshot,
        pdf: flags.pdf,
        errorScreenshots: flags.errorScreenshots,
        artifacts: flags.artifacts,
        sessions: flags.sessions,
        maxSessions: flags.maxSessions,
        proxies: await proxyList(flags.proxy, flags.proxyFile),
        proxyListUrl: flags.proxyListUrl,
        proxyDirect: flags.proxyDirect,
        proxyCheckUrl: flags.proxyCheckUrl,
        randomDelayMs: flags.randomDelay,
        captchaKey: flags.captchaKey ?? captchaKeyFromEnv(),
        captchaApiUrl: flags.captchaApiUrl,
        // WARC is made of the bodies: a WARC export keeps them without --store-body.
        storeBody: flags.storeBody ?? (formatNeedsBodies(format) ? true : undefined),
        parseWorkers: flags.parseWorkers,
        ...(await pipelineFields(flags.extract, flags.pipeline)),
      };
      const spec = parseCrawlSpec(input);
      await validateJobPipeline(spec);
      const config = processConfig(flags.config, {
        redisUrl: flags.redis,
        databaseUrl: flags.database,
        dataDir: flags.dataDir,
        httpPort: flags.httpPort,
      });
      const services = distributedServices(config);
      const reporter = flags.progress ? progressReporter(process.stderr) : null;
      const log = createLogger(flags.logLevel);
      let summary: CrawlSummary;
      let where: string;
      const run = {
        // TRAWL_ARTIFACTS (or the config file) when --artifacts is not given.
        spec: spec.artifacts === null ? { ...spec, artifacts: config.artifacts } : spec,
        out: flags.out ?? null,
        format,
        fresh: flags.fresh === true,
        log,
        onProgress: reporter?.onProgress,
        progressIntervalMs: reporter?.intervalMs,
      };
      if (services === null) {
        summary = await runCrawl({ ...run, dataDir: config.dataDir });
        where = `data dir:   ${config.dataDir}`;
      } else {
        const distributed = await runDistributedCrawl({
          ...run,
          ...services,
          jobId: flags.job ?? null,
          config,
          workers: flags.workers,
        });
        summary = distributed;
        where = `job:        ${distributed.jobId} (Redis + PostgreSQL)`;
        if (distributed.deadLetters > 0) {
          where += `\n  WARNING:    ${distributed.deadLetters} results could not be stored (dead-letter stream)`;
        }
      }
      reporter?.clear();
      process.stderr.write(summaryText(summary, flags.out ?? null, where));
      if (flags.statsJson !== undefined)
        await writeFile(flags.statsJson, JSON.stringify(summary, null, 2));
      if (summary.result === 'interrupted') process.exitCode = 130;
    });
}

/**
 * The spec's `extract` and `pipeline` from `--extract` and `--pipeline FILE`: the file's
 * own `extract` settings, with `--extract` adding formats to them.
 */
async function pipelineFields(
  extractFlag: string | undefined,
  pipelineFile: string | undefined,
): Promise<Pick<CrawlSpecInput, 'extract' | 'pipeline'>> {
  const pipeline = pipelineFile === undefined ? null : await readPipelineFile(pipelineFile);
  const formats = new Set<ExtractFormat>(pipeline?.extract?.formats ?? []);
  for (const f of (extractFlag ?? '').split(',').map((x) => x.trim())) {
    if (f === '') continue;
    if (!(EXTRACT_FORMATS as readonly string[]).includes(f)) {
      throw new UsageError(
        `--extract: unknown format "${f}" (choose from ${EXTRACT_FORMATS.join(', ')})`,
      );
    }
    formats.add(f as ExtractFormat);
  }
  const settings = pipeline?.extract;
  const extract =
    formats.size === 0 && settings === undefined ? null : { ...settings, formats: [...formats] };
  // A file with only extraction settings runs no chain.
  const runsChain =
    pipeline !== null &&
    (pipeline.chain !== undefined ||
      pipeline.steps !== undefined ||
      pipeline.minQuality !== undefined);
  if (!runsChain) return { extract };
  // The spec carries the chain itself; its extract settings live in spec.extract.
  const { extract: _extract, ...chain } = pipeline;
  return { extract, pipeline: chain };
}

/** `--random-delay 100-1000` (or one number: 0 to it). */
/** `1280x800` as a viewport. */
function sizeFlag(value: string): { width: number; height: number } {
  const m = /^(\d{2,5})[x×](\d{2,5})$/.exec(value.trim());
  if (m === null) {
    throw new InvalidArgumentError(`expected WIDTHxHEIGHT in CSS pixels, e.g. 1280x800`);
  }
  return { width: Number(m[1]), height: Number(m[2]) };
}

function rangeFlag(value: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(value);
  if (m === null) throw new InvalidArgumentError('expected MIN-MAX in ms, e.g. 100-1000');
  const range: [number, number] =
    m[2] === undefined ? [0, Number(m[1])] : [Number(m[1]), Number(m[2])];
  if (range[0] > range[1]) throw new InvalidArgumentError('the minimum is above the maximum');
  return range;
}

/** --proxy values and the lines of --proxy-file (blank lines and # comments skipped). */
async function proxyList(
  flags: string[] | undefined,
  file: string | undefined,
): Promise<string[] | undefined> {
  if (flags === undefined && file === undefined) return undefined;
  const lines =
    file === undefined
      ? []
      : (
          await readFile(file, 'utf8').catch((err: unknown) => {
            throw new UsageError(`--proxy-file ${file}: ${(err as Error).message}`);
          })
        )
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'));
  return [...(flags ?? []), ...lines];
}
