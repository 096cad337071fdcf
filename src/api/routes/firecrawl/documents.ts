/**
 * Firecrawl documents: `{markdown?, html?, rawHtml?, links?, metadata}` with the formats
 * asked for, made from a scrape's result or from a record a crawl stored (its extracted
 * fields; html and rawHtml from the stored body). `metadata` carries what the SDK reads
 * (`sourceURL`: the URL requested, `url`: the URL answered after redirects,
 * `statusCode`, `title`) and Firecrawl's other names for the page metadata Trawl
 * extracts (description, language, og*, favicon…).
 */
import type { PageRecord } from '../../../core/types.js';
import { cleanHtml } from '../../../extract/clean-html.js';
import { decodeHtml } from '../../../parse/charset.js';
import type { ScrapeResult } from '../../../jobs/scrape-service.js';
import type { FirecrawlFormat } from './scrape-options.js';

export type FirecrawlDocument = Record<string, unknown> & { metadata: Record<string, unknown> };

/** How a job's documents are made (meta.firecrawl). */
export interface DocumentOptions {
  formats: readonly FirecrawlFormat[];
  onlyMainContent: boolean;
  includeTags: readonly string[];
  excludeTags: readonly string[];
  /** The link to a stored artifact of the job (its screenshot), from its location. */
  artifactUrl?: (location: string) => string | null;
}

export function scrapeDocument(
  result: ScrapeResult,
  requestedUrl: string,
  formats: readonly FirecrawlFormat[],
): FirecrawlDocument {
  const f = result.fields;
  const doc: Record<string, unknown> = {};
  for (const format of formats) {
    if (format === 'markdown') doc.markdown = f.markdown ?? '';
    else if (format === 'html') doc.html = f.html ?? '';
    else if (format === 'rawHtml') doc.rawHtml = f.rawHtml ?? '';
    else if (format === 'links') doc.links = linkUrls(f.links) ?? result.links;
    else if (f.screenshot !== undefined) doc.screenshot = f.screenshot;
  }
  return { ...doc, metadata: metadataOf(result.record, f.metadata, requestedUrl) };
}

/** A stored record as a document; the record holds its body when html/rawHtml were asked. */
export function recordDocument(page: PageRecord, options: DocumentOptions): FirecrawlDocument {
  const fields = page.fields ?? {};
  const doc: Record<string, unknown> = {};
  let text: string | null = null;
  const body = (): string =>
    (text ??= page.body === null ? '' : decodeHtml(page.body, page.contentType).text);
  for (const format of options.formats) {
    if (format === 'markdown')
      doc.markdown = typeof fields.markdown === 'string' ? fields.markdown : '';
    else if (format === 'rawHtml') doc.rawHtml = body();
    else if (format === 'links') doc.links = linkUrls(fields.links) ?? [];
    else if (format === 'html') doc.html = htmlOf(body(), page, options);
    else if (typeof fields.screenshot === 'string') {
      const link = options.artifactUrl?.(fields.screenshot) ?? null;
      if (link !== null) doc.screenshot = link;
    }
  }
  return { ...doc, metadata: metadataOf(page, fields.metadata, page.url) };
}

function htmlOf(text: string, page: PageRecord, options: DocumentOptions): string {
  if (text === '') return '';
  try {
    return cleanHtml(text, page.finalUrl ?? page.url, {
      onlyMainContent: options.onlyMainContent,
      includeSelectors: options.includeTags,
      excludeSelectors: options.excludeTags,
    });
  } catch {
    return ''; // selectors were checked when the job was accepted
  }
}

/** The http(s) URLs of extracted links, once each, in page order. */
function linkUrls(links: unknown): string[] | undefined {
  if (!Array.isArray(links)) return undefined;
  const out = new Set<string>();
  for (const l of links as { url?: unknown }[]) {
    if (typeof l?.url === 'string' && /^https?:/i.test(l.url)) out.add(l.url);
  }
  return [...out];
}

function metadataOf(
  page: PageRecord,
  extracted: unknown,
  sourceURL: string,
): Record<string, unknown> {
  const m = (typeof extracted === 'object' && extracted !== null ? extracted : {}) as Record<
    string,
    unknown
  >;
  const og = (typeof m.openGraph === 'object' && m.openGraph !== null ? m.openGraph : {}) as Record<
    string,
    unknown
  >;
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    const v = Array.isArray(value) ? value[0] : value;
    if (typeof v === 'string' && v !== '') out[key] = v;
  };
  set('title', m.title ?? page.title);
  set('description', m.description);
  set('language', m.language);
  if (Array.isArray(m.keywords) && m.keywords.length > 0) out.keywords = m.keywords.join(', ');
  set('robots', m.robots);
  set('author', m.author);
  set('ogTitle', og.title);
  set('ogDescription', og.description);
  set('ogUrl', og.url);
  set('ogImage', og.image);
  set('ogSiteName', og.site_name);
  set('ogLocale', og.locale);
  set('favicon', m.favicon);
  set('publishedTime', m.publishedTime);
  set('modifiedTime', m.modifiedTime);
  set('canonical', m.canonical ?? page.canonicalUrl);
  out.sourceURL = sourceURL;
  out.url = page.finalUrl ?? page.url;
  out.statusCode = page.status ?? 0;
  if (page.contentType !== null) out.contentType = page.contentType;
  if (page.error !== null) out.error = page.errorMessage ?? page.error;
  return out;
}
