/**
 * Extraction from one fetched HTML page: Markdown of the main content, plain text,
 * metadata, structured data, links and site-adapter fields, as plain JSON.
 *
 * Pure and synchronous, meant for the parse worker threads: the page is parsed once
 * (htmlparser2 + domhandler, depth-capped), indexed in one walk, and every extractor
 * reads that shared tree. Nothing here keeps state between pages except caches of
 * compiled selectors and regexes.
 *
 * Library choice (bench/extract-pages.ts, docs/markdown.md): our own converter and
 * main-content detection run at runtime. On the openjdk-17 docs they cost about what
 * htmlparser2's parseDocument alone costs, while turndown (whole page, no main-content
 * detection) costs 6×, Readability over linkedom 16×, node-html-markdown 190× and
 * Defuddle 240×; the peers stay devDependencies.
 */
import { parseHtml } from './dom/parse-html.js';
import { indexPage } from './dom/page-index.js';
import { applyAdapter, matchAdapter, type AdapterData } from './adapters/apply-adapter.js';
import type { SiteAdapter } from './adapters/adapter-schema.js';
import { parseJsonLd, type JsonLdResult } from './json-ld.js';
import { extractLinks, type ExtractedLink } from './links.js';
import { chooseContent } from './main-content.js';
import { renderContent } from './markdown/render-markdown.js';
import { extractMetadata, type PageMetadata } from './metadata.js';
import { documentBase, UrlResolver } from './resolve-url.js';
import { extractStructured, type StructuredData } from './structured.js';

export type { PageMetadata } from './metadata.js';
export type { StructuredData, StructuredItem } from './structured.js';
export type { ExtractedLink } from './links.js';
export type { SiteAdapter, SiteAdapterSpec } from './adapters/adapter-schema.js';
export { defineAdapter, AdapterError } from './adapters/adapter-schema.js';
export { SelectorError } from './selectors.js';

/** What can be extracted; a job asks for any subset. */
export type ExtractFormat = 'markdown' | 'metadata' | 'structured' | 'links' | 'text';

export const EXTRACT_FORMATS: readonly ExtractFormat[] = [
  'markdown',
  'metadata',
  'structured',
  'links',
  'text',
];

/** Options of one extraction; the same object is typically reused for every page of a job. */
export interface ExtractOptions {
  formats: readonly ExtractFormat[];
  /** Markdown/text of the main content only (boilerplate dropped). @default true */
  onlyMainContent?: boolean;
  /** Render only elements matching any of these CSS selectors (replaces main-content detection). */
  includeSelectors?: readonly string[];
  /** Leave out elements matching any of these CSS selectors. */
  excludeSelectors?: readonly string[];
  /** Keep images in Markdown. @default true */
  images?: boolean;
  /** Site adapters, tried in order; validate them with defineAdapter. */
  adapters?: readonly SiteAdapter[];
}

/** Extraction statistics, always present. Lengths count non-whitespace characters. */
export interface ExtractionStats {
  /** Visible text of the whole body. */
  textLength: number;
  /** Text of the main content (what markdown/text render). */
  mainTextLength: number;
  /** 1 − mainTextLength / textLength, in [0, 1]; 0 for a page without text. */
  boilerplateRatio: number;
  /** Wall time of this call, in milliseconds. */
  ms: number;
}

/** The requested fields; formats not asked for are absent. */
export interface ExtractedFields {
  markdown?: string;
  text?: string;
  metadata?: PageMetadata;
  structured?: StructuredData;
  links?: ExtractedLink[];
  /** The first matching adapter's fields; null when adapters were given and none matched. */
  data?: AdapterData | null;
  extraction: ExtractionStats;
}

/**
 * Extracts `options.formats` from a decoded HTML document.
 * @param pageUrl the URL the page came from (after redirects): links resolve against it
 *   (or against `<base href>`)
 * @throws SelectorError for an invalid include/exclude/adapter selector (a configuration
 *   error: the same for every page, so callers should validate options first with
 *   validateExtractOptions)
 */
export function extractFields(
  html: string,
  pageUrl: string,
  options: ExtractOptions,
): ExtractedFields {
  const start = performance.now();
  const formats = new Set(options.formats);
  const index = indexPage(parseHtml(html));
  const urls = new UrlResolver(documentBase(pageUrl, index.baseHref));
  let ld: JsonLdResult | null = null;
  const jsonLd = (): JsonLdResult => (ld ??= parseJsonLd(index.jsonLd));
  const out: Partial<ExtractedFields> = {};

  const content = chooseContent(index, options);
  const render = (markup: boolean): { output: string; textLength: number } =>
    renderContent(content.roots, {
      markup,
      images: options.images !== false,
      skip: content.skip,
      urls,
    });
  let mainTextLength: number;
  if (formats.has('markdown')) {
    const md = render(true);
    out.markdown = md.output;
    mainTextLength = md.textLength;
    if (formats.has('text')) out.text = render(false).output;
  } else {
    const text = render(false);
    if (formats.has('text')) out.text = text.output;
    mainTextLength = text.textLength;
  }
  if (formats.has('metadata')) out.metadata = extractMetadata(index, pageUrl, urls, jsonLd);
  if (formats.has('structured')) out.structured = extractStructured(index, urls, jsonLd());
  if (formats.has('links')) out.links = extractLinks(index, urls);
  if (options.adapters !== undefined && options.adapters.length > 0) {
    const adapter = matchAdapter(options.adapters, pageUrl);
    out.data =
      adapter === null
        ? null
        : applyAdapter(adapter, {
            url: pageUrl,
            doc: index.doc,
            urls,
            jsonLd: () => jsonLd().items,
          });
  }
  const total = Math.max(index.bodyTextLength, mainTextLength);
  return {
    ...out,
    extraction: {
      textLength: total,
      mainTextLength,
      boilerplateRatio: total === 0 ? 0 : Math.min(1, Math.max(0, 1 - mainTextLength / total)),
      ms: performance.now() - start,
    },
  };
}

/**
 * Checks options once per job: every selector compiles, every format is known.
 * @throws SelectorError or TypeError naming the bad value
 */
export function validateExtractOptions(options: ExtractOptions): void {
  for (const f of options.formats) {
    if (!EXTRACT_FORMATS.includes(f))
      throw new TypeError(`unknown extract format ${JSON.stringify(f)}`);
  }
  const doc = parseHtml('<p></p>');
  chooseContent(indexPage(doc), options);
}
