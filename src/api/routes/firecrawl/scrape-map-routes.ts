/**
 * Firecrawl's synchronous endpoints, `/scrape` and `/map`, under `/v2` and `/v1`: served
 * by the scrape service within a deadline (the request's `timeout`, else the service's
 * scrapeTimeoutMs). A site's 4xx/5xx page is a document (metadata.statusCode says
 * which); an unreachable site is a 502, a passed deadline a 408.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { canonicalize } from '../../../core/url/canonicalize.js';
import type { ScrapeFormat } from '../../../jobs/scrape-service.js';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { checkTarget } from '../../client-spec.js';
import { scrapeFailure } from '../scrape/scrape-request.js';
import { abortOnClose } from '../scrape/scrape-routes.js';
import type { FirecrawlVersion } from './crawl-request.js';
import { scrapeDocument } from './documents.js';
import { mapBodyV1, mapBodyV2, scrapeBody } from './firecrawl-schemas.js';
import { resolveScrapeOptions, type FirecrawlFormat } from './scrape-options.js';

/** Firecrawl's default and cap of map results. */
const MAP_DEFAULT_LIMIT = 5_000;

const config = { errorFormat: 'firecrawl' as const };

export function scrapeMapRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  version: FirecrawlVersion,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = [`firecrawl ${version}`];

  r.post(
    `/${version}/scrape`,
    {
      config,
      schema: { tags, summary: 'Scrape one URL (Firecrawl-compatible)', body: scrapeBody },
    },
    async (request, reply) => {
      const body = request.body;
      checkUrl(deps, body.url);
      const options = resolveScrapeOptions(body, 'body');
      try {
        const result = await deps.scraper.scrape(body.url, {
          formats: scrapeFormats(options.formats),
          onlyMainContent: options.onlyMainContent,
          includeSelectors: options.includeTags,
          excludeSelectors: options.excludeTags,
          ...(options.headers === undefined ? {} : { headers: options.headers }),
          timeoutMs: options.timeoutMs ?? deps.settings.scrapeTimeoutMs,
          signal: abortOnClose(reply.raw),
          ...(options.browser
            ? { browser: { waitMs: options.waitMs, screenshot: options.screenshot } }
            : {}),
        });
        return { success: true, data: scrapeDocument(result, body.url, options.formats) };
      } catch (err) {
        throw scrapeFailure(err, body.url, 'body.url');
      }
    },
  );

  r.post(
    `/${version}/map`,
    {
      config,
      schema: {
        tags,
        summary: "A site's URLs from its page and sitemaps (Firecrawl-compatible)",
        body: version === 'v2' ? mapBodyV2 : mapBodyV1,
      },
    },
    async (request, reply) => {
      const body = request.body as typeof request.body & {
        sitemap?: 'include' | 'skip' | 'only' | null;
        ignoreSitemap?: boolean | null;
        sitemapOnly?: boolean | null;
      };
      checkUrl(deps, body.url);
      if (body.location !== null && body.location !== undefined) {
        throw new ApiError(
          'unsupported_option',
          'body.location: geolocated fetching is not supported: Trawl fetches from where it runs',
          { field: 'body.location' },
        );
      }
      const sitemap =
        body.sitemap ??
        (body.sitemapOnly === true ? 'only' : body.ignoreSitemap === true ? 'skip' : 'include');
      try {
        const urls = await deps.scraper.map(body.url, {
          sitemap,
          includeSubdomains: body.includeSubdomains ?? true,
          ignoreQueryParameters: body.ignoreQueryParameters ?? true,
          ...(body.search ? { search: body.search } : {}),
          limit: body.limit ?? MAP_DEFAULT_LIMIT,
          timeoutMs: body.timeout ?? deps.settings.scrapeTimeoutMs,
          signal: abortOnClose(reply.raw),
        });
        return {
          success: true,
          links: version === 'v2' ? urls : urls.map((u) => u.url),
        };
      } catch (err) {
        throw scrapeFailure(err, body.url, 'body.url');
      }
    },
  );
}

/** An http(s) URL the target policy allows. @throws ApiError naming body.url */
export function checkUrl(deps: AppDeps, url: string): void {
  if (canonicalize(url) === null) {
    throw new ApiError(
      'invalid_request',
      `body.url: not a valid http(s) URL: ${JSON.stringify(url)}`,
      {
        field: 'body.url',
      },
    );
  }
  checkTarget(deps.targets, url, 'body.url');
}

/** Metadata always: every document carries it; a screenshot is the browser's, not a format. */
function scrapeFormats(formats: readonly FirecrawlFormat[]): ScrapeFormat[] {
  const out: ScrapeFormat[] = ['metadata'];
  for (const f of formats) if (f !== 'screenshot') out.push(f);
  return out;
}
