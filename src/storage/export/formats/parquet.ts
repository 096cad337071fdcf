/**
 * Parquet, written streaming with hyparquet-writer (pure JS, no native code, runs on
 * Node 20; @dsnp/parquetjs needs Node 24 and parquetjs is unmaintained): rows are
 * gathered into a row group of `rowGroupRows` rows, which is encoded, flushed to the
 * file and dropped, so memory holds one row group whatever the export's size.
 * SNAPPY-compressed, flat schema, every column OPTIONAL.
 *
 * Column types: `columnTypes` when given (page exports declare theirs), otherwise from
 * the sampled records: all booleans -> BOOLEAN, all numbers -> DOUBLE (exact for
 * integers below 2^53; declare `int64` for integer columns), all objects/arrays -> JSON
 * (text with the JSON logical type), all strings or a mix -> STRING (numbers and
 * booleans then as text). A later value that does not fit its column's type is written
 * as null, except that a STRING column takes anything as text and an INT64 column
 * rounds a fractional number.
 */
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { toCell, valueAt, type Column } from '../columns.js';
import { OutputFile } from '../output-file.js';
import type { RecordWriter, RecordWriterOptions } from '../record-writer.js';
import { tableWriter } from './tabular.js';

/** A Parquet column's type. */
export type ColumnType = 'string' | 'int64' | 'double' | 'boolean' | 'json';

const DEFAULT_ROW_GROUP_ROWS = 10_000;

const BASIC_TYPES = {
  string: 'STRING',
  int64: 'INT64',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
} as const;

/** A Parquet writer at `path`. */
export async function createParquetWriter(
  path: string,
  options: RecordWriterOptions,
): Promise<RecordWriter> {
  const rowGroupRows = Math.max(1, options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS);
  const out = await OutputFile.open(path);
  const bytes = new FileByteWriter(out);
  let writer: ParquetWriter | null = null;
  let names: string[] = [];
  let convert: ((v: unknown) => unknown)[] = [];
  let group: unknown[][] = [];
  let rows = 0;

  const flushGroup = async (): Promise<void> => {
    if (writer === null || rows === 0) return;
    const columnData = names.map((name, i) => ({ name, data: group[i]! }));
    group = names.map(() => []);
    const n = rows;
    rows = 0;
    await writer.write({ columnData, rowGroupSize: n });
  };

  return tableWriter(
    {
      async start(columns, sample) {
        const types = columns.map((c) => options.columnTypes?.[c.field] ?? inferType(c, sample));
        names = columns.map((c) => c.name);
        convert = types.map(converter);
        group = names.map(() => []);
        const schema = schemaFromColumnData({
          columnData: columns.map((c, i) => ({
            name: c.name,
            data: [],
            type: BASIC_TYPES[types[i]!],
            nullable: true,
          })),
        });
        writer = new ParquetWriter({
          writer: bytes,
          schema,
          createdBy: 'trawl (hyparquet-writer)',
        });
      },
      row(values) {
        for (let i = 0; i < values.length; i++) group[i]!.push(convert[i]!(values[i]));
        rows++;
        return rows >= rowGroupRows ? flushGroup() : undefined;
      },
      async finish() {
        await flushGroup();
        await writer?.finish();
        return out.commit();
      },
      abort: () => out.abort(),
    },
    options,
  );
}

/** The type the sampled values of `column` agree on (see the module comment). */
function inferType(column: Column, sample: readonly Record<string, unknown>[]): ColumnType {
  let seen: ColumnType | null = null;
  for (const record of sample) {
    const v = valueAt(record, column);
    if (v === null || v === undefined) continue;
    const t: ColumnType =
      typeof v === 'boolean'
        ? 'boolean'
        : typeof v === 'number' || typeof v === 'bigint'
          ? 'double'
          : typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)
            ? 'json'
            : 'string';
    if (seen === null) seen = t;
    else if (seen !== t) return 'string';
  }
  return seen ?? 'string';
}

function converter(type: ColumnType): (v: unknown) => unknown {
  switch (type) {
    case 'string':
      return (v) => {
        const c = toCell(v);
        return c === null ? null : String(c);
      };
    case 'int64':
      return (v) =>
        typeof v === 'bigint'
          ? v
          : typeof v === 'number' && Number.isFinite(v)
            ? BigInt(Math.round(v))
            : null;
    case 'double':
      return (v) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : null);
    case 'json':
      return (v) => (v === undefined ? null : v);
  }
}

/**
 * hyparquet-writer's byte writer, emptied into the file after every row group (the
 * library calls flush() then and waits for the promise, which carries the file's
 * backpressure). `offset` keeps counting the whole file, as the footer's offsets need.
 */
class FileByteWriter extends ByteWriter {
  constructor(private readonly out: OutputFile) {
    super(1 << 20);
  }

  flush(): Promise<void> | undefined {
    if (this.index === 0) return undefined;
    // A copy: the buffer is reused for the next row group while the file still writes.
    const chunk = Buffer.from(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.out.write(chunk);
  }

  override finish(): Promise<void> | undefined {
    if (this.offset === this.index)
      patchEmptyRowGroupList(new Uint8Array(this.buffer, 0, this.index));
    return this.flush();
  }
}

/**
 * hyparquet-writer 0.17 writes an empty Thrift list with element type 0, which strict
 * readers such as arrow-rs (parquet-wasm) reject: "Expected list element type of Struct".
 * Only a file of no rows has an empty list (row_groups), and such a file is still whole
 * in the buffer at finish, so its footer is patched there: after num_rows = 0 (field 3,
 * i64: 0x16 0x00) comes row_groups (field 4, list: 0x19) with header 0x00, which becomes
 * 0x0C (no elements, of type struct). Left alone unless that sequence occurs exactly once.
 */
function patchEmptyRowGroupList(file: Uint8Array): void {
  let at = -1;
  for (let i = 4; i + 3 < file.length - 8; i++) {
    if (file[i] === 0x16 && file[i + 1] === 0 && file[i + 2] === 0x19 && file[i + 3] === 0) {
      if (at !== -1) return;
      at = i + 3;
    }
  }
  if (at !== -1) file[at] = 0x0c;
}
