/**
 * Trawl's single-URL scrape: `POST /trawl/v1/scrape` fetches one URL now (redirects
 * followed, every hop through the SSRF guard) within a deadline and answers with the
 * same record a crawl stores for the page (the one `trawl crawl --out` writes, headers
 * included) plus the formats asked for: the extraction formats, the cleaned `html` of
 * the content and the `rawHtml` body. Nothing is stored. A 4xx/5xx answer of the site is
 * a record (status and error say which), not an API error.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCRAPE_FORMATS } from '../../../jobs/scrape-service.js';
import type { AppDeps } from '../../app-deps.js';
import { checkTarget } from '../../client-spec.js';
import { errorBody } from '../../error-schema.js';
import { pageView } from '../jobs/job-view.js';
import { checkSelectors, requestHeaders, scrapeFailure } from './scrape-request.js';

const scrapeBody = z.strictObject({
  url: z.string().min(1).max(8_192),
  formats: z
    .array(z.enum(SCRAPE_FORMATS as [string, ...string[]]))
    .default(['markdown', 'metadata'])
    .describe(
      'markdown, text, metadata, structured, links (the crawl extraction formats), html (cleaned content), rawHtml (the body)',
    ),
  onlyMainContent: z.boolean().default(true),
  includeSelectors: z.array(z.string().min(1)).max(100).default([]),
  excludeSelectors: z.array(z.string().min(1)).max(100).default([]),
  images: z.boolean().default(true).describe('Keep images in Markdown'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers'),
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(600_000)
    .optional()
    .describe('Deadline of the scrape, ms (default: the service setting scrapeTimeoutMs)'),
});

export function scrapeRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/trawl/v1/scrape',
    {
      schema: {
        tags: ['scrape'],
        summary: 'Scrape one URL now: the record a crawl would store, plus the formats asked for',
        body: scrapeBody,
        response: {
          200: z
            .record(z.string(), z.unknown())
            .describe('The page record (as in job results) with the formats asked for'),
          400: errorBody,
          408: errorBody,
          502: errorBody,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      checkTarget(deps.targets, body.url, 'body.url');
      checkSelectors(body.includeSelectors, 'body.includeSelectors');
      checkSelectors(body.excludeSelectors, 'body.excludeSelectors');
      const headers = requestHeaders(body.headers, 'body.headers');
      const signal = abortOnClose(reply.raw);
      try {
        const result = await deps.scraper.scrape(body.url, {
          formats: body.formats as (typeof SCRAPE_FORMATS)[number][],
          onlyMainContent: body.onlyMainContent,
          includeSelectors: body.includeSelectors,
          excludeSelectors: body.excludeSelectors,
          images: body.images,
          ...(headers === undefined ? {} : { headers }),
          timeoutMs: body.timeoutMs ?? deps.settings.scrapeTimeoutMs,
          signal,
        });
        return pageView(
          { ...result.record, fields: result.fields as Record<string, unknown> },
          null,
          false,
        );
      } catch (err) {
        throw scrapeFailure(err, body.url, 'body.url');
      }
    },
  );
}

/**
 * Aborted when the client goes away before the answer. The response's `close` (not the
 * request's: that one fires once the body is read) with the answer not yet written.
 */
export function abortOnClose(res: {
  once(event: 'close', f: () => void): unknown;
  readonly writableEnded: boolean;
}): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  return controller.signal;
}
