/**
 * The document formats: JSONL (a JSON object per line), JSON (one array) and XML (a
 * `<records>` element with a `<record>` per record). Each record is written whole, so
 * fields first seen late are kept; nested objects and arrays stay nested.
 *
 * XML mapping: a field is an element named after it (sanitised by xmlName, with the
 * original in a `key` attribute when that changed it); an object's fields are child
 * elements, an array's values are `<item>` children, null is `<name nil="true"/>`,
 * bytes are base64, everything else its JSON text without quotes.
 */
import { columnsFor, jsonReplacer, valueAt, type Column } from '../columns.js';
import { OutputFile } from '../output-file.js';
import type { RecordWriter, RecordWriterOptions } from '../record-writer.js';
import { xmlName, xmlText } from '../xml-text.js';

type Project = (record: Record<string, unknown>) => Record<string, unknown>;

interface Encoding {
  head: string;
  record(record: Record<string, unknown>, index: number): string;
  tail(count: number): string;
}

const ENCODINGS: Record<'jsonl' | 'json' | 'xml', Encoding> = {
  jsonl: {
    head: '',
    record: (r) => toJson(r) + '\n',
    tail: () => '',
  },
  json: {
    head: '[',
    record: (r, i) => (i === 0 ? '\n' : ',\n') + toJson(r),
    tail: (n) => (n === 0 ? ']\n' : '\n]\n'),
  },
  xml: {
    head: '<?xml version="1.0" encoding="UTF-8"?>\n<records>\n',
    record: (r) => `<record>${xmlFields(r)}</record>\n`,
    tail: () => '</records>\n',
  },
};

/** A JSONL, JSON or XML writer at `path`. */
export async function createDocumentWriter(
  format: 'jsonl' | 'json' | 'xml',
  path: string,
  options: RecordWriterOptions,
): Promise<RecordWriter> {
  const encoding = ENCODINGS[format];
  const project = projection(options);
  const out = await OutputFile.open(path);
  let records = 0;
  await out.write(encoding.head);
  return {
    async write(record) {
      // Counted before awaiting: a concurrent write must see this one (JSON's commas).
      const text = encoding.record(project(record), records++);
      await out.write(text);
    },
    async close() {
      try {
        await out.write(encoding.tail(records));
        return { records, bytes: await out.commit() };
      } catch (err) {
        await out.abort();
        throw err;
      }
    },
    abort: () => out.abort(),
  };
}

/**
 * What of a record is written: the selected columns (missing ones as null, so every
 * record has the same keys), or the whole record in its own key order, renamed.
 */
function projection(options: RecordWriterOptions): Project {
  const rename = options.rename ?? {};
  if (options.fields !== undefined) {
    const columns = columnsFor(options.fields, rename);
    return (record) => pick(record, columns);
  }
  if (Object.keys(rename).length === 0) return (record) => record;
  return (record) => {
    const out: Record<string, unknown> = {};
    for (const key in record) out[rename[key] ?? key] = record[key];
    return out;
  };
}

/**
 * JSON text of a record. The replacer (bytes, bigints) costs a call per key, so records
 * whose values are all scalars, the common case of page records, go without it.
 */
function toJson(record: Record<string, unknown>): string {
  for (const key in record) {
    const v = record[key];
    if ((typeof v === 'object' && v !== null) || typeof v === 'bigint') {
      return JSON.stringify(record, jsonReplacer);
    }
  }
  return JSON.stringify(record);
}

function pick(
  record: Record<string, unknown>,
  columns: readonly Column[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c.name] = valueAt(record, c) ?? null;
  return out;
}

function xmlFields(record: Record<string, unknown>): string {
  let s = '';
  for (const key in record) {
    const value = record[key];
    if (value !== undefined) s += xmlElement(key, value);
  }
  return s;
}

function xmlElement(key: string, value: unknown): string {
  const name = xmlName(key);
  const open = name === key ? name : `${name} key="${xmlText(key)}"`;
  if (value === null) return `<${open} nil="true"/>`;
  if (value instanceof Uint8Array) {
    return `<${open}>${Buffer.from(value).toString('base64')}</${name}>`;
  }
  if (Array.isArray(value)) {
    return `<${open}>${value.map((v: unknown) => xmlElement('item', v ?? null)).join('')}</${name}>`;
  }
  if (value instanceof Date) return `<${open}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    return `<${open}>${xmlFields(value as Record<string, unknown>)}</${name}>`;
  }
  const text = typeof value === 'string' ? value : String(jsonReplacer('', value));
  return `<${open}>${xmlText(text)}</${name}>`;
}
