/**
 * The page parser that parses on the calling thread. Right for small crawls and for
 * machines with one core; WorkerPageParser moves the same work off the main thread.
 */
import type { ParsedPage } from '../core/types.js';
import { TrawlError } from '../core/errors.js';
import type { PageParser, PageParserOptions, ParseJob } from './page-parser.js';
import { createParseContext, parsePage } from './parse-page.js';
import { forgetReturnedLinks, type ExtractContext } from './extract-page.js';

export class InlinePageParser implements PageParser {
  private readonly ctx: ExtractContext;
  private closed = false;

  constructor(options: PageParserOptions) {
    this.ctx = createParseContext(options);
  }

  /** Rejects with TrawlError 'parse_failed' if the page cannot be parsed, 'aborted' after close(). */
  parse(job: ParseJob): Promise<ParsedPage> {
    if (this.closed) {
      return Promise.reject(new TrawlError('aborted', 'the page parser is closed'));
    }
    try {
      return Promise.resolve(parsePage(job, this.ctx));
    } catch (err) {
      return Promise.reject(
        new TrawlError('parse_failed', `parsing ${job.url} failed: ${errorMessage(err)}`, {
          cause: err,
        }),
      );
    }
  }

  forgetLinks(links: readonly string[] | 'all'): void {
    forgetReturnedLinks(this.ctx, links);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
