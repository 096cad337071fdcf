/**
 * The crawl job spec: every option a `trawl crawl` flag sets is a field here, so the
 * service (later) accepts exactly the same job as the CLI. Units are in the names.
 */
import { z } from 'zod';

export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (compatible; trawl/0.1; +https://github.com/trawl-crawler/trawl)';

/** 2Captcha's API (createTask / getTaskResult). */
export const DEFAULT_CAPTCHA_API_URL = 'https://api.2captcha.com';

const regexSource = z.string().superRefine((src, ctx) => {
  try {
    new RegExp(src);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid regular expression ${JSON.stringify(src)}: ${(err as Error).message}`,
    });
  }
});

const count = (min: number) => z.number().int().min(min);

export const crawlSpecSchema = z.object({
  /** Start URLs (http/https). */
  seeds: z.array(z.string().min(1)).min(1),
  /** Stop after this many pages have been fetched (across resumes). null: no limit. */
  maxPages: count(1).nullable().default(null),
  /** Links farther than this from a seed are not followed (seeds are depth 0). null: no limit. */
  maxDepth: count(0).nullable().default(null),
  /** Requests in flight at once, over all hosts. */
  concurrency: count(1).max(10_000).default(32),
  /** Minimum gap between the starts of two requests to one host, ms. robots.txt Crawl-delay raises it. */
  delayMs: count(0).default(250),
  /** Requests in flight at once to one host. null: 1 when delayMs > 0, else `concurrency`. */
  hostConcurrency: count(1).nullable().default(null),
  /** host: same host as a seed; domain: same registrable domain; any: follow everything. */
  scope: z.enum(['host', 'domain', 'any']).default('host'),
  /** Only URLs matching at least one of these regexes are followed (seeds are always fetched). */
  include: z.array(regexSource).default([]),
  /** URLs matching any of these regexes are not followed. */
  exclude: z.array(regexSource).default([]),
  userAgent: z.string().min(1).default(DEFAULT_USER_AGENT),
  /** Obey robots.txt (RFC 9309). */
  robots: z.boolean().default(true),
  /** How long an unreachable robots.txt (5xx, network) blocks its host before a refetch, ms. */
  robotsRetryMs: count(0).default(600_000),
  /** Also seed the crawl from the sitemaps of the seeds' hosts (robots.txt Sitemap lines or /sitemap.xml). */
  sitemaps: z.boolean().default(false),
  /** Skip rel=nofollow links and links of meta-robots-nofollow pages. */
  respectNofollow: z.boolean().default(false),
  /** Sort query parameters when canonicalizing URLs (see docs/url-policy.md). */
  sortQuery: z.boolean().default(true),
  /** Retries after the first attempt, for network errors, timeouts, 5xx, 408 and 429. */
  maxRetries: count(0).max(20).default(3),
  /** First retry waits about this long; each next one twice as long (with jitter), ms. */
  retryBaseMs: count(0).default(1_000),
  /** Cap of one backoff wait, ms. */
  retryMaxMs: count(0).default(60_000),
  /** A Retry-After longer than this fails the page instead of waiting, ms. */
  maxRetryAfterMs: count(0).default(600_000),
  connectTimeoutMs: count(1).default(10_000),
  /**
   * Deadline from sending a request to its response's first byte (the headers), ms.
   * Shorter than the whole-fetch deadline: a server that never answers holds its host's
   * politeness slot this long per attempt, not totalTimeoutMs.
   */
  firstByteTimeoutMs: count(1).default(15_000),
  /** Longest silence between two body chunks, ms. */
  bodyTimeoutMs: count(1).default(30_000),
  /** Deadline for one fetch including redirects and body, ms. */
  totalTimeoutMs: count(1).default(60_000),
  /** Largest decoded body accepted, bytes. */
  maxBodyBytes: count(1024).default(10 * 1024 * 1024),
  /**
   * Which engine fetches pages. http: undici (fast; what the server sends). browser: the
   * system Chromium (playwright-core) loads each page, runs its scripts and the record
   * holds the rendered document. auto: HTTP first, and the browser for the pages and
   * URL patterns where rendering is measured to add links or text (docs/browser.md).
   */
  engine: z.enum(['http', 'browser', 'auto']).default('http'),
  /** Browser engine: when a page counts as loaded (Playwright's waitUntil). */
  browserWaitUntil: z.enum(['load', 'domcontentloaded', 'networkidle']).default('load'),
  /** Browser engine: also wait for this CSS selector (within totalTimeoutMs). */
  browserWaitForSelector: z.string().min(1).nullable().default(null),
  /** Browser engine: then wait this much longer, ms (within totalTimeoutMs). */
  browserWaitMs: count(0).max(60_000).default(0),
  /** Browser engine: the page's viewport, CSS pixels (screenshots are this wide). */
  browserViewport: z
    .strictObject({ width: count(200).max(7_680), height: count(200).max(4_320) })
    .default({ width: 1280, height: 800 }),
  /**
   * Browser engine: a screenshot of every page it renders (PNG), stored in `artifacts`
   * and named by the record's `fields.screenshot`. viewport: what a visitor sees first;
   * fullPage: the whole scrolled page. none: no screenshot. Under auto, pages fetched
   * over HTTP get none.
   */
  screenshot: z.enum(['none', 'viewport', 'fullPage']).default('none'),
  /** Browser engine: a PDF of every page it renders (print layout), `fields.pdf`. */
  pdf: z.boolean().default(false),
  /**
   * Browser engine: a screenshot of a page that failed (a timeout, a navigation error, or
   * an answer of 400 or more), `fields.errorScreenshot` of its record.
   */
  errorScreenshots: z.boolean().default(false),
  /**
   * Where screenshots and PDFs go: a directory, or `s3://bucket[/prefix]` (any
   * S3-compatible service; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
   * TRAWL_S3_ENDPOINT for one that is not AWS). Keys are `<jobId>/<sha1 of URL>-<kind>`.
   * null: the process's default (the CLI: `<data dir>/artifacts`; the service: its own).
   */
  artifacts: z.string().min(1).nullable().default(null),
  maxRedirects: count(0).max(50).default(10),
  /**
   * Anti-blocking sessions (docs/anti-blocking.md): each request is made as one of up to
   * maxSessions visitors, each with a browser header set, its own cookies and a proxy;
   * a session answered 401/403/429 or a block page is retired and the page retried with
   * a fresh one. With userAgent set to anything but the default, every set uses it.
   */
  sessions: z.boolean().default(false),
  maxSessions: count(1).max(10_000).default(20),
  /** Requests a session serves before it is replaced. */
  sessionMaxUsage: count(1).default(50),
  /**
   * Proxies requests go through (`http://[user:pass@]host:port`, `host:port`, or
   * `tier=N URL`): a pool that scores, benches and (with proxyCheckUrl) health-checks
   * them, shared by every worker of a distributed job.
   */
  proxies: z.array(z.string().min(1)).default([]),
  /** A provider URL serving the proxy list, reloaded every PROXY_UPDATE_INTERVAL_SECONDS. */
  proxyListUrl: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .default(null),
  /** Connect directly when no proxy is available (all benched or dead). */
  proxyDirect: z.boolean().default(false),
  /** Health checks: GET this URL through each proxy (none: proxies are judged by use only). */
  proxyCheckUrl: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .default(null),
  /**
   * A random pause before each page request, [min, max] ms, on top of the politeness
   * delay (never instead of it). null: none.
   */
  randomDelayMs: z
    .tuple([count(0).max(60_000), count(0).max(60_000)])
    .refine(([min, max]) => min <= max, 'the minimum is above the maximum')
    .nullable()
    .default(null),
  /** The CAPTCHA-solving service whose API captchaApiUrl speaks (docs/anti-blocking.md). */
  captchaProvider: z.enum(['2captcha']).default('2captcha'),
  /**
   * The solving service's API key: with sessions, a block page showing a reCAPTCHA,
   * hCaptcha or Turnstile widget in a form is solved and the form submitted, once per
   * session. null: a CAPTCHA page fails as `blocked`. Stored with the job's spec.
   */
  captchaKey: z.string().min(1).nullable().default(null),
  /** The solving service's API base URL (a self-hosted compatible one, a test's fake). */
  captchaApiUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_CAPTCHA_API_URL),
  /** Keep each page's decoded body in the store. */
  storeBody: z.boolean().default(false),
  /**
   * How long a lease lasts without renewal, ms. Workers renew their leases every third
   * of it; a worker that dies (or stalls longer) gives its URLs back after this long.
   */
  leaseMs: count(1_000).max(3_600_000).default(30_000),
  /**
   * Distributed mode: how the job remembers seen URLs in Redis. exact: fingerprints in
   * small hashes (~15 bytes per URL, no URL ever lost to a false match in practice);
   * bloom: a Bloom filter of fixed size (bloomCapacity URLs at bloomFpr), ~1.2-1.8 bytes
   * per URL, but a new URL is taken for seen (and never crawled) with probability up to
   * bloomFpr. The embedded mode is always exact.
   */
  dedup: z.enum(['exact', 'bloom']).default('exact'),
  /** URLs the Bloom filter is sized for (its false-positive rate grows past it). */
  bloomCapacity: count(1_000).max(400_000_000).default(100_000_000),
  /** The Bloom filter's false-positive rate at bloomCapacity URLs. */
  bloomFpr: z.number().gt(0).lt(0.5).default(0.001),
  /**
   * Parse worker threads; 0 parses on the main thread. null: 0 for a small job (maxPages
   * <= 100, or maxDepth 0 with <= 100 seeds), else cores - 1 (at least 1), cores when extracting.
   */
  parseWorkers: count(0).max(64).nullable().default(null),
  /**
   * What to extract from every HTML page into its record (Markdown, text, metadata,
   * structured data, links, site-adapter fields), in the parse workers. null: nothing
   * (the plain crawl: title and links only).
   */
  extract: z
    .strictObject({
      formats: z.array(z.enum(['markdown', 'metadata', 'structured', 'links', 'text'])).default([]),
      /** Markdown/text of the main content only (navigation, footers, banners dropped). */
      onlyMainContent: z.boolean().default(true),
      /** CSS selectors: render only matching elements. */
      includeSelectors: z.array(z.string().min(1)).default([]),
      /** CSS selectors: leave matching elements out. */
      excludeSelectors: z.array(z.string().min(1)).default([]),
      /** Keep images in Markdown. */
      images: z.boolean().default(true),
      /** Site adapters (src/extract/adapters): declarative rules checked when the job starts. */
      adapters: z.array(z.looseObject({})).default([]),
    })
    .nullable()
    .default(null),
  /**
   * The chain of handlers run on every page record (a pipeline file's content: chain or
   * steps, handlers, options; see docs/pipeline.md), checked when the job starts (and by
   * validateJobPipeline). Handler module paths must be absolute, or relative to the
   * working directory of every process that runs the job. null: no chain.
   */
  pipeline: z.looseObject({}).nullable().default(null),
  /**
   * Incremental recrawl: the earlier job (of the same service) this crawl is compared
   * against. Every URL that job stored is queued again at its depth; each request for a
   * page it fetched carries its ETag / Last-Modified (If-None-Match / If-Modified-Since),
   * and each record gets `fields.change`: new, changed, unchanged (a 304, or the same
   * content hash) or gone (404/410 where the baseline had the page). null: a plain crawl.
   */
  baseline: z
    .strictObject({
      jobId: z
        .string()
        .max(200)
        .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'a job id (letters, digits, . _ : -)'),
    })
    .nullable()
    .default(null),
  /**
   * The SSRF guard (src/fetch/http/address-guard.ts, docs/security.md): refuse every
   * fetch (seeds, redirect hops, links, robots.txt, sitemaps) that reaches a loopback,
   * private, link-local, CGNAT, reserved or metadata address, except those `allow`
   * names (CIDR ranges, addresses, host names, `*.` wildcards). null: no guard, which is
   * what the CLI uses. The service sets it on every job it accepts from a client, from
   * its TRAWL_ALLOW_TARGETS config; clients cannot set it.
   */
  addressGuard: z
    .strictObject({ allow: z.array(z.string().min(1)).default([]) })
    .nullable()
    .default(null),
});

export type CrawlSpec = z.infer<typeof crawlSpecSchema>;
export type CrawlSpecInput = z.input<typeof crawlSpecSchema>;
