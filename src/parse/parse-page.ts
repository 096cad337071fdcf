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
import { extractFields, type ExtractOptions } from '../extract/extract-fields.js';

/** A parser's state: the link context, and the job's extraction if it asks for one. */
export interface ParseContext extends ExtractContext {
  extract?: ExtractOptions;
}

/**
 * The per-parser state parsePage needs, built from the parser's options: once per
 * InlinePageParser, once per worker of a WorkerPageParser (each worker remembers the
 * links it returned, so with dedupLinks a link may come back once per worker).
 */
export function createParseContext(options: PageParserOptions): ParseContext {
  const ctx: ParseContext = {
    filter: createLinkFilter(options.linkFilter),
    respectNofollow: options.respectNofollow,
    sortQuery: options.sortQuery ?? true,
  };
  if (options.dedupLinks === true) ctx.returnedLinks = new Set();
  if (
    options.extract !== undefined &&
    options.extract.formats.length + (options.extract.adapters?.length ?? 0) > 0
  ) {
    ctx.extract = options.extract;
  }
  return ctx;
}

/** Parses one page. Synchronous and CPU-bound; throws only on a bug or exhausted memory. */
export function parsePage(job: ParseJob, ctx: ParseContext): ParsedPage {
  const { text, charset, transcode } = scannableHtml(job.body, job.contentType);
  const page = extractPage(text, job.url, ctx, job.extractLinks !== false, transcode ?? undefined);
  const parsed: ParsedPage = {
    title: page.title,
    links: page.links,
    canonicalUrl: page.canonicalUrl,
    charset,
    noindex: page.noindex,
    nofollow: page.nofollow,
    contentHash: createHash('sha1').update(job.body).digest('hex'),
    rawLinkCount: page.rawLinkCount,
  };
  if (ctx.extract !== undefined) {
    // The scanner reads bytes; the tree needs the decoded document.
    const html = transcode === null ? text : transcode(text);
    try {
      parsed.fields = extractFields(html, job.url, ctx.extract) as unknown as Record<
        string,
        unknown
      >;
    } catch (err) {
      // The page's title and links stand; its record says why the extra fields are missing.
      parsed.fields = { extractionError: `extraction failed: ${(err as Error).message}` };
    }
  }
  return parsed;
}
