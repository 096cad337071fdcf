/**
 * The whole parse of one fetched page: decode, extract, hash. Both page-parser
 * implementations (inline and worker pool) run exactly this function.
 */
import { createHash } from 'node:crypto';
import type { ParsedPage } from '../core/types.js';
import { createLinkFilter } from '../core/url/link-filter.js';
import type { PageParserOptions, ParseJob } from './page-parser.js';
import { scannableHtml } from './charset.js';
import { extractPage, type ExtractContext } from './extract-page.js';

/**
 * The per-parser state parsePage needs, built from the parser's options: once per
 * InlinePageParser, once per worker of a WorkerPageParser (each worker remembers the
 * links it returned, so with dedupLinks a link may come back once per worker).
 */
export function createParseContext(options: PageParserOptions): ExtractContext {
  const ctx: ExtractContext = {
    filter: createLinkFilter(options.linkFilter),
    respectNofollow: options.respectNofollow,
    sortQuery: options.sortQuery ?? true,
  };
  if (options.dedupLinks === true) ctx.returnedLinks = new Set();
  return ctx;
}

/** Parses one page. Synchronous and CPU-bound; throws only on a bug or exhausted memory. */
export function parsePage(job: ParseJob, ctx: ExtractContext): ParsedPage {
  const { text, charset, transcode } = scannableHtml(job.body, job.contentType);
  const page = extractPage(text, job.url, ctx, job.extractLinks !== false, transcode ?? undefined);
  return {
    title: page.title,
    links: page.links,
    canonicalUrl: page.canonicalUrl,
    charset,
    noindex: page.noindex,
    nofollow: page.nofollow,
    contentHash: createHash('sha1').update(job.body).digest('hex'),
    rawLinkCount: page.rawLinkCount,
  };
}
