/**
 * Firecrawl's scrape options as Trawl understands them: the formats Trawl can make
 * (markdown, html, rawHtml, links, and screenshot, which, like waitFor, loads the page in
 * the browser engine), the content options (onlyMainContent, includeTags/excludeTags as
 * CSS selectors), request headers and the deadline. An option that would change the
 * result in a way Trawl cannot honour (actions, mobile emulation, LLM formats,
 * geolocated proxies) is a 400 `unsupported_option`
 * naming the field, rather than a result quietly different from what was asked. Options
 * about Firecrawl's cloud (caching, ad blocking, credits) are ignored.
 */
import { ApiError } from '../../api-error.js';
import { checkSelectors, requestHeaders } from '../scrape/scrape-request.js';
import type { FirecrawlScrapeOptions } from './firecrawl-schemas.js';

/** The formats Trawl makes. */
export type FirecrawlFormat = 'markdown' | 'html' | 'rawHtml' | 'links' | 'screenshot';
export const FIRECRAWL_FORMATS: readonly FirecrawlFormat[] = [
  'markdown',
  'html',
  'rawHtml',
  'links',
  'screenshot',
];

/** Longest waitFor honoured (the browser engine's ceiling), ms. */
const MAX_WAIT_MS = 60_000;

/** Why a format Firecrawl knows cannot be made here. */
const NEEDS_BROWSER =
  'needs browser automation, which Trawl does not offer (it renders pages, waits and takes screenshots; it does not click or type)';
const NEEDS_LLM = 'needs a language model, which Trawl does not run';
const UNSUPPORTED_FORMATS: Record<string, string> = {
  actions: NEEDS_BROWSER,
  json: NEEDS_LLM,
  extract: NEEDS_LLM,
  summary: NEEDS_LLM,
  question: NEEDS_LLM,
  query: NEEDS_LLM,
  highlights: NEEDS_LLM,
  branding: NEEDS_LLM,
  product: NEEDS_LLM,
  menu: NEEDS_LLM,
  changeTracking: 'needs stored history of the page, which Trawl does not keep for scrapes',
  images: 'is not extracted by Trawl (use markdown with images, or links)',
  attributes: 'is not extracted by Trawl (use includeTags and html)',
  audio: 'needs a media engine, which Trawl does not have',
  video: 'needs a media engine, which Trawl does not have',
};

/** What a Firecrawl scrape asks for, checked. */
export interface ResolvedScrapeOptions {
  formats: FirecrawlFormat[];
  onlyMainContent: boolean;
  includeTags: string[];
  excludeTags: string[];
  headers: Record<string, string> | undefined;
  /** ms; undefined: the service default. */
  timeoutMs: number | undefined;
  /** The screenshot format: of the viewport or the whole page; null: none. */
  screenshot: 'viewport' | 'fullPage' | null;
  /** waitFor: ms to wait in the browser after the page loaded; 0: none. */
  waitMs: number;
  /** The browser renders the page (a screenshot or a wait asks for it). */
  browser: boolean;
}

/**
 * @param field the options' path in the body (`body`, `body.scrapeOptions`)
 * @throws ApiError naming the field at fault
 */
export function resolveScrapeOptions(
  options: FirecrawlScrapeOptions | null | undefined,
  field: string,
): ResolvedScrapeOptions {
  const o = options ?? {};
  const { formats, screenshot } = resolveFormats(o.formats, `${field}.formats`);
  const waitMs = o.waitFor ?? 0;
  if (waitMs > MAX_WAIT_MS) {
    throw new ApiError(
      'invalid_request',
      `${field}.waitFor: at most ${MAX_WAIT_MS} ms (the browser's ceiling)`,
      { field: `${field}.waitFor` },
    );
  }
  refuseUnsupported(o, field);
  checkSelectors(o.includeTags, `${field}.includeTags`);
  checkSelectors(o.excludeTags, `${field}.excludeTags`);
  return {
    formats,
    onlyMainContent: o.onlyMainContent ?? true,
    includeTags: o.includeTags ?? [],
    excludeTags: o.excludeTags ?? [],
    headers: requestHeaders(o.headers, `${field}.headers`),
    timeoutMs: o.timeout ?? undefined,
    screenshot,
    waitMs,
    browser: screenshot !== null || waitMs > 0,
  };
}

/**
 * Formats in request order, once each; markdown when none is given (Firecrawl's
 * default). A screenshot is v2's `"screenshot"` or `{type: "screenshot", fullPage}`, or
 * v1's `"screenshot@fullPage"`.
 */
function resolveFormats(
  formats: FirecrawlScrapeOptions['formats'],
  field: string,
): { formats: FirecrawlFormat[]; screenshot: 'viewport' | 'fullPage' | null } {
  if (formats === null || formats === undefined) return { formats: ['markdown'], screenshot: null };
  const out: FirecrawlFormat[] = [];
  let screenshot: 'viewport' | 'fullPage' | null = null;
  formats.forEach((item, i) => {
    const name = typeof item === 'string' ? item : item.type;
    if (name === 'screenshot' || name === 'screenshot@fullPage') {
      const full =
        name === 'screenshot@fullPage' ||
        (typeof item === 'object' && (item as { fullPage?: unknown }).fullPage === true);
      screenshot = full || screenshot === 'fullPage' ? 'fullPage' : 'viewport';
      if (!out.includes('screenshot')) out.push('screenshot');
      return;
    }
    if ((FIRECRAWL_FORMATS as readonly string[]).includes(name)) {
      if (!out.includes(name as FirecrawlFormat)) out.push(name as FirecrawlFormat);
      return;
    }
    const at = `${field}.${i}`;
    const why = UNSUPPORTED_FORMATS[name];
    const supported = `supported: ${FIRECRAWL_FORMATS.join(', ')}`;
    throw new ApiError(
      why === undefined ? 'invalid_request' : 'unsupported_option',
      why === undefined
        ? `${at}: unknown format ${JSON.stringify(name)} (${supported})`
        : `${at}: the ${name} format ${why} (${supported})`,
      { field: at, details: { format: name, supported: FIRECRAWL_FORMATS } },
    );
  });
  return { formats: out, screenshot };
}

function refuseUnsupported(o: FirecrawlScrapeOptions, field: string): void {
  const refuse = (key: string, why: string): never => {
    const at = `${field}.${key}`;
    throw new ApiError('unsupported_option', `${at}: ${why}`, { field: at });
  };
  if ((o.actions?.length ?? 0) > 0) refuse('actions', `page actions ${NEEDS_BROWSER}`);
  if (o.mobile === true) {
    refuse(
      'mobile',
      'mobile emulation is not supported (the browser renders at one desktop viewport)',
    );
  }
  if (o.location !== null && o.location !== undefined) {
    refuse('location', 'geolocated fetching is not supported: Trawl fetches from where it runs');
  }
  if (typeof o.proxy === 'string' && o.proxy !== 'basic' && o.proxy !== 'auto') {
    refuse('proxy', `proxy ${JSON.stringify(o.proxy)} is not supported (basic and auto are)`);
  }
  if (o.redactPII !== null && o.redactPII !== undefined && o.redactPII !== false) {
    refuse('redactPII', `redaction ${NEEDS_LLM}`);
  }
  if (o.profile !== null && o.profile !== undefined) {
    refuse('profile', 'browser profiles are not supported (each job starts from a clean browser)');
  }
}
