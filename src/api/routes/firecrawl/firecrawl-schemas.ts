/**
 * The request shapes of the Firecrawl-compatible API (v2, and v1 with its older field
 * names). Loose objects: keys Trawl does not know (the SDK's `origin`, `integration`,
 * options of Firecrawl's cloud) are ignored, not refused, while a known key with the
 * wrong type is a 400 naming it. `null` is accepted wherever the SDK's types allow it and
 * means "not set". What the values mean, and which ones are refused, is decided in
 * scrape-options.ts and crawl-request.ts.
 */
import { z } from 'zod';

const opt = <T extends z.ZodType>(t: T) => t.nullish();

/** A format: `"markdown"`, or an object `{type: "markdown", …}` (v2's form for options). */
export const formatItem = z.union([z.string().min(1), z.looseObject({ type: z.string().min(1) })]);

const stringList = z.array(z.string());

/** Scrape options: the body of /scrape, `scrapeOptions` of a crawl, the body of a batch. */
export const scrapeOptionsShape = {
  formats: opt(z.array(formatItem)),
  onlyMainContent: opt(z.boolean()),
  includeTags: opt(stringList),
  excludeTags: opt(stringList),
  headers: opt(z.record(z.string(), z.string())),
  /** ms */
  timeout: opt(z.number().int().min(1).max(600_000)),
  /** ms; needs a browser */
  waitFor: opt(z.number().int().min(0)),
  mobile: opt(z.boolean()),
  actions: opt(z.array(z.unknown())),
  location: opt(z.looseObject({})),
  proxy: opt(z.string()),
  skipTlsVerification: opt(z.boolean()),
  removeBase64Images: opt(z.boolean()),
  blockAds: opt(z.boolean()),
  maxAge: opt(z.number()),
  storeInCache: opt(z.boolean()),
  parsers: opt(z.array(z.unknown())),
  redactPII: opt(z.union([z.boolean(), z.looseObject({})])),
  profile: opt(z.looseObject({})),
  zeroDataRetention: opt(z.boolean()),
};

export const scrapeOptions = z.looseObject(scrapeOptionsShape);
export type FirecrawlScrapeOptions = z.infer<typeof scrapeOptions>;

export const scrapeBody = z.looseObject({
  url: z.string().min(1).max(8_192),
  ...scrapeOptionsShape,
});

export const webhookSchema = z.union([
  z.string().min(1),
  z.looseObject({
    url: z.string().min(1),
    headers: opt(z.record(z.string(), z.string())),
    metadata: opt(z.record(z.string(), z.unknown())),
    events: opt(z.array(z.string())),
  }),
]);

/** Crawl options common to v1 and v2. */
const crawlShape = {
  url: z.string().min(1).max(8_192),
  includePaths: opt(stringList),
  excludePaths: opt(stringList),
  regexOnFullURL: opt(z.boolean()),
  limit: opt(z.number().int().min(1)),
  allowExternalLinks: opt(z.boolean()),
  allowSubdomains: opt(z.boolean()),
  ignoreRobotsTxt: opt(z.boolean()),
  robotsUserAgent: opt(z.string()),
  ignoreQueryParameters: opt(z.boolean()),
  deduplicateSimilarURLs: opt(z.boolean()),
  /** seconds between requests to the site */
  delay: opt(z.number().min(0).max(3_600)),
  maxConcurrency: opt(z.number().int().min(1).max(10_000)),
  webhook: opt(webhookSchema),
  scrapeOptions: opt(scrapeOptions),
  prompt: opt(z.string()),
  zeroDataRetention: opt(z.boolean()),
  maxDiscoveryDepth: opt(z.number().int().min(0)),
};

export const crawlBodyV2 = z.looseObject({
  ...crawlShape,
  sitemap: opt(z.enum(['include', 'skip', 'only'])),
  crawlEntireDomain: opt(z.boolean()),
});

export const crawlBodyV1 = z.looseObject({
  ...crawlShape,
  maxDepth: opt(z.number().int().min(0)),
  ignoreSitemap: opt(z.boolean()),
  allowBackwardLinks: opt(z.boolean()),
  crawlEntireDomain: opt(z.boolean()),
});

export type CrawlBodyV2 = z.infer<typeof crawlBodyV2>;
export type CrawlBodyV1 = z.infer<typeof crawlBodyV1>;

export const batchBody = z.looseObject({
  urls: z.array(z.string()).min(1),
  ...scrapeOptionsShape,
  webhook: opt(webhookSchema),
  maxConcurrency: opt(z.number().int().min(1).max(10_000)),
  ignoreInvalidURLs: opt(z.boolean()),
  appendToId: opt(z.string()),
});
export type BatchBody = z.infer<typeof batchBody>;

const mapShape = {
  url: z.string().min(1).max(8_192),
  search: opt(z.string().max(1_000)),
  includeSubdomains: opt(z.boolean()),
  ignoreQueryParameters: opt(z.boolean()),
  limit: opt(z.number().int().min(1).max(100_000)),
  /** ms */
  timeout: opt(z.number().int().min(1).max(600_000)),
  location: opt(z.looseObject({})),
};

export const mapBodyV2 = z.looseObject({
  ...mapShape,
  sitemap: opt(z.enum(['include', 'skip', 'only'])),
});

export const mapBodyV1 = z.looseObject({
  ...mapShape,
  ignoreSitemap: opt(z.boolean()),
  sitemapOnly: opt(z.boolean()),
});

export const jobIdParams = z.object({ id: z.string().min(1).max(128) });

export const statusQuery = z.looseObject({
  cursor: z.string().max(200).optional().describe('From `next`: where the previous page ended'),
  skip: z.coerce.number().int().min(0).max(10_000_000).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
});
