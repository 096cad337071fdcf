/**
 * The page-parser port: turns a fetched HTML body into a ParsedPage. Implemented inline
 * (same thread) and by a worker-thread pool; the crawler cannot tell which.
 */
import type { ParsedPage } from '../core/types.js';
import type { LinkFilterSpec } from '../core/url/link-filter.js';

export interface ParseJob {
  /** The URL the body came from (the final URL after redirects): the base for relative links. */
  url: string;
  /** Raw (content-decoded) body bytes. May be transferred to a worker: do not reuse after. */
  body: Buffer;
  /** The Content-Type header, if any (for its charset parameter). */
  contentType: string | null;
}

export interface PageParserOptions {
  /** Which links to keep (scope, include/exclude). Serializable: sent to workers. */
  linkFilter: LinkFilterSpec;
  /** Skip `rel=nofollow` links and all links of `<meta name=robots content=nofollow>` pages. */
  respectNofollow: boolean;
}

export interface PageParser {
  parse(job: ParseJob): Promise<ParsedPage>;
  close(): Promise<void>;
}
