/**
 * Streaming record writers: one per export format, one interface. A writer takes plain
 * records one at a time and keeps only what its format needs in memory (a Parquet row
 * group, the first records sampled for the column set), never the whole export.
 *
 * Every writer writes to a temporary file beside `path` and renames it on close(), as
 * exports always have, so a reader never sees half a file; abort() removes it.
 */
import type { ColumnType } from './formats/parquet.js';
import type { WarcOptions } from './formats/warc.js';

export type { ColumnType } from './formats/parquet.js';
export type { WarcOptions } from './formats/warc.js';

export type ExportFormat = 'jsonl' | 'json' | 'csv' | 'xml' | 'xlsx' | 'parquet' | 'warc';

/** Every format, in the order help texts list them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = [
  'jsonl',
  'json',
  'csv',
  'xml',
  'xlsx',
  'parquet',
  'warc',
];

export interface RecordWriterOptions {
  /**
   * The fields written, in this order; dotted paths reach into nested objects
   * (`metadata.description`). @default every field (see `defaultFields`, `sampleRecords`)
   */
  fields?: readonly string[];
  /** Output names by field (`{ 'metadata.description': 'description' }`). */
  rename?: Readonly<Record<string, string>>;
  /**
   * Without `fields`, the tabular formats' (CSV, XLSX, Parquet) columns start with these,
   * in this order, then any other field of the sampled records. Page exports pass the
   * page fields, so every export has them. (JSONL, JSON and XML keep each record's own
   * key order.)
   */
  defaultFields?: readonly string[];
  /**
   * Without `fields`, CSV, XLSX and Parquet must write their header before the first row:
   * the column set is every field of the first `sampleRecords` records (held until then),
   * and fields first seen later are not written. JSONL, JSON and XML keep every field of
   * every record. @default 1000
   */
  sampleRecords?: number;
  /**
   * CSV only: cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'`, so a
   * spreadsheet opening the file does not run them as formulas (CSV injection). Off by
   * default because it changes the data; turn it on for CSVs meant for Excel users.
   * (XLSX cells are written as strings, never formulas, so XLSX needs no guard.)
   * @default false
   */
  csvFormulaGuard?: boolean;
  /** Parquet: the type of a column (by field, before renaming), instead of inferring it. */
  columnTypes?: Readonly<Record<string, ColumnType>>;
  /** Parquet: rows per row group, the unit held in memory and flushed. @default 10000 */
  rowGroupRows?: number;
  /** WARC only. */
  warc?: WarcOptions;
}

export interface RecordWriter {
  /** Queues one record; resolves when the writer can take the next (backpressure). */
  write(record: Record<string, unknown>): Promise<void>;
  /** Finishes and renames the file into place. */
  close(): Promise<{ records: number; bytes: number }>;
  /** Stops and removes the temporary file; the target path is left as it was. */
  abort(): Promise<void>;
}

/** The format a file name implies (`.jsonl`, `.ndjson`, `.json`, `.csv`, `.xml`, `.xlsx`, `.parquet`, `.warc`, `.warc.gz`), or null. */
export function formatFromPath(path: string): ExportFormat | null {
  const p = path.toLowerCase();
  if (p.endsWith('.warc') || p.endsWith('.warc.gz')) return 'warc';
  const ext = /\.([a-z]+)$/.exec(p)?.[1];
  switch (ext) {
    case 'jsonl':
    case 'ndjson':
      return 'jsonl';
    case 'json':
    case 'csv':
    case 'xml':
    case 'xlsx':
    case 'parquet':
      return ext;
    default:
      return null;
  }
}

/** Whether a format writes page bodies, so the crawl must keep them (`--store-body`). */
export function formatNeedsBodies(format: ExportFormat): boolean {
  return format === 'warc';
}

/** Opens a writer of `format` at `path` (through a temporary file). */
export async function createRecordWriter(
  format: ExportFormat,
  path: string,
  options: RecordWriterOptions = {},
): Promise<RecordWriter> {
  // Each format is loaded when used: a JSONL export never loads the Parquet or ZIP code.
  switch (format) {
    case 'jsonl':
    case 'json':
    case 'xml': {
      const { createDocumentWriter } = await import('./formats/documents.js');
      return createDocumentWriter(format, path, options);
    }
    case 'csv':
      return (await import('./formats/csv.js')).createCsvWriter(path, options);
    case 'xlsx':
      return (await import('./formats/xlsx.js')).createXlsxWriter(path, options);
    case 'parquet':
      return (await import('./formats/parquet.js')).createParquetWriter(path, options);
    case 'warc':
      return (await import('./formats/warc.js')).createWarcWriter(path, options.warc);
    default:
      throw new TypeError(`unknown export format: ${String(format satisfies never)}`);
  }
}
