/**
 * `export`: writes every item that reaches it to a file (JSONL, JSON, CSV, XML, XLSX,
 * Parquet or WARC) and passes the item on unchanged. The file is opened by setup() and
 * finished (renamed into place) by close(), so it appears complete or not at all.
 *
 * Without `path` the handler is a pass-through that writes nothing: predefined chains
 * (`transform_export`, `standard`) include it unconfigured, and a pipeline file turns
 * it on by giving a path.
 */
import { z } from 'zod';
import type { Handler, HandlerContext, Item } from '../handler.js';
import { HandlerError } from '../handler.js';
// The record writers are plain file writers (node:fs, no backend, no service): the one
// piece of storage a handler may use directly, so `trawl process` needs no wiring.
import * as records from '../../storage/export/record-writer.js';

type RecordWriter = records.RecordWriter;

/** export's options. */
export const exportOptions = z.strictObject({
  /** The file written. Absent: the handler passes items through and writes nothing. */
  path: z.string().min(1).optional(),
  /** @default from the path's extension, else jsonl */
  format: z
    .enum(records.EXPORT_FORMATS as [records.ExportFormat, ...records.ExportFormat[]])
    .optional(),
  /** Fields written, in order; dotted paths reach nested fields. @default every field */
  fields: z.array(z.string().min(1)).min(1).optional(),
  /** Output names by field (the S5 field mapping), e.g. `{ "metadata.description": "description" }`. */
  rename: z.record(z.string().min(1), z.string().min(1)).optional(),
  /** Write at most this many items; later ones pass through unwritten (logged once). */
  maxRecords: z.number().int().positive().optional(),
  /** CSV only: guard cells against formula injection (see RecordWriterOptions). @default false */
  csvFormulaGuard: z.boolean().default(false),
});
export type ExportOptions = z.infer<typeof exportOptions>;

interface State {
  writer: RecordWriter;
  path: string;
  written: number;
  /** Writes run one after another even when the chain runs items concurrently. */
  tail: Promise<void>;
  failed: Error | null;
  /** Tabular formats hold their first records as a sample: give them copies. */
  copyFirst: number;
}

/** The records a tabular writer samples by default (RecordWriterOptions.sampleRecords). */
const SAMPLED = 1000;

/** The `export` handler. */
export const exportHandler: Handler<ExportOptions> = {
  name: 'export',
  description:
    'writes each item to a JSONL, JSON, CSV, XML, XLSX, Parquet or WARC file (no path: pass-through)',
  options: exportOptions,

  async setup(options): Promise<State | null> {
    if (options.path === undefined) return null;
    const format = options.format ?? records.formatFromPath(options.path) ?? 'jsonl';
    const writer = await records.createRecordWriter(format, options.path, {
      fields: options.fields,
      rename: options.rename,
      csvFormulaGuard: options.csvFormulaGuard,
    });
    const tabular = format === 'csv' || format === 'xlsx' || format === 'parquet';
    return {
      writer,
      path: options.path,
      written: 0,
      tail: Promise.resolve(),
      failed: null,
      copyFirst: tabular ? SAMPLED : 0,
    };
  },

  async run(item: Item, ctx: HandlerContext<ExportOptions>): Promise<Item> {
    const state = ctx.state as State | null;
    if (state === null) return item;
    if (state.failed !== null) {
      throw new HandlerError(
        'export_failed',
        `export to ${state.path} failed earlier: ${state.failed.message}`,
      );
    }
    const max = ctx.options.maxRecords;
    if (max !== undefined && state.written >= max) {
      if (state.written === max)
        ctx.log('warn', `maxRecords (${max}) reached: later items are not written`);
      state.written++;
      return item;
    }
    state.written++;
    // Later handlers may change the item in place; a sampled record must stay as it was.
    const record = state.written <= state.copyFirst ? structuredClone(item) : item;
    const write = state.tail.then(() => state.writer.write(record));
    state.tail = write.catch((err: unknown) => {
      state.failed ??= err instanceof Error ? err : new Error(String(err));
    });
    try {
      await write;
    } catch (err) {
      throw new HandlerError(
        'export_failed',
        `cannot write to ${state.path}: ${(err as Error).message}`,
        undefined,
        err,
      );
    }
    return item;
  },

  async close(state) {
    const s = state as State | null;
    if (s === null) return;
    await s.tail;
    if (s.failed !== null) {
      await s.writer.abort();
      throw s.failed;
    }
    await s.writer.close();
  },
};
