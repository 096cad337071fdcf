/**
 * The frame of the tabular formats (CSV, XLSX, Parquet): a fixed column set decided
 * before the first row. The first `sampleRecords` records are held until then; the
 * columns are `fields` when given, otherwise every field of those records with
 * `defaultFields` first, and the formats may look at the sample (Parquet infers column
 * types from it). Later records are cut to those columns.
 */
import { ColumnSampler, columnsFor, valueAt, type Column } from '../columns.js';
import type { RecordWriter, RecordWriterOptions } from '../record-writer.js';

/** What a tabular format implements: a header once, rows, an end. */
export interface TableSink {
  /** Called once, before the first row (also for an export of no records). */
  start(columns: readonly Column[], sample: readonly Record<string, unknown>[]): Promise<void>;
  /** One row: a value per column, in column order (undefined: the record lacks it). */
  row(values: unknown[]): Promise<void> | undefined;
  /** Finishes the file; resolves with its size in bytes. */
  finish(): Promise<number>;
  abort(): Promise<void>;
}

const DEFAULT_SAMPLE_RECORDS = 1000;

/** A RecordWriter over `sink`, deciding the columns as the module comment says. */
export function tableWriter(sink: TableSink, options: RecordWriterOptions): RecordWriter {
  const sampleSize = Math.max(1, options.sampleRecords ?? DEFAULT_SAMPLE_RECORDS);
  // Explicit fields are checked now (a duplicate name fails at open, not at row 1000).
  const fixed = options.fields === undefined ? null : columnsFor(options.fields, options.rename);
  const sampler = fixed === null ? new ColumnSampler(options.defaultFields) : null;
  let columns: readonly Column[] | null = null;
  let sample: Record<string, unknown>[] = [];
  let records = 0;

  const rowOf = (record: Record<string, unknown>, cols: readonly Column[]): unknown[] => {
    const values = new Array<unknown>(cols.length);
    for (let i = 0; i < cols.length; i++) values[i] = valueAt(record, cols[i]!);
    return values;
  };

  const start = async (): Promise<void> => {
    const cols = fixed ?? sampler!.columns(options.rename);
    columns = cols;
    await sink.start(cols, sample);
    for (const r of sample) await sink.row(rowOf(r, cols));
    sample = [];
  };

  return {
    async write(record) {
      records++;
      if (columns === null) {
        sampler?.add(record);
        sample.push(record);
        if (sample.length >= sampleSize) await start();
        return;
      }
      await sink.row(rowOf(record, columns));
    },
    async close() {
      try {
        if (columns === null) await start();
        return { records, bytes: await sink.finish() };
      } catch (err) {
        await sink.abort();
        throw err;
      }
    },
    abort: () => sink.abort(),
  };
}
