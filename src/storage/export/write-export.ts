/**
 * Writes a crawl's pages to a file in any export format, streaming from the store
 * through a RecordWriter (temporary file, renamed when complete).
 *
 * A page is exported as PAGE_FIELDS (fetchedAt as ISO-8601) followed by any extra plain
 * field it carries (the extraction fields: markdown, text, metadata, structured, …);
 * `headers` only when a selected field asks for it, `body` only in WARC.
 */
import type { PageRecord } from '../../core/types.js';
import type { PageStore } from '../page-store.js';
import type { ColumnType } from './formats/parquet.js';
import {
  createRecordWriter,
  formatNeedsBodies,
  type ExportFormat,
  type RecordWriterOptions,
  type WarcOptions,
} from './record-writer.js';

export type { ExportFormat } from './record-writer.js';

/** The exported page fields, in order (CSV header and JSONL key order). */
export const PAGE_FIELDS = [
  'url',
  'finalUrl',
  'status',
  'title',
  'depth',
  'contentType',
  'fetchedAt',
  'error',
  'errorMessage',
  'attempts',
  'etag',
  'lastModified',
  'contentHash',
  'contentLength',
  'charset',
  'canonicalUrl',
  'linkCount',
  'durationMs',
] as const;

/** Parquet types of the page fields that are not text. */
const PAGE_COLUMN_TYPES: Readonly<Record<string, ColumnType>> = {
  status: 'int64',
  depth: 'int64',
  attempts: 'int64',
  contentLength: 'int64',
  linkCount: 'int64',
  durationMs: 'double',
};

/** PageRecord fields that are not exported as plain fields. */
const NOT_PLAIN = new Set(['headers', 'body']);
const PAGE_FIELD_SET = new Set<string>(PAGE_FIELDS);

/**
 * Whether `field` can be selected from stored pages: a page field, `headers`, or
 * `headers.<name>` (lower-case header names, e.g. `headers.server`).
 */
export function isPageField(field: string): boolean {
  return PAGE_FIELD_SET.has(field) || field === 'headers' || /^headers\.[^.]+$/.test(field);
}

/** Page export options: a field selection and renames (ignored by WARC), WARC's own. */
export interface PageExportOptions {
  fields?: readonly string[];
  rename?: Readonly<Record<string, string>>;
  warc?: WarcOptions;
  /**
   * Fail (and remove the partial file) when a successful page has no stored body, as
   * WARC exports need bodies. @default true for WARC
   */
  requireBodies?: boolean;
  /** Also export pages the job's pipeline dropped (their `dropped` field says why). @default false */
  includeDropped?: boolean;
}

/** A page as an export record (see the module comment). */
export function pageExportRecord(page: PageRecord, withHeaders = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of PAGE_FIELDS) {
    out[f] = f === 'fetchedAt' ? new Date(page.fetchedAt).toISOString() : page[f];
  }
  if (withHeaders) out.headers = page.headers;
  // What extraction and the pipeline added; a field a handler changed (a cleaned title)
  // overrides the crawler's.
  if (page.fields) {
    for (const key in page.fields) {
      const value = page.fields[key];
      if (value !== undefined && !NOT_PLAIN.has(key)) out[key] = value;
    }
  }
  return out;
}

/** A successful page without a stored body, in an export that needs bodies. */
export class MissingBodyError extends Error {
  readonly code = 'usage';
  constructor(url: string) {
    super(
      `page ${url} has no stored body: a WARC export needs the crawl to keep bodies (crawl with --store-body)`,
    );
    this.name = 'MissingBodyError';
  }
}

/** Returns the number of pages written. */
export async function writeExport(
  pages: AsyncIterable<PageRecord>,
  path: string,
  format: ExportFormat,
  options: PageExportOptions = {},
): Promise<number> {
  const warc = format === 'warc';
  const writerOptions: RecordWriterOptions = warc
    ? { warc: options.warc }
    : {
        fields: options.fields,
        rename: options.rename,
        defaultFields: PAGE_FIELDS,
        columnTypes: PAGE_COLUMN_TYPES,
      };
  const withHeaders = options.fields?.some((f) => f === 'headers' || f.startsWith('headers.'));
  const requireBodies = options.requireBodies ?? warc;
  const writer = await createRecordWriter(format, path, writerOptions);
  try {
    for await (const page of pages) {
      // Dropped by the job's pipeline (a duplicate, below minQuality): kept in the store so
      // the crawl knows the URL is done, left out of exports.
      if (page.fields?.dropped !== undefined && !options.includeDropped) continue;
      if (warc) {
        if (requireBodies && page.body === null && page.error === null && page.status !== null) {
          throw new MissingBodyError(page.url);
        }
        await writer.write(page as unknown as Record<string, unknown>);
      } else {
        await writer.write(pageExportRecord(page, withHeaders === true));
      }
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return (await writer.close()).records;
}

/**
 * Exports every page of `store` (bodies read only when the format needs them): what
 * `trawl crawl --out` and `trawl export` run.
 */
export function exportPages(
  store: PageStore,
  path: string,
  format: ExportFormat,
  options: PageExportOptions = {},
): Promise<number> {
  return writeExport(
    store.scanPages({ withBody: formatNeedsBodies(format) }),
    path,
    format,
    options,
  );
}
