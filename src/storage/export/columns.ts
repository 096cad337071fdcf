/**
 * Which fields an export writes, under which names, and how a value becomes plain JSON.
 * Shared by every format, so `--fields` and `rename` mean the same everywhere.
 */

/** One output column: where its value comes from and what it is called. */
export interface Column {
  /** The field as asked for, e.g. `metadata.description`. */
  readonly field: string;
  /** The name written (header, key, element): `rename[field]` or `field`. */
  readonly name: string;
  /** `field` split on dots, for nested lookups. */
  readonly path: readonly string[];
}

/** Columns for explicit `fields`, renamed; duplicate output names are a usage error. */
export function columnsFor(
  fields: readonly string[],
  rename: Readonly<Record<string, string>> = {},
): Column[] {
  const seen = new Set<string>();
  return fields.map((field) => {
    if (field === '') throw new TypeError('an export field name must not be empty');
    const name = rename[field] ?? field;
    if (seen.has(name)) throw new TypeError(`two export columns are named "${name}"`);
    seen.add(name);
    return { field, name, path: field.split('.') };
  });
}

/**
 * The value of `column` in `record`. A key that itself contains dots wins over the
 * nested path (records exported once with `metadata.description` can be re-exported).
 */
export function valueAt(record: Readonly<Record<string, unknown>>, column: Column): unknown {
  if (column.path.length === 1 || column.field in record) return record[column.field];
  let value: unknown = record;
  for (const key of column.path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The columns of records seen so far: `first` (in order), then every other key in the
 * order first met. Used when no `fields` were given.
 */
export class ColumnSampler {
  private readonly keys: string[];
  private readonly known: Set<string>;

  constructor(first: readonly string[] = []) {
    this.keys = [...first];
    this.known = new Set(first);
  }

  add(record: Readonly<Record<string, unknown>>): void {
    for (const key in record) {
      if (!this.known.has(key) && record[key] !== undefined) {
        this.known.add(key);
        this.keys.push(key);
      }
    }
  }

  columns(rename?: Readonly<Record<string, string>>): Column[] {
    // Keys are taken whole: a top-level key with a dot is one column, not a path.
    return columnsFor(this.keys, rename).map((c) => ({ ...c, path: [c.field] }));
  }
}

/**
 * A value as plain JSON data: bytes as base64, dates as ISO-8601, bigints as numbers
 * when exact (else as decimal text), non-finite numbers as null (JSON has none),
 * undefined dropped. Use as a JSON.stringify replacer.
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  // Buffer.toJSON runs before the replacer: undo its {type, data} shape.
  if (isBufferJson(value)) return Buffer.from(value.data).toString('base64');
  return value;
}

function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  );
}

/** A scalar for a spreadsheet-like cell: objects and arrays become JSON text. */
export type Cell = string | number | boolean | null;

export function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    default:
      if (value instanceof Date) return value.toISOString();
      return JSON.stringify(value, jsonReplacer) ?? null;
  }
}
