/**
 * The page-parser port: turns a fetched HTML body into a ParsedPage. Implemented inline
 * (same thread) and by a worker-thread pool; the crawler cannot tell which.
 */
import type { ParsedPage } from '../core/types.js';
import type { LinkFilterSpec } from '../core/url/link-filter.js';
import type { ExtractOptions } from '../extract/extract-fields.js';

export interface ParseJob {
  /** The URL the body came from (the final URL after redirects): the base for relative links. */
  url: string;
  /** Raw (content-decoded) body bytes. The parser reads them until it answers: do not modify them meanwhile. */
  body: Buffer;
  /** The Content-Type header, if any (for its charset parameter). */
  contentType: string | null;
  /**
   * false: the caller will not follow this page's links (it is at the depth limit), so
   * do not extract them. @default true
   */
  extractLinks?: boolean;
}

export interface PageParserOptions {
  /** Which links to keep (scope, include/exclude). Serializable: sent to workers. */
  linkFilter: LinkFilterSpec;
  /** Skip `rel=nofollow` links and all links of `<meta name=robots content=nofollow>` pages. */
  respectNofollow: boolean;
  /** Canonicalization: sort query parameters. @default true */
  sortQuery?: boolean;
  /**
   * Drop links this parser already returned for an earlier page. The caller must then
   * add every link it is given (it only asks for links it will follow: see
   * ParseJob.extractLinks). Cuts the ~30 links of a page to the few new ones before they
   * cross the thread boundary. @default false
   */
  dedupLinks?: boolean;
  /**
   * What to extract from every HTML page besides title and links (Markdown, metadata,
   * structured data…), in the parser's thread: ParsedPage.fields. Plain data (sent to
   * workers); validate it with validateExtractOptions first. Absent: nothing more, and the
   * page is not parsed into a tree at all.
   */
  extract?: ExtractOptions;
}

export interface PageParser {
  parse(job: ParseJob): Promise<ParsedPage>;
  /**
   * With dedupLinks: forget these links (or every link) the parser returned, so the next
   * page that has them returns them again. For links the caller could not keep: its
   * commit was refused (the lease had expired), or the frontier may have lost state (its
   * Redis restarted from a persistence file missing the last writes).
   */
  forgetLinks(links: readonly string[] | 'all'): void;
  close(): Promise<void>;
}
